#include "query/executor.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "query/parser.h"
#include "query/regex.h"

namespace verbund::query {

using storage::SeriesInfo;
using storage::ValueType;

namespace {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min() + 2;  // models.MinNanoTime
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max() - 1;  // models.MaxNanoTime

struct TimeCell {
  int64_t ns;
};
using Cell = std::variant<std::monostate, double, int64_t, bool, std::string, TimeCell>;

bool IsNull(const Cell& c) { return std::holds_alternative<std::monostate>(c); }

// One output series (a "row" in InfluxDB's models package).
struct SeriesOut {
  std::string name;
  std::vector<storage::Tag> tags;  // sorted by key; empty = no "tags" member
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> values;
};

const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kFloat: return "float";
    case ValueType::kInt: return "integer";
    case ValueType::kBool: return "boolean";
    case ValueType::kString: return "string";
  }
  return "float";
}

std::string_view TagValue(const std::vector<storage::Tag>& tags, std::string_view key) {
  for (const auto& t : tags) {
    if (t.first == key) return t.second;
  }
  return {};
}

bool IsTimeName(std::string_view n) {
  return n.size() == 4 && (n[0] | 0x20) == 't' && (n[1] | 0x20) == 'i' && (n[2] | 0x20) == 'm' &&
         (n[3] | 0x20) == 'e';
}

// ------------------------------------------------------------------------------------------------
// Catalog view of one measurement.

struct TagSet {
  std::vector<storage::Tag> tags;                   // sorted by key
  std::map<std::string, const SeriesInfo*> fields;  // field -> series
};

struct Measurement {
  std::string name;
  std::vector<SeriesInfo> series;
  std::vector<TagSet> tagsets;               // sorted by tags
  std::set<std::string> tag_keys;
  std::map<std::string, ValueType> fields;   // first type seen wins
};

std::vector<storage::Tag> SortedTags(std::vector<storage::Tag> tags) {
  std::sort(tags.begin(), tags.end());
  return tags;
}

Measurement BuildMeasurement(std::string name, std::vector<SeriesInfo> series) {
  Measurement m;
  m.name = std::move(name);
  m.series = std::move(series);
  std::map<std::vector<storage::Tag>, size_t> index;
  for (SeriesInfo& s : m.series) s.key.tags = SortedTags(std::move(s.key.tags));
  std::sort(m.series.begin(), m.series.end(), [](const SeriesInfo& a, const SeriesInfo& b) {
    if (a.key.tags != b.key.tags) return a.key.tags < b.key.tags;
    return a.key.field < b.key.field;
  });
  for (const SeriesInfo& s : m.series) {
    auto [it, inserted] = index.emplace(s.key.tags, m.tagsets.size());
    if (inserted) m.tagsets.push_back(TagSet{s.key.tags, {}});
    m.tagsets[it->second].fields.emplace(s.key.field, &s);
    for (const auto& t : s.key.tags) m.tag_keys.insert(t.first);
    m.fields.emplace(s.key.field, s.type);
  }
  return m;
}

// Series of the measurements `sources` can name, grouped by measurement. Plain names are looked
// up one by one; a regex source (or no source at all) needs the tenant's whole catalog.
std::map<std::string, std::vector<SeriesInfo>> SeriesByMeasurement(
    storage::Engine* engine, std::string_view db, const std::vector<Source>* sources = nullptr) {
  std::map<std::string, std::vector<SeriesInfo>> out;
  bool need_all = sources == nullptr || sources->empty();
  if (sources) {
    for (const Source& s : *sources) need_all = need_all || s.is_regex;
  }
  if (need_all) {
    for (SeriesInfo& s : engine->FindSeries(db, "")) {
      out[s.key.measurement].push_back(std::move(s));
    }
    return out;
  }
  for (const Source& src : *sources) {
    if (out.count(src.name)) continue;
    std::vector<SeriesInfo> series = engine->FindSeries(db, src.name);
    if (!series.empty()) out[src.name] = std::move(series);
  }
  return out;
}

using MeasurementPtr = std::shared_ptr<const Measurement>;

}  // namespace

// Catalog views (Measurement) built from Engine::FindSeries, kept while the engine's
// CatalogVersion() is unchanged, so a query does not copy and regroup the tenant's series keys.
// Engines without a version get a fresh view per query.
class MeasurementCache {
 public:
  // The measurements `sources` name (all of the tenant's for a regex source or none), by name.
  std::map<std::string, MeasurementPtr> Resolve(storage::Engine* engine, std::string_view db,
                                                const std::vector<Source>* sources) {
    bool need_all = sources == nullptr || sources->empty();
    if (sources) {
      for (const Source& s : *sources) need_all = need_all || s.is_regex;
    }
    const std::optional<uint64_t> version = engine->CatalogVersion();
    std::map<std::string, MeasurementPtr> out;
    if (need_all) {
      if (version) {
        std::lock_guard lock(mu_);
        SyncLocked(*version);
        auto it = all_.find(db);
        if (it != all_.end()) return it->second;
      }
      for (auto& [name, series] : SeriesByMeasurement(engine, db, sources)) {
        out.emplace(name,
                    std::make_shared<const Measurement>(BuildMeasurement(name, std::move(series))));
      }
      if (version) {
        std::lock_guard lock(mu_);
        SyncLocked(*version);
        if (version_ == *version) {
          all_.emplace(std::string(db), out);
          for (const auto& [name, m] : out) one_[Key(db, name)] = m;
        }
      }
      return out;
    }
    for (const Source& src : *sources) {
      if (out.count(src.name)) continue;
      MeasurementPtr m = Get(engine, version, db, src.name);
      if (m != nullptr) out.emplace(src.name, std::move(m));
    }
    return out;
  }

 private:
  static std::string Key(std::string_view db, std::string_view name) {
    std::string k;
    k.reserve(db.size() + name.size() + 1);
    k.append(db);
    k.push_back('\0');
    k.append(name);
    return k;
  }

  // Drops every view once the catalog changed. Requires mu_.
  void SyncLocked(uint64_t version) {
    if (version_ == version) return;
    // A reader that fetched an older version must not roll the cache back.
    if (version < version_) return;
    version_ = version;
    one_.clear();
    all_.clear();
  }

  MeasurementPtr Get(storage::Engine* engine, std::optional<uint64_t> version, std::string_view db,
                     const std::string& name) {
    const std::string key = Key(db, name);
    if (version) {
      std::lock_guard lock(mu_);
      SyncLocked(*version);
      if (version_ == *version) {
        auto it = one_.find(key);
        if (it != one_.end()) return it->second;
      }
    }
    // Built from series read after `version` was taken: never older than that version.
    std::vector<SeriesInfo> series = engine->FindSeries(db, name);
    MeasurementPtr m;
    if (!series.empty()) {
      m = std::make_shared<const Measurement>(BuildMeasurement(name, std::move(series)));
    }
    if (version) {
      std::lock_guard lock(mu_);
      SyncLocked(*version);
      if (version_ == *version) one_[key] = m;  // a missing measurement is cached as nullptr
    }
    return m;
  }

  std::mutex mu_;
  uint64_t version_ = 0;                                 // guarded by mu_
  std::unordered_map<std::string, MeasurementPtr> one_;  // db\0name; guarded by mu_
  std::map<std::string, std::map<std::string, MeasurementPtr>, std::less<>> all_;  // guarded by mu_
};

namespace {

// ------------------------------------------------------------------------------------------------
// Condition evaluation (three-valued: a condition over fields is "unknown" at series level).

struct EvalValue {
  enum Kind { kNull, kUnknown, kFloat, kInt, kBool, kString, kRegex } kind = kNull;
  double f = 0;
  int64_t i = 0;
  bool b = false;
  bool is_time = false;  // the value is `time` (strings compared with it are parsed as times)
  std::string_view s;
  const Regex* re = nullptr;
};

struct CompiledRegexes {
  std::unordered_map<const Expr*, Regex> by_expr;
};

Status CompileRegexes(const Expr* e, CompiledRegexes* out) {
  if (!e) return Status::OK();
  if (e->kind == Expr::Kind::kRegex) {
    ASSIGN_OR_RETURN(Regex re, Regex::Compile(e->text));
    out->by_expr.emplace(e, std::move(re));
  }
  RETURN_IF_ERROR(CompileRegexes(e->lhs.get(), out));
  RETURN_IF_ERROR(CompileRegexes(e->rhs.get(), out));
  for (const auto& a : e->args) RETURN_IF_ERROR(CompileRegexes(a.get(), out));
  return Status::OK();
}

// The row an expression is evaluated against; fields are looked up by name.
struct RowContext {
  const std::vector<storage::Tag>* tags = nullptr;
  bool has_row = false;
  int64_t time = 0;
  const std::vector<std::string>* field_names = nullptr;  // parallel to field_values
  const std::vector<Cell>* field_values = nullptr;
};

class Evaluator {
 public:
  Evaluator(const Measurement* m, const CompiledRegexes* regexes, int64_t now,
            bool refs_are_tags = false)
      : m_(m), regexes_(regexes), now_(now), refs_are_tags_(refs_are_tags) {}

  bool IsTag(const Expr& ref) const {
    if (ref.ref_type == RefType::kTag || refs_are_tags_) return true;
    if (ref.ref_type != RefType::kUnknown) return false;
    if (!m_) return false;
    return m_->tag_keys.count(ref.name) > 0 && m_->fields.count(ref.name) == 0;
  }

  EvalValue Eval(const Expr& e, const RowContext& ctx) const {
    EvalValue v;
    switch (e.kind) {
      case Expr::Kind::kParen: return Eval(*e.lhs, ctx);
      case Expr::Kind::kVarRef: {
        if (IsTimeName(e.name)) {
          if (!ctx.has_row) return Unknown();
          v.kind = EvalValue::kInt;
          v.i = ctx.time;
          v.is_time = true;
          return v;
        }
        if (IsTag(e)) {
          v.kind = EvalValue::kString;
          v.s = ctx.tags ? TagValue(*ctx.tags, e.name) : std::string_view();
          return v;
        }
        if (!ctx.has_row || !ctx.field_names) return Unknown();
        for (size_t k = 0; k < ctx.field_names->size(); ++k) {
          if ((*ctx.field_names)[k] == e.name) return FromCell((*ctx.field_values)[k]);
        }
        return v;  // null
      }
      case Expr::Kind::kNumber: v.kind = EvalValue::kFloat; v.f = e.number; return v;
      case Expr::Kind::kInteger: v.kind = EvalValue::kInt; v.i = e.integer; return v;
      case Expr::Kind::kDuration: v.kind = EvalValue::kInt; v.i = e.integer; return v;
      case Expr::Kind::kString: v.kind = EvalValue::kString; v.s = e.text; return v;
      case Expr::Kind::kBool: v.kind = EvalValue::kBool; v.b = e.boolean; return v;
      case Expr::Kind::kRegex: {
        v.kind = EvalValue::kRegex;
        auto it = regexes_->by_expr.find(&e);
        v.re = it == regexes_->by_expr.end() ? nullptr : &it->second;
        return v;
      }
      case Expr::Kind::kCall:
        if (e.name == "now" && e.args.empty()) {
          v.kind = EvalValue::kInt;
          v.i = now_;
          v.is_time = true;
          return v;
        }
        return v;
      case Expr::Kind::kWildcard: return v;
      case Expr::Kind::kBinary: return EvalBinary(e, ctx);
    }
    return v;
  }

  // Condition truth: 1 true, 0 false, -1 unknown.
  int Truth(const Expr* cond, const RowContext& ctx) const {
    if (!cond) return 1;
    EvalValue v = Eval(*cond, ctx);
    if (v.kind == EvalValue::kUnknown) return -1;
    return v.kind == EvalValue::kBool && v.b ? 1 : 0;
  }

  static EvalValue FromCell(const Cell& c) {
    EvalValue v;
    if (auto* d = std::get_if<double>(&c)) {
      v.kind = EvalValue::kFloat;
      v.f = *d;
    } else if (auto* i = std::get_if<int64_t>(&c)) {
      v.kind = EvalValue::kInt;
      v.i = *i;
    } else if (auto* b = std::get_if<bool>(&c)) {
      v.kind = EvalValue::kBool;
      v.b = *b;
    } else if (auto* s = std::get_if<std::string>(&c)) {
      v.kind = EvalValue::kString;
      v.s = *s;
    }
    return v;
  }

