// Transformations computed over a column's values after its rows are built: derivative(),
// non_negative_derivative(), difference(), non_negative_difference(). Internal to src/query.
#pragma once

#include <cstdint>
#include <vector>

#include "query/rows.h"
#include "query/select_compiler.h"

namespace verbund::query {

// Replaces transformed columns by their derivative/difference over the previous non-null value
// of the same column; rows (ascending by time) where every column ends up null are dropped, as
// are rows before `keep_from` (the extra bucket read only to seed the first difference).
// `default_unit` is the derivative unit when the call names none.
void ApplyTransforms(const CompiledSelect& c, int64_t default_unit, int64_t keep_from,
                     std::vector<std::vector<Cell>>* rows);

}  // namespace verbund::query
