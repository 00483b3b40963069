// The native API's reads (doc/api.md, "Native API"): GET /api/v1/series, /api/v1/read and
// /api/v1/latest, straight from the storage engine, within the caller's scope.
#include <algorithm>
#include <string>
#include <vector>

#include "http/access.h"
#include "http/api.h"
#include "http/point_mapping.h"
#include "http/responses.h"
#include "query/json_format.h"
#include "storage/engine.h"

namespace verbund::http {
namespace {

void AppendValue(std::string* out, const storage::ValueColumn& col, size_t i) {
  std::visit(
      [&](const auto& v) {
        using C = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<C, std::vector<double>>) {
          query::AppendJsonFloat(out, v[i]);
        } else if constexpr (std::is_same_v<C, std::vector<int64_t>>) {
          *out += std::to_string(v[i]);
        } else if constexpr (std::is_same_v<C, std::vector<uint8_t>>) {
          *out += v[i] ? "true" : "false";
        } else {
          query::AppendJsonString(out, v[i]);
        }
      },
      col);
}

void AppendSampleValue(std::string* out, const storage::Value& value) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, double>) {
          query::AppendJsonFloat(out, v);
        } else if constexpr (std::is_same_v<V, int64_t>) {
          *out += std::to_string(v);
        } else if constexpr (std::is_same_v<V, bool>) {
          *out += v ? "true" : "false";
        } else {
          query::AppendJsonString(out, v);
        }
      },
      value);
}

void AppendSeriesHead(std::string* out, const storage::SeriesInfo& s) {
  *out += "{\"id\":";
  *out += std::to_string(s.id);
  *out += ",\"measurement\":";
  query::AppendJsonString(out, s.key.measurement);
  *out += ",\"tags\":{";
  bool first = true;
  for (const auto& [k, v] : s.key.tags) {
    if (!first) *out += ',';
    first = false;
    query::AppendJsonString(out, k);
    *out += ':';
    query::AppendJsonString(out, v);
  }
  *out += "},\"field\":";
  query::AppendJsonString(out, s.key.field);
  *out += ",\"type\":";
  query::AppendJsonString(out, InfluxTypeName(s.type));
}

void AppendTime(std::string* out, int64_t ts) {
  *out += "\"t\":";
  *out += std::to_string(ts);
  *out += ",\"time\":";
  query::AppendJsonString(out, query::FormatRfc3339Nano(ts));
}

}  // namespace

std::shared_ptr<const query::QueryScope> Api::NativeScope(const Caller& caller, std::string_view db,
                                                          std::optional<Response>* refusal) const {
  if (deps_.access == nullptr) return nullptr;
  auto scope = deps_.access->QueryScopeFor(caller);
  if (scope && scope->database && !scope->database(db)) {
    *refusal = NativeError(403, "permission_denied",
                           "not authorized to access database " + std::string(db));
  }
  return scope;
}