 private:
  static EvalValue Unknown() {
    EvalValue v;
    v.kind = EvalValue::kUnknown;
    return v;
  }
  static EvalValue Bool(bool b) {
    EvalValue v;
    v.kind = EvalValue::kBool;
    v.b = b;
    return v;
  }

  EvalValue EvalBinary(const Expr& e, const RowContext& ctx) const {
    if (e.op == BinaryOp::kAnd || e.op == BinaryOp::kOr) {
      EvalValue l = Eval(*e.lhs, ctx);
      EvalValue r = Eval(*e.rhs, ctx);
      auto tri = [](const EvalValue& x) {
        if (x.kind == EvalValue::kUnknown) return -1;
        return x.kind == EvalValue::kBool && x.b ? 1 : 0;
      };
      int a = tri(l), b = tri(r);
      if (e.op == BinaryOp::kAnd) {
        if (a == 0 || b == 0) return Bool(false);
        if (a < 0 || b < 0) return Unknown();
        return Bool(true);
      }
      if (a == 1 || b == 1) return Bool(true);
      if (a < 0 || b < 0) return Unknown();
      return Bool(false);
    }
    EvalValue l = Eval(*e.lhs, ctx);
    EvalValue r = Eval(*e.rhs, ctx);
    if (l.kind == EvalValue::kUnknown || r.kind == EvalValue::kUnknown) return Unknown();
    switch (e.op) {
      case BinaryOp::kAdd: case BinaryOp::kSub: case BinaryOp::kMul: case BinaryOp::kDiv:
      case BinaryOp::kMod: case BinaryOp::kBitAnd: case BinaryOp::kBitOr: case BinaryOp::kBitXor:
        return Arith(e.op, l, r);
      case BinaryOp::kEqRegex: case BinaryOp::kNeqRegex: {
        if (r.kind != EvalValue::kRegex || l.kind != EvalValue::kString || !r.re) return Bool(false);
        bool m = r.re->Match(l.s);
        return Bool(e.op == BinaryOp::kEqRegex ? m : !m);
      }
      default: break;
    }
    // Comparison. A string compared with time is a time literal.
    if (l.is_time && r.kind == EvalValue::kString) r = TimeFromString(r);
    if (r.is_time && l.kind == EvalValue::kString) l = TimeFromString(l);
    int cmp;
    if ((l.kind == EvalValue::kInt || l.kind == EvalValue::kFloat) &&
        (r.kind == EvalValue::kInt || r.kind == EvalValue::kFloat)) {
      if (l.kind == EvalValue::kInt && r.kind == EvalValue::kInt) {
        cmp = l.i < r.i ? -1 : (l.i > r.i ? 1 : 0);
      } else {
        double a = l.kind == EvalValue::kInt ? static_cast<double>(l.i) : l.f;
        double b = r.kind == EvalValue::kInt ? static_cast<double>(r.i) : r.f;
        if (std::isnan(a) || std::isnan(b)) return Bool(e.op == BinaryOp::kNeq);
        cmp = a < b ? -1 : (a > b ? 1 : 0);
      }
    } else if (l.kind == EvalValue::kString && r.kind == EvalValue::kString) {
      // InfluxQL only tests strings for (in)equality; ordering comparisons never match.
      if (e.op == BinaryOp::kEq) return Bool(l.s == r.s);
      if (e.op == BinaryOp::kNeq) return Bool(l.s != r.s);
      return Bool(false);
    } else if (l.kind == EvalValue::kBool && r.kind == EvalValue::kBool) {
      if (e.op == BinaryOp::kEq) return Bool(l.b == r.b);
      if (e.op == BinaryOp::kNeq) return Bool(l.b != r.b);
      return Bool(false);
    } else {
      return Bool(false);  // null or incompatible types never match
    }
    switch (e.op) {
      case BinaryOp::kEq: return Bool(cmp == 0);
      case BinaryOp::kNeq: return Bool(cmp != 0);
      case BinaryOp::kLt: return Bool(cmp < 0);
      case BinaryOp::kLte: return Bool(cmp <= 0);
      case BinaryOp::kGt: return Bool(cmp > 0);
      case BinaryOp::kGte: return Bool(cmp >= 0);
      default: return Bool(false);
    }
  }

  static EvalValue TimeFromString(const EvalValue& s) {
    EvalValue v;
    auto t = ParseTimeString(s.s);
    if (!t.ok()) return v;  // null: never matches
    v.kind = EvalValue::kInt;
    v.i = *t;
    v.is_time = true;
    return v;
  }

  static EvalValue Arith(BinaryOp op, const EvalValue& l, const EvalValue& r) {
    EvalValue v;
    bool time = l.is_time || r.is_time;
    if (l.kind == EvalValue::kInt && r.kind == EvalValue::kInt) {
      v.kind = EvalValue::kInt;
      v.is_time = time;
      int64_t out = 0;
      switch (op) {
        case BinaryOp::kAdd: if (__builtin_add_overflow(l.i, r.i, &out)) out = l.i > 0 ? kMaxTime : kMinTime; break;
        case BinaryOp::kSub: if (__builtin_sub_overflow(l.i, r.i, &out)) out = l.i > 0 ? kMaxTime : kMinTime; break;
        case BinaryOp::kMul: if (__builtin_mul_overflow(l.i, r.i, &out)) out = 0; break;
        case BinaryOp::kDiv:
          v.kind = EvalValue::kFloat;
          v.f = r.i == 0 ? 0 : static_cast<double>(l.i) / static_cast<double>(r.i);
          return v;
        case BinaryOp::kMod: out = r.i == 0 ? 0 : l.i % r.i; break;
        case BinaryOp::kBitAnd: out = l.i & r.i; break;
        case BinaryOp::kBitOr: out = l.i | r.i; break;
        case BinaryOp::kBitXor: out = l.i ^ r.i; break;
        default: break;
      }
      v.i = out;
      return v;
    }
    if ((l.kind == EvalValue::kInt || l.kind == EvalValue::kFloat) &&
        (r.kind == EvalValue::kInt || r.kind == EvalValue::kFloat)) {
      double a = l.kind == EvalValue::kInt ? static_cast<double>(l.i) : l.f;
      double b = r.kind == EvalValue::kInt ? static_cast<double>(r.i) : r.f;
      v.kind = EvalValue::kFloat;
      switch (op) {
        case BinaryOp::kAdd: v.f = a + b; break;
        case BinaryOp::kSub: v.f = a - b; break;
        case BinaryOp::kMul: v.f = a * b; break;
        case BinaryOp::kDiv: v.f = b == 0 ? 0 : a / b; break;
        case BinaryOp::kMod: v.f = b == 0 ? 0 : std::fmod(a, b); break;
        default: v.kind = EvalValue::kNull; break;
      }
      if (time && v.kind == EvalValue::kFloat) {
        v.kind = EvalValue::kInt;
        v.i = static_cast<int64_t>(v.f);
        v.is_time = true;
      }
      return v;
    }
    return v;
  }

  const Measurement* m_;
  const CompiledRegexes* regexes_;
  int64_t now_;
  bool refs_are_tags_;
};

// ------------------------------------------------------------------------------------------------
// Time range of a WHERE clause.

struct TimeRange {
  int64_t min = kMinTime;
  int64_t max = kMaxTime;
  bool min_set = false, max_set = false;
};

bool RefersTo(const Expr* e, bool (*pred)(const Expr&)) {
  if (!e) return false;
  if (pred(*e)) return true;
  if (RefersTo(e->lhs.get(), pred) || RefersTo(e->rhs.get(), pred)) return true;
  for (const auto& a : e->args) {
    if (RefersTo(a.get(), pred)) return true;
  }
  return false;
}

bool IsTimeRef(const Expr& e) { return e.kind == Expr::Kind::kVarRef && IsTimeName(e.name); }

bool IsComparison(BinaryOp op) {
  return op == BinaryOp::kEq || op == BinaryOp::kNeq || op == BinaryOp::kLt ||
         op == BinaryOp::kLte || op == BinaryOp::kGt || op == BinaryOp::kGte;
}

const Expr* StripParens(const Expr* e) {
  while (e && e->kind == Expr::Kind::kParen) e = e->lhs.get();
  return e;
}

// Evaluates a time literal expression (now() - 1h, '2020-01-01T00:00:00Z', 1500000000000ms...).
Result<int64_t> TimeLiteral(const Expr& e, const Evaluator& ev) {
  RowContext none;
  EvalValue v = ev.Eval(e, none);
  if (v.kind == EvalValue::kString) {
    auto t = ParseTimeString(v.s);
    if (!t.ok()) return InvalidArgument("invalid operation: time and *influxql.StringLiteral are not compatible");
    return *t;
  }
  if (v.kind == EvalValue::kInt) return v.i;
  if (v.kind == EvalValue::kFloat) return static_cast<int64_t>(v.f);
  return InvalidArgument("invalid time comparison: " + ExprToString(e));
}

Result<TimeRange> ExtractTimeRange(const Expr* cond, const Evaluator& ev) {
  TimeRange r;
  cond = StripParens(cond);
  if (!cond || cond->kind != Expr::Kind::kBinary) return r;
  if (cond->op == BinaryOp::kAnd || cond->op == BinaryOp::kOr) {
    ASSIGN_OR_RETURN(TimeRange a, ExtractTimeRange(cond->lhs.get(), ev));
    ASSIGN_OR_RETURN(TimeRange b, ExtractTimeRange(cond->rhs.get(), ev));
    if (cond->op == BinaryOp::kAnd) {
      r.min = std::max(a.min, b.min);
      r.max = std::min(a.max, b.max);
      r.min_set = a.min_set || b.min_set;
      r.max_set = a.max_set || b.max_set;
    } else {
      r.min = std::min(a.min, b.min);
      r.max = std::max(a.max, b.max);
      r.min_set = a.min_set && b.min_set;
      r.max_set = a.max_set && b.max_set;
      if (!r.min_set) r.min = kMinTime;
      if (!r.max_set) r.max = kMaxTime;
    }
    return r;
  }
  if (!IsComparison(cond->op)) return r;
  const Expr* l = StripParens(cond->lhs.get());
  const Expr* rr = StripParens(cond->rhs.get());
  BinaryOp op = cond->op;
  if (!IsTimeRef(*l)) {
    if (!IsTimeRef(*rr)) return r;
    std::swap(l, rr);
    switch (op) {  // mirror: 5 < time  ==  time > 5
      case BinaryOp::kLt: op = BinaryOp::kGt; break;
      case BinaryOp::kLte: op = BinaryOp::kGte; break;
      case BinaryOp::kGt: op = BinaryOp::kLt; break;
      case BinaryOp::kGte: op = BinaryOp::kLte; break;
      default: break;
    }
  }
  ASSIGN_OR_RETURN(int64_t t, TimeLiteral(*rr, ev));
  switch (op) {
    case BinaryOp::kGt: r.min = t == kMaxTime ? t : t + 1; r.min_set = true; break;
    case BinaryOp::kGte: r.min = t; r.min_set = true; break;
    case BinaryOp::kLt: r.max = t == kMinTime ? t : t - 1; r.max_set = true; break;
    case BinaryOp::kLte: r.max = t; r.max_set = true; break;
    case BinaryOp::kEq:
      r.min = r.max = t;
      r.min_set = r.max_set = true;
      break;
    default: break;
  }
  r.min = std::max(r.min, kMinTime);
  r.max = std::min(r.max, kMaxTime);
  return r;
}

// True when `time` only appears in conjuncts at the top AND level (so the extracted range is
// exactly the time part of the condition and rows need no per-point time check).
bool TimeOnlyAtTopLevel(const Expr* e) {
  e = StripParens(e);
  if (!e) return true;
  if (e->kind == Expr::Kind::kBinary && e->op == BinaryOp::kAnd) {
    return TimeOnlyAtTopLevel(e->lhs.get()) && TimeOnlyAtTopLevel(e->rhs.get());
  }
  if (e->kind == Expr::Kind::kBinary && IsComparison(e->op)) {
    const Expr* l = StripParens(e->lhs.get());
    const Expr* r = StripParens(e->rhs.get());
    if (IsTimeRef(*l) || IsTimeRef(*r)) return e->op != BinaryOp::kNeq;
  }
  return !RefersTo(e, IsTimeRef);
}

// ------------------------------------------------------------------------------------------------
// Reading samples.

Cell CellAt(const storage::ValueColumn& col, size_t i) {
  switch (col.index()) {
    case 0: return std::get<0>(col)[i];
    case 1: return std::get<1>(col)[i];
    case 2: return std::get<2>(col)[i] != 0;
    default: return std::get<3>(col)[i];
  }
}


// Rows of one tag set: the union of timestamps of the requested fields, values aligned.
struct JoinedRows {
  std::vector<int64_t> ts;
  std::vector<std::vector<Cell>> values;  // values[row][field]
};

class ReadBudget {
 public:
  explicit ReadBudget(size_t max) : max_(max) {}
  Status Charge(size_t n) {
    used_ += n;
    if (max_ != 0 && used_ > max_) {
      return InvalidArgument("max-select-point limit exceeed: (" + std::to_string(used_) + "/" +
                             std::to_string(max_) + ")");
    }
    return Status::OK();
  }

