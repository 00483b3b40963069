#include "query/meta_statements.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "query/catalog_view.h"
#include "query/eval.h"
#include "query/regex.h"
#include "query/time_range.h"

namespace verbund::query {
namespace {

using storage::ValueType;

const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kFloat:
      return "float";
    case ValueType::kInt:
      return "integer";
    case ValueType::kBool:
      return "boolean";
    case ValueType::kString:
      return "string";
  }
  return "float";
}

// Escapes a measurement or tag for a series key (SHOW SERIES), like InfluxDB's models.
std::string EscapeKeyPart(std::string_view s, bool is_measurement) {
  std::string out;
  for (char c : s) {
    if (c == ',' || c == ' ' || (!is_measurement && c == '=')) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// One overload per statement kind, each filling `out`.
class StatementVisitor {
 public:
  explicit StatementVisitor(StatementContext ctx) : ctx_(std::move(ctx)) {}

  StatementResult Take() { return std::move(out_); }

  void operator()(const SelectStatement& s) {
    std::string on;
    for (const Source& src : s.sources) {
      if (!src.database.empty()) on = src.database;
    }
    if (!NeedDb(on)) return;
    Status status = RunSelect(ctx_, s, &out_.series);
    if (!status.ok()) {
      out_.error = status.message();
      out_.series.clear();
    }
  }

  void operator()(const ShowDatabasesStatement&) {
    std::set<std::string> names;
    for (auto& t : ctx_.engine->Tenants()) names.insert(t);
    if (ctx_.options->list_databases) {
      for (auto& t : ctx_.options->list_databases()) names.insert(t);
    }
    SeriesOut so;
    so.name = "databases";
    so.columns = {"name"};
    for (const auto& n : names) {
      if (ctx_.scope && ctx_.scope->database && !ctx_.scope->database(n)) continue;
      so.values.push_back({Cell(n)});
    }
    out_.series.push_back(std::move(so));
  }

  void operator()(const CreateDatabaseStatement& s) {
    if (ctx_.scope && ctx_.scope->create && !ctx_.scope->create(s.name)) {
      out_.error = "not authorized to create database " + s.name;
      return;
    }
    if (ctx_.options->create_database) {
      Status status = ctx_.options->create_database(s.name);
      if (!status.ok()) out_.error = status.message();
    }
  }

  void operator()(const ShowRetentionPoliciesStatement& s) {
    if (!NeedDb(s.database)) return;
    SeriesOut so;
    so.columns = {"name", "duration", "shardGroupDuration", "replicaN", "default"};
    so.values.push_back({Cell(std::string("autogen")), Cell(std::string("0s")),
                         Cell(std::string("168h0m0s")), Cell(int64_t{1}), Cell(true)});
    out_.series.push_back(std::move(so));
  }

  void operator()(const ShowMeasurementsStatement& s) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    std::vector<Source> srcs;
    if (s.with) srcs.push_back(*s.with);
    if (!Catalog(s.database, srcs, s.condition.get(), &regexes, &ms)) return;
    SeriesOut so;
    so.name = "measurements";
    so.columns = {"name"};
    for (const Measurement& m : ms) {
      if (s.condition && FilterTagSets(m, s.condition.get(), regexes, ctx_.now).empty()) continue;
      so.values.push_back({Cell(m.name)});
    }
    ApplyLimitOffset(&so.values, s.limit, s.offset);
    if (!so.values.empty()) out_.series.push_back(std::move(so));
  }

  void operator()(const ShowTagKeysStatement& s) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    if (!Catalog(s.database, s.sources, s.condition.get(), &regexes, &ms)) return;
    for (const Measurement& m : ms) {
      std::set<std::string> keys;
      for (const TagSet* ts : FilterTagSets(m, s.condition.get(), regexes, ctx_.now)) {
        for (const auto& t : ts->tags) keys.insert(t.first);
      }
      SeriesOut so;
      so.name = m.name;
      so.columns = {"tagKey"};
      for (const auto& k : keys) so.values.push_back({Cell(k)});
      ApplyLimitOffset(&so.values, s.limit, s.offset);
      if (!so.values.empty()) out_.series.push_back(std::move(so));
    }
  }

  void operator()(const ShowTagValuesStatement& s) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    if (!Catalog(s.database, s.sources, s.condition.get(), &regexes, &ms)) return;
    std::optional<Regex> key_re;
    if (s.key_op == BinaryOp::kEqRegex || s.key_op == BinaryOp::kNeqRegex) {
      auto re = Regex::Compile(s.keys.empty() ? "" : s.keys[0]);
      if (!re.ok()) {
        out_.error = re.status().message();
        return;
      }
      key_re = std::move(re).value();
    }
    auto key_matches = [&](const std::string& k) {
      switch (s.key_op) {
        case BinaryOp::kEq:
          return std::find(s.keys.begin(), s.keys.end(), k) != s.keys.end();
        case BinaryOp::kNeq:
          return std::find(s.keys.begin(), s.keys.end(), k) == s.keys.end();
        case BinaryOp::kEqRegex:
          return key_re->Match(k);
        case BinaryOp::kNeqRegex:
          return !key_re->Match(k);
        default:
          return false;
      }
    };
    for (const Measurement& m : ms) {
      std::set<std::pair<std::string, std::string>> kv;
      for (const TagSet* ts : FilterTagSets(m, s.condition.get(), regexes, ctx_.now)) {
        for (const auto& t : ts->tags) {
          if (key_matches(t.first)) kv.insert(t);
        }
      }
      SeriesOut so;
      so.name = m.name;
      so.columns = {"key", "value"};
      for (const auto& [k, v] : kv) so.values.push_back({Cell(k), Cell(v)});
      ApplyLimitOffset(&so.values, s.limit, s.offset);
      if (!so.values.empty()) out_.series.push_back(std::move(so));
    }
  }

  void operator()(const ShowFieldKeysStatement& s) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    if (!Catalog(s.database, s.sources, nullptr, &regexes, &ms)) return;
    for (const Measurement& m : ms) {
      SeriesOut so;
      so.name = m.name;
      so.columns = {"fieldKey", "fieldType"};
      for (const auto& [f, t] : m.fields) {
        so.values.push_back({Cell(f), Cell(std::string(TypeName(t)))});
      }
      ApplyLimitOffset(&so.values, s.limit, s.offset);
      if (!so.values.empty()) out_.series.push_back(std::move(so));
    }
  }

  void operator()(const ShowSeriesStatement& s) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    if (!Catalog(s.database, s.sources, s.condition.get(), &regexes, &ms)) return;
    SeriesOut so;
    so.columns = {"key"};
    std::vector<std::string> keys;
    for (const Measurement& m : ms) {
      for (const TagSet* ts : FilterTagSets(m, s.condition.get(), regexes, ctx_.now)) {
        std::string key = EscapeKeyPart(m.name, true);
        for (const auto& [k, v] : ts->tags) {
          key += "," + EscapeKeyPart(k, false) + "=" + EscapeKeyPart(v, false);
        }
        keys.push_back(std::move(key));
      }
    }
    std::sort(keys.begin(), keys.end());
    for (auto& k : keys) so.values.push_back({Cell(std::move(k))});
    ApplyLimitOffset(&so.values, s.limit, s.offset);
    if (!so.values.empty()) out_.series.push_back(std::move(so));
  }

  void operator()(const DeleteStatement& s) {
    CompiledRegexes regexes;
    std::vector<Measurement> ms;
    if (!Catalog("", s.sources, s.condition.get(), &regexes, &ms)) return;
    Evaluator ev(nullptr, &regexes, ctx_.now);
    for (const Measurement& m : ms) {
      Evaluator mev(&m, &regexes, ctx_.now);
      if (HasFieldRefs(s.condition.get(), mev)) {
        out_.error = "fields not supported in WHERE clause during deletion";
        return;
      }
    }
    auto tr = ExtractTimeRange(s.condition.get(), ev);
    if (!tr.ok()) {
      out_.error = tr.status().message();
      return;
    }
    if (ctx_.scope && ctx_.scope->remove) {
      for (const Source& src : s.sources) {
        if (!src.is_regex && !ctx_.scope->remove(ctx_.db, src.name)) {
          out_.error = "not authorized to delete from " + src.name + " in " + ctx_.db;
          return;
        }
      }
      std::erase_if(ms, [&](const Measurement& m) { return !ctx_.scope->remove(ctx_.db, m.name); });
    }
    std::vector<storage::SeriesId> ids;
    for (const Measurement& m : ms) {
      for (const TagSet* ts : FilterTagSets(m, s.condition.get(), regexes, ctx_.now)) {
        for (const auto& [f, info] : ts->fields) ids.push_back(info->id);
      }
    }
    if (ids.empty()) return;
    Status status = ctx_.engine->DeleteRange(ctx_.db, ids, tr->min, tr->max + 1);
    if (!status.ok()) out_.error = status.message();
  }

 private:
  bool DatabaseExists(std::string_view db) const {
    for (const auto& t : ctx_.engine->Tenants()) {
      if (t == db) return true;
    }
    if (ctx_.options->list_databases) {
      for (const auto& t : ctx_.options->list_databases()) {
        if (t == db) return true;
      }
    }
    return false;
  }

  // Selects the database (`on`, else the request's); false (with the error set) if there is none.
  bool NeedDb(const std::string& on) {
    if (!on.empty()) ctx_.db = on;
    if (ctx_.db.empty()) {
      out_.error = "database name required";
      return false;
    }
    // Before the existence check: a database of another tenant and none at all look the same.
    if (ctx_.scope && ctx_.scope->database && !ctx_.scope->database(ctx_.db)) {
      out_.error = "not authorized to access database " + ctx_.db;
      return false;
    }
    if (!DatabaseExists(ctx_.db)) {
      out_.error = "database not found: " + ctx_.db;
      return false;
    }
    return true;
  }

  // What catalog statements share: the database, the measurements of `sources` (all if none),
  // the regexes of the tag condition. Time conditions are accepted (series exist at all times
  // in the catalog).
  bool Catalog(const std::string& on, const std::vector<Source>& sources, const Expr* cond,
               CompiledRegexes* regexes, std::vector<Measurement>* ms) {
    if (!NeedDb(on)) return false;
    Status st = CompileRegexes(cond, regexes);
    if (!st.ok()) {
      out_.error = st.message();
      return false;
    }
    auto all = SeriesByMeasurement(ctx_.engine, ctx_.db, &sources);
    std::vector<std::string> names;
    if (sources.empty()) {
      for (auto& [n, v] : all) names.push_back(n);
    } else {
      names = ResolveSources(sources, all, &st);
      if (!st.ok()) {
        out_.error = st.message();
        return false;
      }
    }
    if (Status scoped = ApplyReadScope(ctx_, sources, &names); !scoped.ok()) {
      out_.error = scoped.message();
      return false;
    }
    for (const auto& n : names) ms->push_back(BuildMeasurement(n, std::move(all[n])));
    return true;
  }

  StatementContext ctx_;
  StatementResult out_;
};

}  // namespace

StatementResult ExecuteStatement(StatementContext ctx, const Statement& st) {
  StatementVisitor visitor(std::move(ctx));
  std::visit(visitor, st);
  return visitor.Take();
}

}  // namespace verbund::query
