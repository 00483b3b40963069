#include "query/read_plan.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <optional>

namespace verbund::query {

Cell CellAt(const storage::ValueColumn& col, size_t i) {
  switch (col.index()) {
    case 0:
      return std::get<0>(col)[i];
    case 1:
      return std::get<1>(col)[i];
    case 2:
      return std::get<2>(col)[i] != 0;
    default:
      return std::get<3>(col)[i];
  }
}

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

namespace {

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

}  // namespace

Result<JoinedRows> ReadJoined(storage::Engine* engine, const TagSet& ts,
                              const std::vector<std::string>& fields, int64_t tmin, int64_t tmax,
                              bool desc, size_t limit, ReadBudget* budget,
                              const std::vector<FieldFilter>& filters) {
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

}  // namespace verbund::query