 private:
  size_t max_;
  size_t used_ = 0;
};

// A top-level conjunct `field <op> number` of a WHERE clause. A row satisfies the clause only
// if it has a value of `field` that satisfies the comparison (a missing value compares false),
// so rows can be pre-selected on that field's column before they are joined and evaluated.
struct FieldFilter {
  std::string field;
  BinaryOp op = BinaryOp::kEq;
  bool is_int = false;  // the literal is an integer
  int64_t i = 0;
  double f = 0;

  template <typename T>
  static bool Cmp(BinaryOp op, T a, T b) {
    switch (op) {
      case BinaryOp::kEq:
        return a == b;
      case BinaryOp::kNeq:
        return a != b;
      case BinaryOp::kLt:
        return a < b;
      case BinaryOp::kLte:
        return a <= b;
      case BinaryOp::kGt:
        return a > b;
      case BinaryOp::kGte:
        return a >= b;
      default:
        return false;
    }
  }
  // The same results as Evaluator's comparison of a number with this literal.
  bool Passes(double x) const {
    const double b = is_int ? static_cast<double>(i) : f;
    if (std::isnan(x) || std::isnan(b)) return op == BinaryOp::kNeq;
    return Cmp(op, x, b);
  }
  bool Passes(int64_t x) const {
    if (is_int) return Cmp(op, x, i);
    if (std::isnan(f)) return op == BinaryOp::kNeq;
    return Cmp(op, static_cast<double>(x), f);
  }
};

void CollectFieldFilters(const Expr* e, const Evaluator& ev, std::vector<FieldFilter>* out) {
  if (!e) return;
  if (e->kind == Expr::Kind::kParen) return CollectFieldFilters(e->lhs.get(), ev, out);
  if (e->kind != Expr::Kind::kBinary) return;
  if (e->op == BinaryOp::kAnd) {
    CollectFieldFilters(e->lhs.get(), ev, out);
    CollectFieldFilters(e->rhs.get(), ev, out);
    return;
  }
  switch (e->op) {
    case BinaryOp::kEq:
    case BinaryOp::kNeq:
    case BinaryOp::kLt:
    case BinaryOp::kLte:
    case BinaryOp::kGt:
    case BinaryOp::kGte:
      break;
    default:
      return;
  }
  const Expr* l = e->lhs.get();
  const Expr* r = e->rhs.get();
  if (!l || !r || l->kind != Expr::Kind::kVarRef || IsTimeName(l->name) || ev.IsTag(*l)) return;
  if (l->ref_type != RefType::kUnknown && l->ref_type != RefType::kField) return;
  FieldFilter f;
  f.field = l->name;
  f.op = e->op;
  if (r->kind == Expr::Kind::kNumber) {
    f.f = r->number;
  } else if (r->kind == Expr::Kind::kInteger) {
    f.is_int = true;
    f.i = r->integer;
  } else {
    return;
  }
  out->push_back(std::move(f));
}

// Timestamps (in run order) of the samples of `run` passing `f`; nullopt if the column is not
// numeric (no pre-selection possible).
std::optional<std::vector<int64_t>> PassingTimes(const storage::SampleRun& run,
                                                 const FieldFilter& f) {
  std::vector<int64_t> out;
  if (const auto* d = std::get_if<std::vector<double>>(&run.values)) {
    for (size_t k = 0; k < d->size(); ++k) {
      if (f.Passes((*d)[k])) out.push_back(run.ts[k]);
    }
    return out;
  }
  if (const auto* n = std::get_if<std::vector<int64_t>>(&run.values)) {
    for (size_t k = 0; k < n->size(); ++k) {
      if (f.Passes((*n)[k])) out.push_back(run.ts[k]);
    }
    return out;
  }
  return std::nullopt;
}

// `filters` (may be empty) pre-select rows: only rows passing all of them are returned (the
// caller still evaluates the whole condition on them).
Result<JoinedRows> ReadJoined(storage::Engine* engine, const TagSet& ts,
                              const std::vector<std::string>& fields, int64_t tmin, int64_t tmax,
                              bool desc, size_t limit, ReadBudget* budget,
                              const std::vector<FieldFilter>& filters = {}) {
  std::vector<storage::SampleRun> runs(fields.size());
  std::vector<bool> present(fields.size(), false);
  for (size_t f = 0; f < fields.size(); ++f) {
    auto it = ts.fields.find(fields[f]);
    if (it == ts.fields.end()) continue;
    auto run = engine->Read(it->second->id, tmin, tmax + 1,
                            desc ? storage::ScanOrder::kDescending : storage::ScanOrder::kAscending,
                            limit);
    if (!run.ok()) return run.status();
    runs[f] = std::move(run).value();
    present[f] = true;
    RETURN_IF_ERROR(budget->Charge(runs[f].ts.size()));
  }
  JoinedRows out;
  std::vector<size_t> pos(fields.size(), 0);
  std::optional<std::vector<int64_t>> candidates;
  for (const FieldFilter& flt : filters) {
    const size_t f =
        static_cast<size_t>(std::find(fields.begin(), fields.end(), flt.field) - fields.begin());
    if (f == fields.size()) continue;
    if (!present[f]) return out;  // no value of the field: no row can pass
    std::optional<std::vector<int64_t>> pass = PassingTimes(runs[f], flt);
    if (!pass) continue;
    if (!candidates) {
      candidates = std::move(pass);
      continue;
    }
    std::vector<int64_t> both;
    if (desc) {
      std::set_intersection(candidates->begin(), candidates->end(), pass->begin(), pass->end(),
                            std::back_inserter(both), std::greater<>());
    } else {
      std::set_intersection(candidates->begin(), candidates->end(), pass->begin(), pass->end(),
                            std::back_inserter(both));
    }
    candidates = std::move(both);
  }
  if (candidates) {
    for (int64_t t : *candidates) {
      std::vector<Cell> row(fields.size());
      for (size_t f = 0; f < fields.size(); ++f) {
        if (!present[f]) continue;
        const auto& rts = runs[f].ts;
        while (pos[f] < rts.size() && (desc ? rts[pos[f]] > t : rts[pos[f]] < t)) ++pos[f];
        if (pos[f] < rts.size() && rts[pos[f]] == t) {
          row[f] = CellAt(runs[f].values, pos[f]);
          ++pos[f];
        }
      }
      out.ts.push_back(t);
      out.values.push_back(std::move(row));
      if (limit != 0 && out.ts.size() >= limit) break;
    }
    return out;
  }
  for (;;) {
    bool any = false;
    int64_t next = 0;
    for (size_t f = 0; f < fields.size(); ++f) {
      if (!present[f] || pos[f] >= runs[f].ts.size()) continue;
      int64_t t = runs[f].ts[pos[f]];
      if (!any || (desc ? t > next : t < next)) next = t;
      any = true;
    }
    if (!any) break;
    std::vector<Cell> row(fields.size());
    for (size_t f = 0; f < fields.size(); ++f) {
      if (!present[f]) continue;
      // Equal timestamps inside one run (should not happen) are consumed one per row.
      if (pos[f] < runs[f].ts.size() && runs[f].ts[pos[f]] == next) {
        row[f] = CellAt(runs[f].values, pos[f]);
        ++pos[f];
      }
    }
    out.ts.push_back(next);
    out.values.push_back(std::move(row));
    if (limit != 0 && out.ts.size() >= limit) break;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// SELECT compilation.

enum class Func { kCount, kSum, kMean, kMedian, kMin, kMax, kFirst, kLast, kSpread, kStddev,
                  kPercentile };

std::optional<Func> LookupFunc(std::string_view n) {
  if (n == "count") return Func::kCount;
  if (n == "sum") return Func::kSum;
  if (n == "mean") return Func::kMean;
  if (n == "median") return Func::kMedian;
  if (n == "min") return Func::kMin;
  if (n == "max") return Func::kMax;
  if (n == "first") return Func::kFirst;
  if (n == "last") return Func::kLast;
  if (n == "spread") return Func::kSpread;
  if (n == "stddev") return Func::kStddev;
  if (n == "percentile") return Func::kPercentile;
  return std::nullopt;
}

bool IsSelector(Func f) {
  return f == Func::kMin || f == Func::kMax || f == Func::kFirst || f == Func::kLast ||
         f == Func::kPercentile;
}
bool NumericOnly(Func f) { return f != Func::kCount && f != Func::kFirst && f != Func::kLast; }

bool KnownUnsupported(std::string_view n) {
  static constexpr std::string_view kNames[] = {
      "distinct", "mode", "integral", "moving_average", "cumulative_sum", "elapsed", "top", "bottom",
      "sample", "holt_winters", "holt_winters_with_fit", "exponential_moving_average",
      "double_exponential_moving_average", "triple_exponential_moving_average",
      "relative_strength_index", "triple_exponential_derivative", "kaufmans_efficiency_ratio",
      "kaufmans_adaptive_moving_average", "chande_momentum_oscillator", "abs", "sin", "cos", "tan",
      "asin", "acos", "atan", "atan2", "exp", "ln", "log", "log2", "log10", "sqrt", "pow", "floor",
      "ceil", "round"};
  for (auto k : kNames) {
    if (k == n) return true;
  }
  return false;
}

// A data-producing leaf of a column expression: a raw field/tag, or an aggregate call.
struct Leaf {
  bool is_call = false;
  bool is_tag = false;
  std::string name;  // field or tag
  Func func = Func::kCount;
  double percentile = 0;
};

// derivative() and friends: computed over a column's values after rows are built.
enum class Transform { kNone, kDerivative, kNonNegativeDerivative, kDifference,
                       kNonNegativeDifference };

std::optional<Transform> LookupTransform(std::string_view n) {
  if (n == "derivative") return Transform::kDerivative;
  if (n == "non_negative_derivative") return Transform::kNonNegativeDerivative;
  if (n == "difference") return Transform::kDifference;
  if (n == "non_negative_difference") return Transform::kNonNegativeDifference;
  return std::nullopt;
}

struct Column {
  std::string name;
  ExprPtr expr;  // over leaves (VarRef/Call nodes map to leaf indices via leaf_of)
  Transform transform = Transform::kNone;
  int64_t unit = 0;  // derivative unit; 0 = default (1s raw, the GROUP BY interval otherwise)
};

struct CompiledSelect {
  std::vector<Leaf> leaves;
  std::vector<Column> columns;
  std::unordered_map<const Expr*, size_t> leaf_of;
  bool aggregate = false;
  bool has_transform = false;
  std::vector<std::string> field_names;  // distinct fields read (leaves + condition)
};

// Replaces transformed columns by their derivative/difference over the previous non-null value
// of the same column; rows (ascending by time) where every column ends up null are dropped, as
// are rows before `keep_from` (the extra bucket read only to seed the first difference).
void ApplyTransforms(const CompiledSelect& c, int64_t default_unit, int64_t keep_from,
                     std::vector<std::vector<Cell>>* rows) {
  auto time_of = [](const std::vector<Cell>& r) { return std::get<TimeCell>(r[0]).ns; };
  for (size_t col = 0; col < c.columns.size(); ++col) {
    const Column& column = c.columns[col];
    if (column.transform == Transform::kNone) continue;
    const size_t k = col + 1;  // cell index (0 is time)
    bool have_prev = false;
    int64_t prev_t = 0;
    Cell prev_v;
    for (auto& row : *rows) {
      Cell v = row[k];
      row[k] = std::monostate{};
      EvalValue cur = Evaluator::FromCell(v);
      if (cur.kind != EvalValue::kInt && cur.kind != EvalValue::kFloat) continue;
      const int64_t t = time_of(row);
      if (have_prev && t == prev_t) continue;  // a second point at the same time is ignored
      if (have_prev) {
        EvalValue pv = Evaluator::FromCell(prev_v);
        const bool both_int = cur.kind == EvalValue::kInt && pv.kind == EvalValue::kInt;
        double a = cur.kind == EvalValue::kInt ? static_cast<double>(cur.i) : cur.f;
        double b = pv.kind == EvalValue::kInt ? static_cast<double>(pv.i) : pv.f;
        switch (column.transform) {
          case Transform::kDerivative:
          case Transform::kNonNegativeDerivative: {
            const int64_t unit = column.unit != 0 ? column.unit : default_unit;
            const int64_t elapsed = t > prev_t ? t - prev_t : prev_t - t;
            double d = (a - b) / (static_cast<double>(elapsed) / static_cast<double>(unit));
            if (column.transform == Transform::kDerivative || d >= 0) row[k] = d;
            break;
          }
          case Transform::kDifference:
          case Transform::kNonNegativeDifference: {
            if (both_int) {
              int64_t d = cur.i - pv.i;
              if (column.transform == Transform::kDifference || d >= 0) row[k] = d;
            } else {
              double d = a - b;
              if (column.transform == Transform::kDifference || d >= 0) row[k] = d;
            }
            break;
          }
          case Transform::kNone: break;
        }
      }
      have_prev = true;
      prev_t = t;
      prev_v = std::move(v);
    }
  }
  std::vector<std::vector<Cell>> kept;
  for (auto& row : *rows) {
    if (time_of(row) < keep_from) continue;  // (ascending rows only use keep_from)
    bool any = false;
    for (size_t i = 1; i < row.size(); ++i) any = any || !IsNull(row[i]);
    if (any) kept.push_back(std::move(row));
  }
  *rows = std::move(kept);
}

std::string ExprName(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kVarRef: return e.name;
    case Expr::Kind::kCall: return e.name;
    case Expr::Kind::kParen: return ExprName(*e.lhs);
    case Expr::Kind::kBinary: {
      std::string l = ExprName(*e.lhs), r = ExprName(*e.rhs);
      if (!l.empty() && !r.empty()) return l + "_" + r;
      return l.empty() ? r : l;
    }
    default: return "";
  }
}

bool ContainsCall(const Expr& e) {
  if (e.kind == Expr::Kind::kCall && e.name != "now") return true;
  if (e.lhs && ContainsCall(*e.lhs)) return true;
  if (e.rhs && ContainsCall(*e.rhs)) return true;
  return false;
}
bool ContainsVarOutsideCall(const Expr& e) {
  if (e.kind == Expr::Kind::kVarRef || e.kind == Expr::Kind::kWildcard) return true;
  if (e.kind == Expr::Kind::kCall) return false;
  if (e.lhs && ContainsVarOutsideCall(*e.lhs)) return true;
  if (e.rhs && ContainsVarOutsideCall(*e.rhs)) return true;
  return false;
}

void CollectFieldRefs(const Expr* e, const Evaluator& ev, std::set<std::string>* out) {
  if (!e) return;
  if (e->kind == Expr::Kind::kVarRef && !IsTimeName(e->name) && !ev.IsTag(*e)) {
    out->insert(e->name);
  }
  CollectFieldRefs(e->lhs.get(), ev, out);
  CollectFieldRefs(e->rhs.get(), ev, out);
  for (const auto& a : e->args) CollectFieldRefs(a.get(), ev, out);
}

bool HasFieldRefs(const Expr* cond, const Evaluator& ev) {
  std::set<std::string> f;
  CollectFieldRefs(cond, ev, &f);
  return !f.empty();
}

Status ValidateCall(const Expr& call) {
  auto f = LookupFunc(call.name);
  if (!f) {
    if (KnownUnsupported(call.name)) {
      return InvalidArgument("unsupported function: " + call.name + "()");
    }
    return InvalidArgument("undefined function " + call.name + "()");
  }
  size_t want = *f == Func::kPercentile ? 2 : 1;
  if (call.args.size() != want) {
    return InvalidArgument("invalid number of arguments for " + call.name + ", expected " +
                           std::to_string(want) + ", got " + std::to_string(call.args.size()));
  }
  const Expr& arg = *call.args[0];
  if (arg.kind != Expr::Kind::kVarRef && arg.kind != Expr::Kind::kWildcard &&
      arg.kind != Expr::Kind::kRegex) {
    return InvalidArgument("expected field argument in " + call.name + "()");
  }
  if (*f == Func::kPercentile) {
    const Expr& p = *call.args[1];
    if (p.kind != Expr::Kind::kNumber && p.kind != Expr::Kind::kInteger) {
      return InvalidArgument("expected float argument in percentile()");
    }
  }
  return Status::OK();
}

// Expands wildcards and regexes, names columns like InfluxDB, and maps leaves.
// Fields and tag keys a wildcard expands to: with several measurements in FROM, InfluxDB uses
// the union over all of them for every measurement.
struct WildcardUniverse {
  std::map<std::string, ValueType> fields;
  std::set<std::string> tag_keys;
};

Result<CompiledSelect> CompileSelect(const SelectStatement& s, const Measurement& m,
                                     const std::set<std::string>& group_tags,
                                     const Evaluator& ev, const CompiledRegexes& regexes,
                                     const WildcardUniverse* universe = nullptr) {
  const std::map<std::string, ValueType>& wfields = universe ? universe->fields : m.fields;
  const std::set<std::string>& wtags = universe ? universe->tag_keys : m.tag_keys;
  CompiledSelect c;
  if (s.group_by.multiple_intervals) {
    return InvalidArgument("multiple time dimensions not allowed");
  }

  struct Pending {
    ExprPtr expr;
    std::string alias;
    std::string generated;
    Transform transform = Transform::kNone;
    int64_t unit = 0;
  };
  std::vector<Pending> pending;
  bool saw_aggregate_wildcard = false;  // mean(*) counts as an aggregate even if it expands to nothing
  auto field_type_ok = [&](Func fn, ValueType t) {
    return !NumericOnly(fn) || t == ValueType::kFloat || t == ValueType::kInt;
  };
  for (const SelectField& f : s.fields) {
    const Expr& e = *f.expr;
    if (e.kind == Expr::Kind::kWildcard) {
      std::set<std::string> names;
      if (e.ref_type != RefType::kTag) {
        for (const auto& [name, t] : wfields) names.insert(name);
      }
      if (e.ref_type != RefType::kField) {
        for (const auto& k : wtags) {
          if (!group_tags.count(k)) names.insert(k);
        }
      }
      for (const auto& n : names) {
        auto ref = std::make_unique<Expr>();
        ref->kind = Expr::Kind::kVarRef;
        ref->name = n;
        if (wtags.count(n) && !wfields.count(n)) ref->ref_type = RefType::kTag;
        pending.push_back({std::move(ref), "", n});
      }
      continue;
    }
    if (e.kind == Expr::Kind::kCall) {
      if (auto tr = LookupTransform(e.name)) {
        const bool is_derivative =
            *tr == Transform::kDerivative || *tr == Transform::kNonNegativeDerivative;
        if (is_derivative ? (e.args.empty() || e.args.size() > 2) : e.args.size() != 1) {
          return InvalidArgument(
              "invalid number of arguments for " + e.name + ", expected " +
              (is_derivative ? std::string("at least 1 but no more than 2") : std::string("1")) +
              ", got " + std::to_string(e.args.size()));
        }
        const Expr& inner = *e.args[0];
        int64_t unit = 0;
        if (e.args.size() == 2) {
          if (e.args[1]->kind != Expr::Kind::kDuration || e.args[1]->integer <= 0) {
            return InvalidArgument("second argument to " + e.name + " must be a duration, got " +
                                   ExprToString(*e.args[1]));
          }
          unit = e.args[1]->integer;
        }
        const bool inner_call = inner.kind == Expr::Kind::kCall;
        if (!inner_call && inner.kind != Expr::Kind::kVarRef) {
          return InvalidArgument("expected field argument in " + e.name + "()");
        }
        if (inner_call) {
          if (LookupTransform(inner.name)) {
            return InvalidArgument("unsupported nesting of " + inner.name + "() in " + e.name +
                                   "()");
          }
          RETURN_IF_ERROR(ValidateCall(inner));
          if (!s.group_by.interval) {
            return InvalidArgument(e.name + " aggregate requires a GROUP BY interval");
          }
        } else if (s.group_by.interval) {
          return InvalidArgument("aggregate function required inside the call to " + e.name);
        }
        pending.push_back({CloneExpr(inner), f.alias, e.name, *tr, unit});
        continue;
      }
    }
    if (e.kind == Expr::Kind::kCall && e.name != "now") {
      RETURN_IF_ERROR(ValidateCall(e));
      const Expr& arg = *e.args[0];
      if (arg.kind == Expr::Kind::kWildcard || arg.kind == Expr::Kind::kRegex) {
        saw_aggregate_wildcard = true;
        Func fn = *LookupFunc(e.name);
        const Regex* re = nullptr;
        if (arg.kind == Expr::Kind::kRegex) {
          auto it = regexes.by_expr.find(&arg);
          if (it != regexes.by_expr.end()) re = &it->second;
        }
        for (const auto& [name, t] : wfields) {
          if (!field_type_ok(fn, t)) continue;
          if (re && !re->Match(name)) continue;
          ExprPtr call = CloneExpr(e);
          call->args[0]->kind = Expr::Kind::kVarRef;
          call->args[0]->name = name;
          pending.push_back({std::move(call), "", e.name + "_" + name});
        }
        continue;
      }
    }
    pending.push_back({CloneExpr(e), f.alias, ""});
  }

  // Aggregate or raw: transforms count as what they wrap.
  bool any_call = false, any_raw = false;
  for (const Pending& p : pending) {
    if (ContainsCall(*p.expr)) any_call = true;
    if (ContainsVarOutsideCall(*p.expr)) any_raw = true;
  }
  if (any_call && any_raw) {
    return InvalidArgument("mixing aggregate and non-aggregate queries is not supported");
  }
  c.aggregate = any_call || saw_aggregate_wildcard;
  if (!c.aggregate && s.group_by.interval) {
    return InvalidArgument("GROUP BY requires at least one aggregate function");
  }

  // Column names (InfluxDB: aliases first, then generated names with _N on conflict).
  std::map<std::string, int> used;
  std::vector<std::string> names(pending.size());
  for (size_t i = 0; i < pending.size(); ++i) {
    if (!pending[i].alias.empty()) {
      names[i] = pending[i].alias;
      used[names[i]] = 1;
    }
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    if (!names[i].empty()) continue;
    std::string name = pending[i].generated.empty() ? ExprName(*pending[i].expr)
                                                    : pending[i].generated;
    auto it = used.find(name);
    if (it != used.end()) {
      int count = it->second;
      for (;;) {
        std::string candidate = name + "_" + std::to_string(count);
        if (!used.count(candidate)) {
          it->second = count + 1;
          name = candidate;
          break;
        }
        ++count;
      }
    }
    used[name]++;
    names[i] = name;
  }

  // Leaves.
  std::set<std::string> fields;
  std::function<Status(const Expr&)> map_leaves = [&](const Expr& e) -> Status {
    if (e.kind == Expr::Kind::kCall && e.name != "now") {
      RETURN_IF_ERROR(ValidateCall(e));
      Leaf l;
      l.is_call = true;
      l.func = *LookupFunc(e.name);
      l.name = e.args[0]->name;
      if (l.func == Func::kPercentile) {
        const Expr& p = *e.args[1];
        l.percentile = p.kind == Expr::Kind::kInteger ? static_cast<double>(p.integer) : p.number;
      }
      fields.insert(l.name);
      c.leaf_of[&e] = c.leaves.size();
      c.leaves.push_back(std::move(l));
      return Status::OK();
    }
    if (e.kind == Expr::Kind::kVarRef) {
      Leaf l;
      l.name = e.name;
      l.is_tag = ev.IsTag(e) || (e.ref_type == RefType::kUnknown && !m.fields.count(e.name) &&
                                 m.tag_keys.count(e.name));
      if (!l.is_tag) fields.insert(l.name);
      c.leaf_of[&e] = c.leaves.size();
      c.leaves.push_back(std::move(l));
      return Status::OK();
    }
    if (e.lhs) RETURN_IF_ERROR(map_leaves(*e.lhs));
    if (e.rhs) RETURN_IF_ERROR(map_leaves(*e.rhs));
    return Status::OK();
  };
  for (size_t i = 0; i < pending.size(); ++i) {
    RETURN_IF_ERROR(map_leaves(*pending[i].expr));
    c.columns.push_back(
        {names[i], std::move(pending[i].expr), pending[i].transform, pending[i].unit});
    if (pending[i].transform != Transform::kNone) c.has_transform = true;
  }
  c.field_names.assign(fields.begin(), fields.end());
  return c;
}

// Evaluates a column expression for one output row given the leaf values.
Cell EvalColumn(const Expr& e, const CompiledSelect& c, const std::vector<Cell>& leaves) {
  if (auto it = c.leaf_of.find(&e); it != c.leaf_of.end()) return leaves[it->second];
  switch (e.kind) {
    case Expr::Kind::kParen: return EvalColumn(*e.lhs, c, leaves);
    case Expr::Kind::kNumber: return e.number;
    case Expr::Kind::kInteger: return e.integer;
    case Expr::Kind::kDuration: return e.integer;
    case Expr::Kind::kString: return e.text;
    case Expr::Kind::kBool: return e.boolean;
    case Expr::Kind::kBinary: {
      Cell l = EvalColumn(*e.lhs, c, leaves);
      Cell r = EvalColumn(*e.rhs, c, leaves);
      EvalValue a = Evaluator::FromCell(l), b = Evaluator::FromCell(r);
      bool ln = a.kind == EvalValue::kInt || a.kind == EvalValue::kFloat;
      bool rn = b.kind == EvalValue::kInt || b.kind == EvalValue::kFloat;
      if (!ln || !rn) return std::monostate{};
      if (a.kind == EvalValue::kInt && b.kind == EvalValue::kInt && e.op != BinaryOp::kDiv) {
        switch (e.op) {
          case BinaryOp::kAdd: return a.i + b.i;
          case BinaryOp::kSub: return a.i - b.i;
          case BinaryOp::kMul: return a.i * b.i;
          case BinaryOp::kMod: return b.i == 0 ? Cell(std::monostate{}) : Cell(a.i % b.i);
          case BinaryOp::kBitAnd: return a.i & b.i;
          case BinaryOp::kBitOr: return a.i | b.i;
          case BinaryOp::kBitXor: return a.i ^ b.i;
          default: return std::monostate{};
        }
      }
      double x = a.kind == EvalValue::kInt ? static_cast<double>(a.i) : a.f;
      double y = b.kind == EvalValue::kInt ? static_cast<double>(b.i) : b.f;
      switch (e.op) {
        case BinaryOp::kAdd: return x + y;
        case BinaryOp::kSub: return x - y;
        case BinaryOp::kMul: return x * y;
        case BinaryOp::kDiv: return y == 0 ? Cell(0.0) : Cell(x / y);
        case BinaryOp::kMod: return y == 0 ? Cell(std::monostate{}) : Cell(std::fmod(x, y));
        default: return std::monostate{};
      }
    }
    default: return std::monostate{};
  }
}

// ------------------------------------------------------------------------------------------------
// Aggregation.

struct Sample {
  int64_t t;
  Cell v;
};

// Reduces the samples of one bucket; `point_time` receives the selected point's time.
Cell Reduce(Func f, double pct, std::vector<Sample>& s, int64_t* point_time) {
  if (s.empty()) return f == Func::kCount ? Cell(int64_t{0}) : Cell(std::monostate{});
  auto num = [](const Cell& c) {
    if (auto* d = std::get_if<double>(&c)) return *d;
    if (auto* i = std::get_if<int64_t>(&c)) return static_cast<double>(*i);
    if (auto* b = std::get_if<bool>(&c)) return *b ? 1.0 : 0.0;
    return 0.0;
  };
  const bool all_int = std::all_of(s.begin(), s.end(), [](const Sample& x) {
    return std::holds_alternative<int64_t>(x.v);
  });
  const bool numeric = std::all_of(s.begin(), s.end(), [](const Sample& x) {
    return std::holds_alternative<int64_t>(x.v) || std::holds_alternative<double>(x.v);
  });
  switch (f) {
    case Func::kCount: return static_cast<int64_t>(s.size());
    case Func::kFirst: case Func::kLast: {
      // Equal timestamps (from different series): InfluxDB keeps the greater value.
      auto greater = [&](const Cell& a, const Cell& b) {
        EvalValue x = Evaluator::FromCell(a), y = Evaluator::FromCell(b);
        if (x.kind == EvalValue::kString && y.kind == EvalValue::kString) return x.s > y.s;
        if (x.kind == EvalValue::kBool && y.kind == EvalValue::kBool) return x.b && !y.b;
        return num(a) > num(b);
      };
      size_t best = 0;
      for (size_t i = 1; i < s.size(); ++i) {
        bool better = f == Func::kFirst ? s[i].t < s[best].t : s[i].t > s[best].t;
        if (better || (s[i].t == s[best].t && greater(s[i].v, s[best].v))) best = i;
      }
      *point_time = s[best].t;
      return s[best].v;
    }
    default: break;
  }
  if (!numeric) return std::monostate{};
  switch (f) {
    case Func::kSum: {
      if (all_int) {
        int64_t sum = 0;
        for (auto& x : s) sum += std::get<int64_t>(x.v);
        return sum;
      }
      double sum = 0;
      for (auto& x : s) sum += num(x.v);
      return sum;
    }
    case Func::kMean: {
      double sum = 0;
      for (auto& x : s) sum += num(x.v);
      return sum / static_cast<double>(s.size());
    }
    case Func::kMin: case Func::kMax: {
      size_t best = 0;
      for (size_t i = 1; i < s.size(); ++i) {
        double a = num(s[i].v), b = num(s[best].v);
        if (f == Func::kMin ? a < b : a > b) best = i;
        else if (a == b && s[i].t < s[best].t) best = i;
      }
      *point_time = s[best].t;
      return s[best].v;
    }
    case Func::kSpread: {
      double lo = num(s[0].v), hi = lo;
      int64_t ilo = 0, ihi = 0;
      if (all_int) ilo = ihi = std::get<int64_t>(s[0].v);
      for (auto& x : s) {
        lo = std::min(lo, num(x.v));
        hi = std::max(hi, num(x.v));
        if (all_int) {
          ilo = std::min(ilo, std::get<int64_t>(x.v));
          ihi = std::max(ihi, std::get<int64_t>(x.v));
        }
      }
      if (all_int) return ihi - ilo;
      return hi - lo;
    }
    case Func::kStddev: {
      if (s.size() < 2) return std::monostate{};
      double mean = 0;
      for (auto& x : s) mean += num(x.v);
      mean /= static_cast<double>(s.size());
      double var = 0;
      for (auto& x : s) var += (num(x.v) - mean) * (num(x.v) - mean);
      return std::sqrt(var / static_cast<double>(s.size() - 1));
    }
    case Func::kMedian: {
      std::vector<double> v;
      v.reserve(s.size());
      for (auto& x : s) v.push_back(num(x.v));
      std::sort(v.begin(), v.end());
      size_t n = v.size();
      if (n % 2 == 1) return v[n / 2];
      double lo = v[n / 2 - 1], hi = v[n / 2];
      return lo + (hi - lo) / 2;
    }
    case Func::kPercentile: {
      std::stable_sort(s.begin(), s.end(),
                       [&](const Sample& a, const Sample& b) { return num(a.v) < num(b.v); });
      int64_t i = static_cast<int64_t>(
                      std::floor(static_cast<double>(s.size()) * pct / 100.0 + 0.5)) - 1;
      if (i < 0 || i >= static_cast<int64_t>(s.size())) return std::monostate{};
      *point_time = s[static_cast<size_t>(i)].t;
      return s[static_cast<size_t>(i)].v;
    }
    default: return std::monostate{};
  }
}

void MergeAgg(storage::AggState* a, const storage::AggState& b) {
  if (b.count == 0) return;
  if (a->count == 0) {
    *a = b;
    return;
  }
  double na = static_cast<double>(a->count), nb = static_cast<double>(b.count);
  double delta = b.mean - a->mean;
  double n = na + nb;
  a->m2 = a->m2 + b.m2 + delta * delta * na * nb / n;
  a->mean = a->mean + delta * nb / n;
  a->sum += b.sum;
  a->min = std::min(a->min, b.min);
  a->max = std::max(a->max, b.max);
  // Equal timestamps across series: InfluxDB keeps the greater value.
  if (b.first_ts < a->first_ts || (b.first_ts == a->first_ts && b.first > a->first)) {
    a->first = b.first;
    a->first_ts = b.first_ts;
  }
  if (b.last_ts > a->last_ts || (b.last_ts == a->last_ts && b.last > a->last)) {
    a->last = b.last;
    a->last_ts = b.last_ts;
  }
  a->count += b.count;
}

Cell Finalize(Func f, const storage::AggState& a, bool is_int, int64_t* point_time) {
  auto typed = [&](double v) -> Cell {
    if (is_int) return static_cast<int64_t>(std::llround(v));
    return v;
  };
  switch (f) {
    case Func::kCount: return static_cast<int64_t>(a.count);
    case Func::kSum: return typed(a.sum);
    case Func::kMean: return a.sum / static_cast<double>(a.count);
    case Func::kMin: return typed(a.min);
    case Func::kMax: return typed(a.max);
    case Func::kFirst: *point_time = a.first_ts; return typed(a.first);
    case Func::kLast: *point_time = a.last_ts; return typed(a.last);
    case Func::kSpread: return typed(a.max - a.min);
    case Func::kStddev:
      if (a.count < 2) return std::monostate{};
      return std::sqrt(a.m2 / static_cast<double>(a.count - 1));
    default: return std::monostate{};
  }
}

bool FastPathFunc(Func f) { return f != Func::kMedian && f != Func::kPercentile; }

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t BucketStart(int64_t t, int64_t interval, int64_t offset) {
  int64_t off = offset % interval;
  // t - floor_mod(t - off, interval), computed without overflow for sane inputs.
  int64_t shifted = t - off;
  int64_t m = shifted - FloorDiv(shifted, interval) * interval;
  return t - m;
}

}  // namespace

// ------------------------------------------------------------------------------------------------

struct Executor::StatementOutput {
  std::string error;
  std::vector<SeriesOut> series;
};

Executor::Executor(storage::Engine* engine, ExecutorOptions options)
    : engine_(engine),
      options_(std::move(options)),
      measurements_(std::make_unique<MeasurementCache>()) {
  if (!options_.clock) options_.clock = SystemClock::Default();
}

Executor::~Executor() = default;

namespace {

// Everything one statement needs while running.
struct StatementContext {
  storage::Engine* engine;
  const ExecutorOptions* options;
  std::string db;
  int64_t now;
  MeasurementCache* measurements;
};

bool DatabaseExists(const StatementContext& ctx, std::string_view db) {
  for (const auto& t : ctx.engine->Tenants()) {
    if (t == db) return true;
  }
  if (ctx.options->list_databases) {
    for (const auto& t : ctx.options->list_databases()) {
      if (t == db) return true;
    }
  }
  return false;
}

// Measurement names selected by FROM.
template <typename Catalog>
std::vector<std::string> ResolveSources(const std::vector<Source>& sources, const Catalog& all,
                                        Status* status) {
  std::set<std::string> names;
  for (const Source& s : sources) {
    if (s.is_regex) {
      auto re = Regex::Compile(s.name);
      if (!re.ok()) {
        *status = re.status();
        return {};
      }
      for (const auto& [name, series] : all) {
        if (re->Match(name)) names.insert(name);
      }
    } else if (all.count(s.name)) {
      names.insert(s.name);
    }
  }
  return {names.begin(), names.end()};
}

template <typename T>
void ApplyLimitOffset(std::vector<T>* v, int64_t limit, int64_t offset) {
  if (offset > 0) {
    if (static_cast<size_t>(offset) >= v->size()) {
      v->clear();
    } else {
      v->erase(v->begin(), v->begin() + offset);
    }
  }
  if (limit > 0 && static_cast<size_t>(limit) < v->size()) v->resize(static_cast<size_t>(limit));
}

struct Group {
  std::vector<storage::Tag> key;  // group-by tags with values ("" when missing)
  std::vector<const TagSet*> tagsets;
};

class SelectRunner {
 public:
  SelectRunner(const StatementContext& ctx, const SelectStatement& s) : ctx_(ctx), s_(s),
      budget_(ctx.options->max_select_points) {}

