#include "http/point_mapping.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace verbund::http {

std::string_view InfluxTypeName(storage::ValueType t) {
  switch (t) {
    case storage::ValueType::kFloat: return "float";
    case storage::ValueType::kInt: return "integer";
    case storage::ValueType::kBool: return "boolean";
    case storage::ValueType::kString: return "string";
  }
  return "unknown";
}

namespace {

struct FieldValue {
  storage::Value value;
  bool ok = true;
};

FieldValue Convert(const ingest::Field& f) {
  switch (f.type) {
    case ingest::FieldType::kFloat: return {storage::Value(f.f)};
    case ingest::FieldType::kInteger: return {storage::Value(f.i)};
    case ingest::FieldType::kUnsigned:
      if (f.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return {storage::Value(int64_t{0}), false};
      }
      return {storage::Value(static_cast<int64_t>(f.u))};
    case ingest::FieldType::kBoolean: return {storage::Value(f.b)};
    case ingest::FieldType::kString: return {storage::Value(std::string(f.s))};
  }
  return {storage::Value(0.0), false};
}

std::string ExistingTypeName(storage::Engine* engine, const storage::SeriesKey& key) {
  for (const auto& s : engine->FindSeries(key.tenant, key.measurement)) {
    if (s.key.field == key.field && s.key.tags == key.tags) return std::string(InfluxTypeName(s.type));
  }
  return "another type";
}

// Series ids resolved earlier in the same request, by the point's series text (through
// Point::series_index) and then by field and type. A batch repeats each tag set many times (TSBS:
// 25 times per 5000 lines), so most points cost one vector index instead of building the series
// name and a shared-cache lookup (two hashes of the whole name and a lock) per field. Lives for
// one MapPoints call only, so it can never outlive the body it points into or the engine whose ids
// it holds.
struct FieldId {
  std::string_view key;  // into the body (or the batch's unescaped storage), like Field::key
  storage::ValueType type;
  storage::SeriesId id;
};
using TagSetMemo = std::vector<std::vector<FieldId>>;  // by Point::series_index

// The cache name of p's series without the field: db \0 measurement \0 (key \0 value \0)* \1.
// Unambiguous, as none of the parts may contain \0 or \1 after parsing... and if one did, it
// would only cost a miss.
void AssignSeriesPrefix(std::string_view db, const ingest::Point& p, std::string* name) {
  name->assign(db);
  name->push_back('\0');
  name->append(p.measurement);
  name->push_back('\0');
  for (const auto& t : p.tags) {
    name->append(t.key);
    name->push_back('\0');
    name->append(t.value);
    name->push_back('\0');
  }
  name->push_back('\1');
}

// The storage type a field maps to; nullopt when it cannot be stored (unsigned beyond int64).
std::optional<storage::ValueType> StoredType(const ingest::Field& f) {
  switch (f.type) {
    case ingest::FieldType::kFloat:
      return storage::ValueType::kFloat;
    case ingest::FieldType::kInteger:
      return storage::ValueType::kInt;
    case ingest::FieldType::kUnsigned:
      if (f.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return storage::ValueType::kInt;
    case ingest::FieldType::kBoolean:
      return storage::ValueType::kBool;
    case ingest::FieldType::kString:
      return storage::ValueType::kString;
  }
  return std::nullopt;
}

// Fills the memo with an id for every (series, field, type) of the body, asking the engine once
// for all that the shared cache does not know, so a body that brings many new series costs one
// catalog sync instead of one per series. What the engine refuses (a type conflict) stays in the
// memo with id 0, which sends its points down the general path for their error message.
void Prefetch(const ingest::ParsedBatch& parsed, std::string_view db, storage::Engine* engine,
              ingest::SeriesIdCache* cache, TagSetMemo* memo) {
  struct Miss {
    std::string name;
    uint32_t series;  // Point::series_index
    size_t slot;      // in (*memo)[series]
  };
  std::vector<Miss> misses;
  std::vector<storage::SeriesKey> keys;
  std::vector<storage::ValueType> types;
  std::string name;
  for (const ingest::Point& p : parsed.points()) {
    std::vector<FieldId>& known = (*memo)[p.series_index];
    size_t prefix = 0;
    for (size_t j = 0; j < p.fields.size(); ++j) {
      const ingest::Field& f = p.fields[j];
      const std::optional<storage::ValueType> type = StoredType(f);
      if (!type) continue;  // the general path words the error
      auto same = [&](const FieldId& k) { return k.type == *type && k.key == f.key; };
      if (j < known.size() && same(known[j])) continue;
      if (std::any_of(known.begin(), known.end(), same)) continue;
      if (prefix == 0) {
        AssignSeriesPrefix(db, p, &name);
        prefix = name.size();
      }
      name.resize(prefix);
      name.append(f.key);
      if (std::optional<storage::SeriesId> id = cache->Find(name, *type)) {
        known.push_back(FieldId{f.key, *type, *id});
        continue;
      }
      known.push_back(FieldId{f.key, *type, 0});
      misses.push_back(Miss{name, p.series_index, known.size() - 1});
      storage::SeriesKey key{std::string(db), std::string(p.measurement), {}, std::string(f.key)};
      for (const auto& t : p.tags) key.tags.emplace_back(std::string(t.key), std::string(t.value));
      keys.push_back(std::move(key));
      types.push_back(*type);
    }
  }
  if (misses.empty()) return;
  std::vector<const storage::SeriesKey*> key_ptrs;
  key_ptrs.reserve(keys.size());
  for (const auto& k : keys) key_ptrs.push_back(&k);
  std::vector<Result<storage::SeriesId>> ids = engine->GetOrCreateSeriesMany(key_ptrs, types);
  for (size_t m = 0; m < misses.size(); ++m) {
    if (!ids[m].ok()) continue;
    cache->Insert(misses[m].name, types[m], *ids[m]);
    (*memo)[misses[m].series][misses[m].slot].id = *ids[m];
  }
}

// The fast path: every field of `p` resolved through the memo and the cache. Returns false
// (nothing added) when a field needs the general path (a conversion error or a type conflict, for
// its message).
bool MapCached(const ingest::Point& p, std::string_view db, ingest::SeriesIdCache* cache,
               TagSetMemo* memo, std::string* name, MappedWrite* out) {
  std::vector<FieldId>& known = (*memo)[p.series_index];  // sized by ParsedBatch::series_count
  // Built only for fields the memo does not know.
  size_t prefix = 0;
  auto build_prefix = [&] {
    AssignSeriesPrefix(db, p, name);
    prefix = name->size();
  };
  thread_local std::vector<std::pair<storage::SeriesId, storage::Value>> resolved;
  resolved.clear();
  for (size_t j = 0; j < p.fields.size(); ++j) {
    const ingest::Field& f = p.fields[j];
    FieldValue v = Convert(f);
    if (!v.ok) return false;
    storage::ValueType type = storage::TypeOf(v.value);
    // Lines of one series usually list the same fields in the same order: try slot j first.
    // The parser's fast path hands out the very key views of the line that started the memo,
    // so equal pointers usually settle it without comparing bytes.
    auto same = [&](const FieldId& k) {
      return k.type == type && k.key.size() == f.key.size() &&
             (k.key.data() == f.key.data() || k.key == f.key);
    };
    const FieldId* hit = j < known.size() && same(known[j]) ? &known[j] : nullptr;
    for (size_t k = 0; hit == nullptr && k < known.size(); ++k) {
      if (same(known[k])) hit = &known[k];
    }
    if (hit != nullptr) {
      if (hit->id == 0) return false;  // refused by the engine in Prefetch: the general path
      resolved.emplace_back(hit->id, std::move(v.value));
      continue;
    }
    if (prefix == 0) build_prefix();
    name->resize(prefix);
    name->append(f.key);
    auto id = cache->Resolve(*name, type, [&] {
      storage::SeriesKey key{std::string(db), std::string(p.measurement), {}, std::string(f.key)};
      for (const auto& t : p.tags) key.tags.emplace_back(std::string(t.key), std::string(t.value));
      return key;
    });
    if (!id.ok()) return false;
    known.push_back(FieldId{f.key, type, *id});
    resolved.emplace_back(*id, std::move(v.value));
  }
  ++out->points;
  for (auto& [id, value] : resolved) out->batch.Add(id, p.ts, std::move(value));
  return true;
}

}  // namespace

MappedWrite MapPoints(const ingest::ParsedBatch& parsed, std::string_view db,
                      storage::Engine* engine, ingest::SeriesIdCache* cache) {
  MappedWrite out;
  out.batch.Reserve(parsed.field_count());
  bool resolve = engine != nullptr;
  std::vector<std::pair<storage::SeriesKey, storage::Value>> fields;
  std::vector<storage::SeriesId> ids;
  std::string name;
  TagSetMemo memo(parsed.series_count());
  if (cache != nullptr && engine != nullptr) Prefetch(parsed, db, engine, cache, &memo);
  for (const ingest::Point& p : parsed.points()) {
    if (cache != nullptr && engine != nullptr && MapCached(p, db, cache, &memo, &name, &out)) {
      continue;
    }
    fields.clear();
    ids.clear();
    std::string error;
    bool over_quota = false;
    std::vector<storage::Tag> tags;
    tags.reserve(p.tags.size());
    for (const auto& t : p.tags) tags.emplace_back(std::string(t.key), std::string(t.value));
    for (const ingest::Field& f : p.fields) {
      FieldValue v = Convert(f);
      if (!v.ok) {
        error = "unable to parse field \"" + std::string(f.key) + "\" on measurement \"" +
                std::string(p.measurement) + "\": unsigned value " + std::to_string(f.u) +
                " out of range for integer";
        break;
      }
      fields.emplace_back(storage::SeriesKey{std::string(db), std::string(p.measurement), tags,
                                             std::string(f.key)},
                          std::move(v.value));
    }
    if (error.empty() && resolve) {
      for (auto& [key, value] : fields) {
        Result<storage::SeriesId> id = engine->GetOrCreateSeries(key, storage::TypeOf(value));
        if (!id.ok() && id.status().code() == StatusCode::kUnimplemented) {
          resolve = false;  // engine resolves keys at write time; no early type check
          ids.clear();
          break;
        }
        if (!id.ok() && id.status().code() == StatusCode::kInvalidArgument) {
          error = "field type conflict: input field \"" + key.field + "\" on measurement \"" +
                  key.measurement + "\" is type " +
                  std::string(InfluxTypeName(storage::TypeOf(value))) + ", already exists as type " +
                  ExistingTypeName(engine, key);
          break;
        }
        if (!id.ok()) {
          error = id.status().message();
          over_quota = id.status().code() == StatusCode::kResourceExhausted;
          break;
        }
        ids.push_back(*id);
      }
    }
    if (!error.empty()) {
      ++out.rejected;
      if (over_quota) ++out.over_quota;
      out.errors.push_back(std::move(error));
      continue;
    }
    ++out.points;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i < ids.size()) {
        out.batch.Add(ids[i], p.ts, std::move(fields[i].second));
      } else {
        out.batch.Add(std::move(fields[i].first), p.ts, std::move(fields[i].second));
      }
    }
  }
  return out;
}

}  // namespace verbund::http
