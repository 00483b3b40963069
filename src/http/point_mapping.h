// Maps parsed line-protocol points to a storage::WriteBatch: tenant = database, one series per
// field (SeriesKey{db, measurement, tags, field}). Integers are int64; unsigned values become
// int64 when they fit, else the point is rejected; floats, booleans and strings map directly.
//
// With an engine, every series is resolved through Engine::GetOrCreateSeries first so a field
// whose type differs from its existing series rejects only that point (InfluxDB's "field type
// conflict" partial write) instead of failing the whole batch in the WAL.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/line_protocol.h"
#include "ingest/series_cache.h"
#include "storage/engine.h"

namespace verbund::http {

struct MappedWrite {
  storage::WriteBatch batch;
  size_t points = 0;                // points accepted into the batch
  size_t rejected = 0;              // parsed points rejected by mapping (range, type conflict)
  std::vector<std::string> errors;  // one message per rejected point, InfluxDB wording
  size_t over_quota = 0;            // of `rejected`: new series beyond the tenant's series quota
};

// `engine` may be null (no type checks; keys are resolved at write time). `cache`, when given,
// resolves series ids without building keys for series seen before.
MappedWrite MapPoints(const ingest::ParsedBatch& parsed, std::string_view db,
                      storage::Engine* engine, ingest::SeriesIdCache* cache = nullptr);

// "float", "integer", "boolean", "string" as InfluxDB names field types.
std::string_view InfluxTypeName(storage::ValueType t);

}  // namespace verbund::http