  Status Run(std::vector<SeriesOut>* out) {
    RETURN_IF_ERROR(CompileRegexes(s_.condition.get(), &regexes_));
    for (const auto& f : s_.fields) RETURN_IF_ERROR(CompileRegexes(f.expr.get(), &regexes_));
    for (const Source& src : s_.sources) {
      if (!src.database.empty() && src.database != ctx_.db) {
        return InvalidArgument("cross-database queries are not supported");
      }
    }
    std::map<std::string, MeasurementPtr> all =
        ctx_.measurements->Resolve(ctx_.engine, ctx_.db, &s_.sources);
    Status st;
    std::vector<std::string> names = ResolveSources(s_.sources, all, &st);
    RETURN_IF_ERROR(st);
    // Validate the field list even when nothing matches (errors do not depend on data).
    {
      Measurement empty;
      Evaluator ev(&empty, &regexes_, ctx_.now);
      std::set<std::string> gt;
      ASSIGN_OR_RETURN(CompiledSelect probe, CompileSelect(s_, empty, gt, ev, regexes_));
      (void)probe;
    }
    std::vector<MeasurementPtr> ms;
    for (const std::string& name : names) {
      ms.push_back(all[name]);
      universe_.fields.insert(ms.back()->fields.begin(), ms.back()->fields.end());
      universe_.tag_keys.insert(ms.back()->tag_keys.begin(), ms.back()->tag_keys.end());
    }
    for (const MeasurementPtr& m : ms) RETURN_IF_ERROR(RunMeasurement(*m, out));
    return Status::OK();
  }

