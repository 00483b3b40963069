// Transformations computed over a column's values after its rows are built: derivative(),
// non_negative_derivative(), difference(), non_negative_difference(), moving_average(),
// cumulative_sum(). Internal to src/query.
#pragma once

#include <cstdint>
#include <vector>

#include "query/rows.h"
#include "query/select_compiler.h"

namespace verbund::query {

// Replaces each transformed column by its transform over the column's earlier non-null values
// in the order of `rows` (the order the query emits: InfluxDB transforms a descending stream as
// it comes, e.g. a derivative's elapsed time taken positive). Rows where every column ends up
// null are dropped, as are rows outside [keep_min, keep_max] (the extra buckets read only to
// seed the transform). `default_unit` is the derivative unit when the call names none.
void ApplyTransforms(const CompiledSelect& c, int64_t default_unit, int64_t keep_min,
                     int64_t keep_max, std::vector<std::vector<Cell>>* rows);

}  // namespace verbund::query