void Api::ApiSeries(const Caller& caller, const Params& params, const Reply& reply) {
  std::string_view db = params.Get("db");
  if (db.empty()) return reply(NativeError(400, "invalid_argument", "parameter db is required"));
  std::optional<Response> refusal;
  auto scope = NativeScope(caller, db, &refusal);
  if (refusal) return reply(std::move(*refusal));
  if (!DatabaseExists(db)) {
    return reply(NativeError(404, "not_found", "database not found: " + std::string(db)));
  }
  std::vector<storage::SeriesInfo> series = deps_.engine->FindSeries(db, params.Get("measurement"));
  if (scope && scope->read) {
    std::erase_if(series, [&](const auto& s) { return !scope->read(db, s.key.measurement); });
  }
  std::sort(series.begin(), series.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::string out = "{\"series\":[";
  for (size_t i = 0; i < series.size(); ++i) {
    if (i) out += ',';
    AppendSeriesHead(&out, series[i]);
    out += '}';
  }
  out += "]}\n";
  reply(Json(200, std::move(out)));
}

namespace {

// Series of `db` selected by series=<id> or measurement (+ field, tag.k=v filters).
Result<std::vector<storage::SeriesInfo>> SelectSeries(storage::Engine* engine, std::string_view db,
                                                      const Params& params, bool need_field) {
  std::string_view id_text = params.Get("series");
  std::string_view measurement = params.Get("measurement");
  std::vector<storage::SeriesInfo> out;
  if (!id_text.empty()) {
    int64_t id = 0;
    if (!ParseInt64(id_text, &id) || id <= 0) {
      return InvalidArgument("series must be a positive integer id");
    }
    for (auto& s : engine->FindSeries(db, "")) {
      if (s.id == static_cast<storage::SeriesId>(id)) out.push_back(std::move(s));
    }
    if (out.empty())
      return NotFound("series " + std::string(id_text) + " not found in " + std::string(db));
    return out;
  }
  if (measurement.empty()) return InvalidArgument("parameter series or measurement is required");
  std::string_view field = params.Get("field");
  if (need_field && field.empty())
    return InvalidArgument("parameter field is required with measurement");
  std::vector<std::pair<std::string, std::string>> tag_filters;
  for (const auto& [k, v] : params.items()) {
    if (k.rfind("tag.", 0) == 0 && k.size() > 4) tag_filters.emplace_back(k.substr(4), v);
  }
  for (auto& s : engine->FindSeries(db, measurement)) {
    if (!field.empty() && s.key.field != field) continue;
    bool match = true;
    for (const auto& [k, v] : tag_filters) {
      auto it = std::find_if(s.key.tags.begin(), s.key.tags.end(),
                             [&k = k](const storage::Tag& t) { return t.first == k; });
      if (it == s.key.tags.end() || it->second != v) {
        match = false;
        break;
      }
    }
    if (match) out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

Response StatusToNative(const Status& st) {
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kMalformed:
      return NativeError(400, "invalid_argument", st.message());
    case StatusCode::kNotFound:
      return NativeError(404, "not_found", st.message());
    case StatusCode::kFailedPrecondition:
      return NativeError(503, "unavailable", st.message());
    case StatusCode::kResourceExhausted:
      return NativeError(503, "resource_exhausted", st.message());
    default:
      return NativeError(500, "internal", st.message());
  }
}

}  // namespace

void Api::ApiRead(const Caller& caller, const Params& params, const Reply& reply) {
  constexpr int64_t kDefaultLimit = 10000;
  constexpr int64_t kMaxLimit = 1000000;
  std::string_view db = params.Get("db");
  if (db.empty()) return reply(NativeError(400, "invalid_argument", "parameter db is required"));
  std::optional<Response> refusal;
  auto scope = NativeScope(caller, db, &refusal);
  if (refusal) return reply(std::move(*refusal));
  if (!DatabaseExists(db)) {
    return reply(NativeError(404, "not_found", "database not found: " + std::string(db)));
  }
  int64_t from = std::numeric_limits<int64_t>::min();
  int64_t to = std::numeric_limits<int64_t>::max();
  if (params.Has("from")) {
    Result<int64_t> t = ParseTimeParam(params.Get("from"));
    if (!t.ok()) return reply(StatusToNative(t.status()));
    from = *t;
  }
  if (params.Has("to")) {
    Result<int64_t> t = ParseTimeParam(params.Get("to"));
    if (!t.ok()) return reply(StatusToNative(t.status()));
    to = *t;
  }
  storage::ScanOrder order = storage::ScanOrder::kAscending;
  std::string_view order_text = params.Get("order");
  if (order_text == "desc") {
    order = storage::ScanOrder::kDescending;
  } else if (!order_text.empty() && order_text != "asc") {
    return reply(NativeError(400, "invalid_argument", "order must be asc or desc"));
  }
  int64_t limit = kDefaultLimit;
  if (params.Has("limit")) {
    if (!ParseInt64(params.Get("limit"), &limit) || limit <= 0 || limit > kMaxLimit) {
      return reply(
          NativeError(400, "invalid_argument",
                      "limit must be an integer in [1, " + std::to_string(kMaxLimit) + "]"));
    }
  }
  Result<std::vector<storage::SeriesInfo>> series = SelectSeries(deps_.engine, db, params, true);
  if (!series.ok()) return reply(StatusToNative(series.status()));
  if (scope && scope->read) {
    std::erase_if(*series, [&](const auto& s) { return !scope->read(db, s.key.measurement); });
  }
  std::string out = "{\"series\":[";
  for (size_t i = 0; i < series->size(); ++i) {
    const storage::SeriesInfo& s = (*series)[i];
    Result<storage::SampleRun> run =
        deps_.engine->Read(s.id, from, to, order, static_cast<size_t>(limit));
    if (!run.ok()) return reply(StatusToNative(run.status()));
    if (i) out += ',';
    AppendSeriesHead(&out, s);
    out += ",\"points\":[";
    for (size_t j = 0; j < run->ts.size(); ++j) {
      if (j) out += ',';
      out += '{';
      AppendTime(&out, run->ts[j]);
      out += ",\"value\":";
      AppendValue(&out, run->values, j);
      out += '}';
    }
    out += "]}";
  }
  out += "]}\n";
  reply(Json(200, std::move(out)));
}

void Api::ApiLatest(const Caller& caller, const Params& params, const Reply& reply) {
  std::string_view db = params.Get("db");
  if (db.empty()) return reply(NativeError(400, "invalid_argument", "parameter db is required"));
  std::optional<Response> refusal;
  auto scope = NativeScope(caller, db, &refusal);
  if (refusal) return reply(std::move(*refusal));
  if (!DatabaseExists(db)) {
    return reply(NativeError(404, "not_found", "database not found: " + std::string(db)));
  }
  Result<std::vector<storage::SeriesInfo>> series = SelectSeries(deps_.engine, db, params, false);
  if (!series.ok()) return reply(StatusToNative(series.status()));
  if (scope && scope->read) {
    std::erase_if(*series, [&](const auto& s) { return !scope->read(db, s.key.measurement); });
  }
  std::string out = "{\"series\":[";
  bool first = true;
  for (const storage::SeriesInfo& s : *series) {
    Result<std::optional<storage::Sample>> latest = deps_.engine->Latest(s.id);
    if (!latest.ok()) return reply(StatusToNative(latest.status()));
    if (!latest->has_value()) continue;
    if (!first) out += ',';
    first = false;
    AppendSeriesHead(&out, s);
    out += ',';
    AppendTime(&out, (*latest)->ts);
    out += ",\"value\":";
    AppendSampleValue(&out, (*latest)->value);
    out += '}';
  }
  out += "]}\n";
  reply(Json(200, std::move(out)));
}
}  // namespace verbund::http