 private:
  Status RunMeasurement(const Measurement& m, std::vector<SeriesOut>* out) {
    Evaluator ev(&m, &regexes_, ctx_.now);
    ASSIGN_OR_RETURN(TimeRange tr, ExtractTimeRange(s_.condition.get(), ev));

    // GROUP BY tag keys.
    std::set<std::string> dims(s_.group_by.tags.begin(), s_.group_by.tags.end());
    if (s_.group_by.all_tags) dims.insert(m.tag_keys.begin(), m.tag_keys.end());
    for (const auto& pattern : s_.group_by.tag_regexes) {
      ASSIGN_OR_RETURN(Regex re, Regex::Compile(pattern));
      for (const auto& k : m.tag_keys) {
        if (re.Match(k)) dims.insert(k);
      }
    }
    ASSIGN_OR_RETURN(CompiledSelect c, CompileSelect(s_, m, dims, ev, regexes_, &universe_));

    // Series-level filter on tags; group the survivors.
    std::map<std::vector<storage::Tag>, Group> groups;
    for (const TagSet& ts : m.tagsets) {
      RowContext rc;
      rc.tags = &ts.tags;
      if (ev.Truth(s_.condition.get(), rc) == 0) continue;
      std::vector<storage::Tag> key;
      for (const auto& d : dims) key.emplace_back(d, std::string(TagValue(ts.tags, d)));
      Group& g = groups[key];
      g.key = key;
      g.tagsets.push_back(&ts);
    }
    std::vector<Group> ordered;
    for (auto& [k, g] : groups) ordered.push_back(std::move(g));
    // ORDER BY time DESC also reverses the series order (InfluxDB 1.x).
    if (s_.order_desc) std::reverse(ordered.begin(), ordered.end());
    ApplyLimitOffset(&ordered, s_.slimit, s_.soffset);

    const bool row_condition =
        s_.condition && (HasFieldRefs(s_.condition.get(), ev) ||
                         !TimeOnlyAtTopLevel(s_.condition.get()));
    std::vector<std::string> cond_fields;
    {
      std::set<std::string> f;
      CollectFieldRefs(s_.condition.get(), ev, &f);
      cond_fields.assign(f.begin(), f.end());
    }
    filters_.clear();
    if (row_condition) CollectFieldFilters(s_.condition.get(), ev, &filters_);

    if (!c.aggregate) {
      for (const Group& g : ordered) {
        SeriesOut so;
        RETURN_IF_ERROR(RunRaw(m, c, g, tr, row_condition, cond_fields, ev, &so));
        if (!so.values.empty()) {
          so.name = m.name;
          if (!dims.empty()) so.tags = g.key;
          out->push_back(std::move(so));
        }
      }
      return Status::OK();
    }

    // Aggregates: the window.
    int64_t tmin = tr.min, tmax = tr.max;
    const bool interval = s_.group_by.interval.has_value();
    if (interval && !tr.max_set) tmax = ctx_.now;
    if (interval && !tr.min_set) {
      // No lower bound: start at the earliest point of the selected series.
      bool found = false;
      int64_t earliest = kMaxTime;
      for (const Group& g : ordered) {
        for (const TagSet* ts : g.tagsets) {
          for (const Leaf& l : c.leaves) {
            auto it = ts->fields.find(l.name);
            if (it == ts->fields.end()) continue;
            auto run = ctx_.engine->Read(it->second->id, kMinTime, tmax + 1,
                                         storage::ScanOrder::kAscending, 1);
            if (!run.ok()) return run.status();
            if (!run->ts.empty()) {
              earliest = std::min(earliest, run->ts[0]);
              found = true;
            }
          }
        }
      }
      if (!found) return Status::OK();
      tmin = earliest;
    }
    if (tmin > tmax) return Status::OK();
    for (const Group& g : ordered) {
      SeriesOut so;
      RETURN_IF_ERROR(RunAggregate(m, c, g, tr, tmin, tmax, row_condition, cond_fields, ev, &so));
      if (!so.values.empty()) {
        so.name = m.name;
        if (!dims.empty()) so.tags = g.key;
        out->push_back(std::move(so));
      }
    }
    return Status::OK();
  }

  Status RunRaw(const Measurement& m, const CompiledSelect& c, const Group& g,
                const TimeRange& tr, bool row_condition,
                const std::vector<std::string>& cond_fields, const Evaluator& ev,
                SeriesOut* so) {
    std::set<std::string> fs(c.field_names.begin(), c.field_names.end());
    fs.insert(cond_fields.begin(), cond_fields.end());
    std::vector<std::string> fields(fs.begin(), fs.end());
    // Without per-row filtering, each tag set contributes at most offset+limit rows.
    size_t read_limit = 0;
    if (!row_condition && !c.has_transform && s_.limit > 0) {
      read_limit = static_cast<size_t>(s_.limit + s_.offset);
    }

    struct Row {
      int64_t t;
      std::vector<Cell> leaves;
    };
    std::vector<Row> rows;
    for (const TagSet* ts : g.tagsets) {
      ASSIGN_OR_RETURN(JoinedRows jr,
                       ReadJoined(ctx_.engine, *ts, fields, tr.min, tr.max, s_.order_desc,
                                  read_limit, &budget_, row_condition ? filters_ : kNoFilters));
      for (size_t r = 0; r < jr.ts.size(); ++r) {
        if (s_.condition && row_condition) {
          RowContext rc;
          rc.tags = &ts->tags;
          rc.has_row = true;
          rc.time = jr.ts[r];
          rc.field_names = &fields;
          rc.field_values = &jr.values[r];
          if (ev.Truth(s_.condition.get(), rc) != 1) continue;
        }
        Row row;
        row.t = jr.ts[r];
        row.leaves.resize(c.leaves.size());
        bool any_field = false;
        for (size_t l = 0; l < c.leaves.size(); ++l) {
          const Leaf& leaf = c.leaves[l];
          if (leaf.is_tag) {
            std::string_view v = TagValue(ts->tags, leaf.name);
            if (!v.empty()) row.leaves[l] = std::string(v);
            continue;
          }
          size_t idx = static_cast<size_t>(
              std::lower_bound(fields.begin(), fields.end(), leaf.name) - fields.begin());
          row.leaves[l] = jr.values[r][idx];
          if (!IsNull(row.leaves[l])) any_field = true;
        }
        if (!any_field) continue;
        rows.push_back(std::move(row));
      }
    }
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
      return s_.order_desc ? a.t > b.t : a.t < b.t;
    });
    if (!c.has_transform) ApplyLimitOffset(&rows, s_.limit, s_.offset);
    so->columns.push_back("time");
    for (const Column& col : c.columns) so->columns.push_back(col.name);
    for (Row& row : rows) {
      std::vector<Cell> out;
      out.reserve(c.columns.size() + 1);
      out.emplace_back(TimeCell{row.t});
      for (const Column& col : c.columns) out.push_back(EvalColumn(*col.expr, c, row.leaves));
      so->values.push_back(std::move(out));
    }
    if (c.has_transform) {
      // In DESC order InfluxDB differentiates the descending stream (elapsed time taken
      // positive), so the transform runs on the rows as emitted.
      ApplyTransforms(c, 1'000'000'000, kMinTime, &so->values);
      ApplyLimitOffset(&so->values, s_.limit, s_.offset);
    }
    return Status::OK();
  }

  Status RunAggregate(const Measurement& m, const CompiledSelect& c, const Group& g,
                      const TimeRange& tr, int64_t tmin, int64_t tmax, bool row_condition,
                      const std::vector<std::string>& cond_fields, const Evaluator& ev,
                      SeriesOut* so) {
    const bool interval = s_.group_by.interval.has_value();
    const int64_t iv = interval ? *s_.group_by.interval : 0;
    const int64_t off = s_.group_by.offset;
    // Buckets.
    int64_t first_bucket = interval ? BucketStart(tmin, iv, off) : (tr.min_set ? tmin : 0);
    int64_t last_bucket = interval ? BucketStart(tmax, iv, off) : first_bucket;
    // derivative()/difference() over buckets also read the bucket before the range, to
    // produce a value for the first bucket (InfluxDB does the same).
    const int64_t keep_from = first_bucket;
    if (interval && c.has_transform) first_bucket -= iv;
    size_t nbuckets = interval ? static_cast<size_t>((last_bucket - first_bucket) / iv) + 1 : 1;
    if (interval && s_.limit > 0 && s_.fill != FillMode::kNone && !c.has_transform) {
      size_t need = static_cast<size_t>(s_.limit + s_.offset);
      if (need < nbuckets) {
        if (s_.order_desc) {
          first_bucket = last_bucket - static_cast<int64_t>(need - 1) * iv;
        } else {
          last_bucket = first_bucket + static_cast<int64_t>(need - 1) * iv;
        }
        nbuckets = need;
      }
    }
    if (options_max_buckets() != 0 && nbuckets > options_max_buckets()) {
      // Too many buckets only matters if the group has data in the window at all.
      bool has_data = false;
      for (const TagSet* ts : g.tagsets) {
        for (const Leaf& l : c.leaves) {
          auto it = ts->fields.find(l.name);
          if (it == ts->fields.end() || has_data) continue;
          auto run = ctx_.engine->Read(it->second->id, tmin, tmax + 1,
                                       storage::ScanOrder::kAscending, 1);
          if (!run.ok()) return run.status();
          has_data = !run->ts.empty();
        }
      }
      if (!has_data) return Status::OK();
      return InvalidArgument("max-select-buckets limit exceeded: (" + std::to_string(nbuckets) +
                             "/" + std::to_string(options_max_buckets()) + ")");
    }
    // Only read the window the buckets cover.
    int64_t read_min =
        interval ? (c.has_transform ? first_bucket : std::max(tmin, first_bucket)) : tmin;
    int64_t read_max = interval ? std::min(tmax, last_bucket + iv - 1) : tmax;
    auto bucket_index = [&](int64_t t) -> int64_t {
      if (!interval) return 0;
      return (BucketStart(t, iv, off) - first_bucket) / iv;
    };

    // results[leaf][bucket], point times for selectors.
    std::vector<std::vector<Cell>> results(c.leaves.size(), std::vector<Cell>(nbuckets));
    std::vector<std::vector<int64_t>> ptimes(c.leaves.size(), std::vector<int64_t>(nbuckets, 0));
    std::vector<std::vector<bool>> has(c.leaves.size(), std::vector<bool>(nbuckets, false));
    const bool selector_time = !interval && c.leaves.size() == 1 && c.columns.size() == 1 &&
                               IsSelector(c.leaves[0].func) &&
                               c.leaf_of.count(c.columns[0].expr.get());

    std::vector<std::vector<std::vector<Sample>>> slow(c.leaves.size());
    bool any_slow = false;
    std::vector<bool> is_fast(c.leaves.size(), false);
    for (size_t l = 0; l < c.leaves.size(); ++l) {
      const Leaf& leaf = c.leaves[l];
      auto ft = m.fields.find(leaf.name);
      bool numeric = ft != m.fields.end() &&
                     (ft->second == ValueType::kFloat || ft->second == ValueType::kInt);
      bool all_numeric = numeric;
      for (const TagSet* ts : g.tagsets) {
        auto it = ts->fields.find(leaf.name);
        if (it != ts->fields.end() && it->second->type != ValueType::kFloat &&
            it->second->type != ValueType::kInt) {
          all_numeric = false;
        }
      }
      bool needs_point_time = selector_time && (leaf.func == Func::kMin || leaf.func == Func::kMax);
      is_fast[l] = all_numeric && !row_condition && FastPathFunc(leaf.func) && !needs_point_time;
      if (!is_fast[l]) {
        any_slow = true;
        slow[l].resize(nbuckets);
      }
    }

    // Fast path: Engine::Aggregate per series, merged per bucket.
    for (size_t l = 0; l < c.leaves.size(); ++l) {
      if (!is_fast[l]) continue;
      const Leaf& leaf = c.leaves[l];
      std::vector<storage::AggState> merged(nbuckets);
      bool is_int = false;
      for (const TagSet* ts : g.tagsets) {
        auto it = ts->fields.find(leaf.name);
        if (it == ts->fields.end()) continue;
        is_int = it->second->type == ValueType::kInt;
        if (leaf.func == Func::kLast && !interval) {
          // last() over one bucket: the series' newest sample, when it lies in the range, is the
          // answer; no chunk but the newest is read ("last location per truck" dashboards).
          auto latest = ctx_.engine->Latest(it->second->id);
          if (!latest.ok()) return latest.status();
          if (latest->has_value() && (*latest)->ts >= read_min && (*latest)->ts <= read_max) {
            const storage::Value& v = (*latest)->value;
            double d = std::holds_alternative<double>(v)    ? std::get<double>(v)
                       : std::holds_alternative<int64_t>(v) ? static_cast<double>(std::get<int64_t>(v))
                                                            : static_cast<double>(std::get<bool>(v));
            storage::AggState a;
            a.count = 1;
            a.sum = a.min = a.max = a.first = a.last = a.mean = d;
            a.first_ts = a.last_ts = (*latest)->ts;
            MergeAgg(&merged[0], a);
            continue;
          }
        }
        auto aggs = ctx_.engine->Aggregate(it->second->id, read_min, read_max + 1, iv, off);
        if (!aggs.ok()) return aggs.status();
        for (const storage::AggState& a : *aggs) {
          if (a.count == 0) continue;
          int64_t b = interval ? bucket_index(a.bucket_start) : 0;
          if (b < 0 || b >= static_cast<int64_t>(nbuckets)) continue;
          MergeAgg(&merged[static_cast<size_t>(b)], a);
        }
      }
      for (size_t b = 0; b < nbuckets; ++b) {
        if (merged[b].count == 0) {
          if (leaf.func == Func::kCount) results[l][b] = int64_t{0};
          continue;
        }
        has[l][b] = true;
        results[l][b] = Finalize(leaf.func, merged[b], is_int, &ptimes[l][b]);
      }
    }

    // Slow path: read points (joined with the condition's fields when needed), bucket, reduce.
    if (any_slow) {
      std::set<std::string> fs;
      for (size_t l = 0; l < c.leaves.size(); ++l) {
        if (!is_fast[l]) fs.insert(c.leaves[l].name);
      }
      if (row_condition) fs.insert(cond_fields.begin(), cond_fields.end());
      std::vector<std::string> fields(fs.begin(), fs.end());
      for (const TagSet* ts : g.tagsets) {
        ASSIGN_OR_RETURN(JoinedRows jr,
                         ReadJoined(ctx_.engine, *ts, fields, read_min, read_max, false, 0,
                                    &budget_, row_condition ? filters_ : kNoFilters));
        for (size_t r = 0; r < jr.ts.size(); ++r) {
          if (row_condition) {
            RowContext rc;
            rc.tags = &ts->tags;
            rc.has_row = true;
            // A row of the seed bucket before the range (transforms only) is judged as if at
            // the range start: its tag and field conditions count, the time bounds do not
            // (InfluxDB widens the range for the transform the same way).
            rc.time = std::max(jr.ts[r], tmin);
            rc.field_names = &fields;
            rc.field_values = &jr.values[r];
            if (ev.Truth(s_.condition.get(), rc) != 1) continue;
          }
          int64_t b = bucket_index(jr.ts[r]);
          if (b < 0 || b >= static_cast<int64_t>(nbuckets)) continue;
          for (size_t l = 0; l < c.leaves.size(); ++l) {
            if (is_fast[l]) continue;
            size_t idx = static_cast<size_t>(
                std::lower_bound(fields.begin(), fields.end(), c.leaves[l].name) - fields.begin());
            const Cell& v = jr.values[r][idx];
            if (IsNull(v)) continue;
            slow[l][static_cast<size_t>(b)].push_back({jr.ts[r], v});
          }
        }
      }
      for (size_t l = 0; l < c.leaves.size(); ++l) {
        if (is_fast[l]) continue;
        for (size_t b = 0; b < nbuckets; ++b) {
          results[l][b] = Reduce(c.leaves[l].func, c.leaves[l].percentile, slow[l][b],
                                 &ptimes[l][b]);
          // percentile() out of range selects no point at all (unlike stddev's null).
          if (!slow[l][b].empty() &&
              !(c.leaves[l].func == Func::kPercentile && IsNull(results[l][b]))) {
            has[l][b] = true;
          }
        }
      }
    }

    // A group without any point produces no series.
    bool any = false;
    for (const auto& hl : has) {
      for (bool h : hl) any = any || h;
    }
    if (!any) return Status::OK();

    // Rows and fill.
    so->columns.push_back("time");
    for (const Column& col : c.columns) so->columns.push_back(col.name);
    std::vector<int64_t> times(nbuckets);
    for (size_t b = 0; b < nbuckets; ++b) {
      times[b] = interval ? first_bucket + static_cast<int64_t>(b) * iv : first_bucket;
    }
    if (interval) ApplyFill(c, &results, has, times);

    std::vector<std::vector<Cell>> rows;
    for (size_t b = 0; b < nbuckets; ++b) {
      bool row_has = false;
      for (size_t l = 0; l < c.leaves.size(); ++l) row_has = row_has || has[l][b];
      if (!interval && !row_has) continue;
      if (s_.fill == FillMode::kNone && !row_has) continue;
      std::vector<Cell> leaves(c.leaves.size());
      for (size_t l = 0; l < c.leaves.size(); ++l) leaves[l] = results[l][b];
      std::vector<Cell> row;
      int64_t t = times[b];
      if (selector_time && has[0][b]) t = ptimes[0][b];
      row.emplace_back(TimeCell{t});
      for (const Column& col : c.columns) row.push_back(EvalColumn(*col.expr, c, leaves));
      rows.push_back(std::move(row));
    }
    if (c.has_transform) ApplyTransforms(c, iv, keep_from, &rows);
    if (s_.order_desc) std::reverse(rows.begin(), rows.end());
    ApplyLimitOffset(&rows, s_.limit, s_.offset);
    so->values = std::move(rows);
    return Status::OK();
  }

  void ApplyFill(const CompiledSelect& c, std::vector<std::vector<Cell>>* results,
                 const std::vector<std::vector<bool>>& has, const std::vector<int64_t>& times) {
    for (size_t l = 0; l < c.leaves.size(); ++l) {
      auto& col = (*results)[l];
      const bool is_count = c.leaves[l].func == Func::kCount;
      switch (s_.fill) {
        case FillMode::kNull:
        case FillMode::kNone:
          break;
        case FillMode::kNumber:
          for (size_t b = 0; b < col.size(); ++b) {
            if (has[l][b]) continue;
            if (s_.fill_number_is_int || is_count) {
              col[b] = static_cast<int64_t>(s_.fill_number);
            } else {
              col[b] = s_.fill_number;
            }
          }
          break;
        case FillMode::kPrevious: {
          Cell prev;
          for (size_t b = 0; b < col.size(); ++b) {
            if (has[l][b]) {
              prev = col[b];
            } else if (!IsNull(prev)) {
              col[b] = prev;
            } else if (is_count) {
              col[b] = Cell{};  // no previous value yet: null, not count's 0 (as InfluxDB)
            }
          }
          break;
        }
        case FillMode::kLinear: {
          int64_t last = -1;
          for (size_t b = 0; b < col.size(); ++b) {
            if (!has[l][b]) continue;
            if (last >= 0 && static_cast<size_t>(last) + 1 < b) {
              EvalValue a = Evaluator::FromCell(col[static_cast<size_t>(last)]);
              EvalValue z = Evaluator::FromCell(col[b]);
              for (size_t k = static_cast<size_t>(last) + 1; k < b; ++k) {
                int64_t dx = times[b] - times[static_cast<size_t>(last)];
                int64_t x = times[k] - times[static_cast<size_t>(last)];
                if (a.kind == EvalValue::kInt && z.kind == EvalValue::kInt) {
                  col[k] = a.i + (z.i - a.i) * x / dx;
                } else if ((a.kind == EvalValue::kFloat || a.kind == EvalValue::kInt) &&
                           (z.kind == EvalValue::kFloat || z.kind == EvalValue::kInt)) {
                  double av = a.kind == EvalValue::kInt ? static_cast<double>(a.i) : a.f;
                  double zv = z.kind == EvalValue::kInt ? static_cast<double>(z.i) : z.f;
                  col[k] = av + (zv - av) * static_cast<double>(x) / static_cast<double>(dx);
                }
              }
            }
            last = static_cast<int64_t>(b);
          }
          break;
        }
      }
    }
  }

  size_t options_max_buckets() const { return ctx_.options->max_select_buckets; }

  const StatementContext& ctx_;
  const SelectStatement& s_;
  CompiledRegexes regexes_;
  ReadBudget budget_;
  WildcardUniverse universe_;
  std::vector<FieldFilter> filters_;  // of the measurement being run
  const std::vector<FieldFilter> kNoFilters;
};

// Escapes a measurement or tag for a series key (SHOW SERIES), like InfluxDB's models.
std::string EscapeKeyPart(std::string_view s, bool is_measurement) {
  std::string out;
  for (char c : s) {
    if (c == ',' || c == ' ' || (!is_measurement && c == '=')) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Tag sets of a measurement that may match a WHERE clause over tags.
std::vector<const TagSet*> FilterTagSets(const Measurement& m, const Expr* cond,
                                         const CompiledRegexes& regexes, int64_t now) {
  Evaluator ev(&m, &regexes, now, /*refs_are_tags=*/true);
  std::vector<const TagSet*> out;
  for (const TagSet& ts : m.tagsets) {
    RowContext rc;
    rc.tags = &ts.tags;
    if (ev.Truth(cond, rc) != 0) out.push_back(&ts);
  }
  return out;
}

}  // namespace

Executor::StatementOutput Executor::ExecuteStatement(const Statement& st,
                                                     const QueryOptions& q) const {
  StatementOutput out;
  StatementContext ctx{engine_, &options_, std::string(q.database), options_.clock->NowNs(),
                       measurements_.get()};
  auto need_db = [&](const std::string& on) -> bool {
    if (!on.empty()) ctx.db = on;
    if (ctx.db.empty()) {
      out.error = "database name required";
      return false;
    }
    if (!DatabaseExists(ctx, ctx.db)) {
      out.error = "database not found: " + ctx.db;
      return false;
    }
    return true;
  };

  if (const auto* s = std::get_if<SelectStatement>(&st)) {
    std::string on;
    for (const Source& src : s->sources) {
      if (!src.database.empty()) on = src.database;
    }
    if (!need_db(on)) return out;
    SelectRunner runner(ctx, *s);
    Status status = runner.Run(&out.series);
    if (!status.ok()) {
      out.error = status.message();
      out.series.clear();
    }
    return out;
  }
  if (std::holds_alternative<ShowDatabasesStatement>(st)) {
    std::set<std::string> names;
    for (auto& t : engine_->Tenants()) names.insert(t);
    if (options_.list_databases) {
      for (auto& t : options_.list_databases()) names.insert(t);
    }
    SeriesOut so;
    so.name = "databases";
    so.columns = {"name"};
    for (const auto& n : names) so.values.push_back({Cell(n)});
    out.series.push_back(std::move(so));
    return out;
  }
  if (const auto* s = std::get_if<CreateDatabaseStatement>(&st)) {
    if (options_.create_database) {
      Status status = options_.create_database(s->name);
      if (!status.ok()) out.error = status.message();
    }
    return out;
  }
  if (const auto* s = std::get_if<ShowRetentionPoliciesStatement>(&st)) {
    if (!need_db(s->database)) return out;
    SeriesOut so;
    so.columns = {"name", "duration", "shardGroupDuration", "replicaN", "default"};
    so.values.push_back({Cell(std::string("autogen")), Cell(std::string("0s")),
                         Cell(std::string("168h0m0s")), Cell(int64_t{1}), Cell(true)});
    out.series.push_back(std::move(so));
    return out;
  }

  // Catalog statements share: database, sources, tag condition.
  auto catalog = [&](const std::string& on, const std::vector<Source>& sources,
                     const Expr* cond, CompiledRegexes* regexes,
                     std::vector<Measurement>* ms) -> bool {
    if (!need_db(on)) return false;
    Status st2 = CompileRegexes(cond, regexes);
    if (!st2.ok()) {
      out.error = st2.message();
      return false;
    }
    if (cond && RefersTo(cond, IsTimeRef)) {
      // Time conditions are accepted (series exist at all times in the catalog).
    }
    auto all = SeriesByMeasurement(engine_, ctx.db, &sources);
    std::vector<std::string> names;
    if (sources.empty()) {
      for (auto& [n, v] : all) names.push_back(n);
    } else {
      names = ResolveSources(sources, all, &st2);
      if (!st2.ok()) {
        out.error = st2.message();
        return false;
      }
    }
    for (const auto& n : names) ms->push_back(BuildMeasurement(n, std::move(all[n])));
    return true;
  };

  if (const auto* s = std::get_if<ShowMeasurementsStatement>(&st)) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    std::vector<Source> srcs;
    if (s->with) srcs.push_back(*s->with);
    if (!catalog(s->database, srcs, s->condition.get(), &regexes, &ms)) return out;
    SeriesOut so;
    so.name = "measurements";
    so.columns = {"name"};
    for (const Measurement& m : ms) {
      if (s->condition && FilterTagSets(m, s->condition.get(), regexes, ctx.now).empty()) continue;
      so.values.push_back({Cell(m.name)});
    }
    ApplyLimitOffset(&so.values, s->limit, s->offset);
    if (!so.values.empty()) out.series.push_back(std::move(so));
    return out;
  }
  if (const auto* s = std::get_if<ShowTagKeysStatement>(&st)) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    if (!catalog(s->database, s->sources, s->condition.get(), &regexes, &ms)) return out;
    for (const Measurement& m : ms) {
      std::set<std::string> keys;
      for (const TagSet* ts : FilterTagSets(m, s->condition.get(), regexes, ctx.now)) {
        for (const auto& t : ts->tags) keys.insert(t.first);
      }
      SeriesOut so;
      so.name = m.name;
      so.columns = {"tagKey"};
      for (const auto& k : keys) so.values.push_back({Cell(k)});
      ApplyLimitOffset(&so.values, s->limit, s->offset);
      if (!so.values.empty()) out.series.push_back(std::move(so));
    }
    return out;
  }
  if (const auto* s = std::get_if<ShowTagValuesStatement>(&st)) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    if (!catalog(s->database, s->sources, s->condition.get(), &regexes, &ms)) return out;
    std::optional<Regex> key_re;
    if (s->key_op == BinaryOp::kEqRegex || s->key_op == BinaryOp::kNeqRegex) {
      auto re = Regex::Compile(s->keys.empty() ? "" : s->keys[0]);
      if (!re.ok()) {
        out.error = re.status().message();
        return out;
      }
      key_re = std::move(re).value();
    }
    auto key_matches = [&](const std::string& k) {
      switch (s->key_op) {
        case BinaryOp::kEq: return std::find(s->keys.begin(), s->keys.end(), k) != s->keys.end();
        case BinaryOp::kNeq: return std::find(s->keys.begin(), s->keys.end(), k) == s->keys.end();
        case BinaryOp::kEqRegex: return key_re->Match(k);
        case BinaryOp::kNeqRegex: return !key_re->Match(k);
        default: return false;
      }
    };
    for (const Measurement& m : ms) {
      std::set<std::pair<std::string, std::string>> kv;
      for (const TagSet* ts : FilterTagSets(m, s->condition.get(), regexes, ctx.now)) {
        for (const auto& t : ts->tags) {
          if (key_matches(t.first)) kv.insert(t);
        }
      }
      SeriesOut so;
      so.name = m.name;
      so.columns = {"key", "value"};
      for (const auto& [k, v] : kv) so.values.push_back({Cell(k), Cell(v)});
      ApplyLimitOffset(&so.values, s->limit, s->offset);
      if (!so.values.empty()) out.series.push_back(std::move(so));
    }
    return out;
  }
  if (const auto* s = std::get_if<ShowFieldKeysStatement>(&st)) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    if (!catalog(s->database, s->sources, nullptr, &regexes, &ms)) return out;
    for (const Measurement& m : ms) {
      SeriesOut so;
      so.name = m.name;
      so.columns = {"fieldKey", "fieldType"};
      for (const auto& [f, t] : m.fields) {
        so.values.push_back({Cell(f), Cell(std::string(TypeName(t)))});
      }
      ApplyLimitOffset(&so.values, s->limit, s->offset);
      if (!so.values.empty()) out.series.push_back(std::move(so));
    }
    return out;
  }
  if (const auto* s = std::get_if<ShowSeriesStatement>(&st)) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    if (!catalog(s->database, s->sources, s->condition.get(), &regexes, &ms)) return out;
    SeriesOut so;
    so.columns = {"key"};
    std::vector<std::string> keys;
    for (const Measurement& m : ms) {
      for (const TagSet* ts : FilterTagSets(m, s->condition.get(), regexes, ctx.now)) {
        std::string key = EscapeKeyPart(m.name, true);
        for (const auto& [k, v] : ts->tags) {
          key += "," + EscapeKeyPart(k, false) + "=" + EscapeKeyPart(v, false);
        }
        keys.push_back(std::move(key));
      }
    }
    std::sort(keys.begin(), keys.end());
    for (auto& k : keys) so.values.push_back({Cell(std::move(k))});
    ApplyLimitOffset(&so.values, s->limit, s->offset);
    if (!so.values.empty()) out.series.push_back(std::move(so));
    return out;
  }
  if (const auto* s = std::get_if<DeleteStatement>(&st)) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    if (!catalog("", s->sources, s->condition.get(), &regexes, &ms)) return out;
    Evaluator ev(nullptr, &regexes, ctx.now);
    for (const Measurement& m : ms) {
      Evaluator mev(&m, &regexes, ctx.now);
      if (HasFieldRefs(s->condition.get(), mev)) {
        out.error = "fields not supported in WHERE clause during deletion";
        return out;
      }
    }
    auto tr = ExtractTimeRange(s->condition.get(), ev);
    if (!tr.ok()) {
      out.error = tr.status().message();
      return out;
    }
    std::vector<storage::SeriesId> ids;
    for (const Measurement& m : ms) {
      for (const TagSet* ts : FilterTagSets(m, s->condition.get(), regexes, ctx.now)) {
        for (const auto& [f, info] : ts->fields) ids.push_back(info->id);
      }
    }
    if (ids.empty()) return out;
    Status status = engine_->DeleteRange(ctx.db, ids, tr->min, tr->max + 1);
    if (!status.ok()) out.error = status.message();
    return out;
  }
  out.error = "statement not supported";
  return out;
}

// ------------------------------------------------------------------------------------------------
// Rendering.

namespace {

void AppendCell(std::string* out, const Cell& c, EpochUnit epoch) {
  switch (c.index()) {
    case 0: *out += "null"; break;
    case 1: AppendJsonFloat(out, std::get<1>(c)); break;
    case 2: *out += std::to_string(std::get<2>(c)); break;
    case 3: *out += std::get<3>(c) ? "true" : "false"; break;
    case 4: AppendJsonString(out, std::get<4>(c)); break;
    case 5: AppendJsonTime(out, std::get<5>(c).ns, epoch); break;
  }
}

void AppendSeries(std::string* out, const SeriesOut& s, size_t row_begin, size_t row_end,
                  bool partial, EpochUnit epoch) {
  *out += '{';
  bool comma = false;
  if (!s.name.empty()) {
    *out += "\"name\":";
    AppendJsonString(out, s.name);
    comma = true;
  }
  if (!s.tags.empty()) {
    if (comma) *out += ',';
    *out += "\"tags\":{";
    for (size_t i = 0; i < s.tags.size(); ++i) {
      if (i) *out += ',';
      AppendJsonString(out, s.tags[i].first);
      *out += ':';
      AppendJsonString(out, s.tags[i].second);
    }
    *out += '}';
    comma = true;
  }
  if (comma) *out += ',';
  *out += "\"columns\":[";
  for (size_t i = 0; i < s.columns.size(); ++i) {
    if (i) *out += ',';
    AppendJsonString(out, s.columns[i]);
  }
  *out += ']';
  if (row_end > row_begin) {
    *out += ",\"values\":[";
    for (size_t r = row_begin; r < row_end; ++r) {
      if (r != row_begin) *out += ',';
      *out += '[';
      const auto& row = s.values[r];
      for (size_t i = 0; i < row.size(); ++i) {
        if (i) *out += ',';
        AppendCell(out, row[i], epoch);
      }
      *out += ']';
    }
    *out += ']';
  }
  if (partial) *out += ",\"partial\":true";
  *out += '}';
}

std::string ParseErrorBody(const Status& st) {
  std::string out = "{\"error\":";
  AppendJsonString(&out, "error parsing query: " + st.message());
  out += '}';
  return out;
}

}  // namespace

QueryResponse Executor::Run(std::string_view text, const QueryOptions& options) const {
  auto q = ParseQuery(text);
  if (!q.ok()) return QueryResponse{true, ParseErrorBody(q.status())};
  return Run(*q, options);
}

QueryResponse Executor::Run(const Query& query, const QueryOptions& options) const {
  QueryResponse resp;
  std::string& out = resp.body;
  out = "{\"results\":[";
  for (size_t i = 0; i < query.statements.size(); ++i) {
    StatementOutput so = ExecuteStatement(query.statements[i], options);
    if (i) out += ',';
    out += "{\"statement_id\":" + std::to_string(i);
    if (!so.error.empty()) {
      // InfluxDB 1.x stops at the first failing statement; when statements remain, its
      // response carries only "not executed" under the failing statement's id.
      out += ",\"error\":";
      AppendJsonString(&out, i + 1 < query.statements.size() ? "not executed" : so.error);
      out += "}]}";
      return resp;
    }
    if (!so.series.empty()) {
      out += ",\"series\":[";
      for (size_t k = 0; k < so.series.size(); ++k) {
        if (k) out += ',';
        AppendSeries(&out, so.series[k], 0, so.series[k].values.size(), false, options.epoch);
      }
      out += ']';
    }
    out += '}';
  }
  out += "]}";
  return resp;
}

bool Executor::RunChunked(std::string_view text, const QueryOptions& options,
                          const std::function<bool(std::string&&)>& emit) const {
  auto q = ParseQuery(text);
  if (!q.ok()) {
    emit(ParseErrorBody(q.status()));
    return false;
  }
  const size_t chunk = options.chunk_size == 0 ? 10000 : options.chunk_size;
  for (size_t i = 0; i < q->statements.size(); ++i) {
    StatementOutput so = ExecuteStatement(q->statements[i], options);
    std::string head = "{\"results\":[{\"statement_id\":" + std::to_string(i);
    if (!so.error.empty()) {
      // Like InfluxDB 1.x: the error, then "not executed" (under the same id) per remaining one.
      std::string doc = head + ",\"error\":";
      AppendJsonString(&doc, so.error);
      doc += "}]}";
      if (!emit(std::move(doc))) return true;
      for (size_t rest = i + 1; rest < q->statements.size(); ++rest) {
        if (!emit(head + ",\"error\":\"not executed\"}]}")) return true;
      }
      return true;
    }
    if (so.series.empty()) {
      if (!emit(head + "}]}")) return true;
      continue;
    }
    for (size_t k = 0; k < so.series.size(); ++k) {
      const SeriesOut& s = so.series[k];
      size_t n = s.values.size();
      size_t begin = 0;
      do {
        size_t end = std::min(n, begin + chunk);
        bool series_partial = end < n;
        bool result_partial = series_partial || k + 1 < so.series.size();
        std::string doc = head + ",\"series\":[";
        AppendSeries(&doc, s, begin, end, series_partial, options.epoch);
        doc += ']';
        if (result_partial) doc += ",\"partial\":true";
        doc += "}]}";
        if (!emit(std::move(doc))) return true;
        begin = end;
      } while (begin < n);
    }
  }
  return true;
}

}  // namespace verbund::query
