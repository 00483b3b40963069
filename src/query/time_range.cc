#include "query/time_range.h"

#include <algorithm>
#include <utility>

#include "query/parser.h"

namespace verbund::query {

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

namespace {

// Evaluates a time literal expression (now() - 1h, '2020-01-01T00:00:00Z', 1500000000000ms...).
Result<int64_t> TimeLiteral(const Expr& e, const Evaluator& ev) {
  RowContext none;
  EvalValue v = ev.Eval(e, none);
  if (v.kind == EvalValue::kString) {
    auto t = ParseTimeString(v.s);
    if (!t.ok())
      return InvalidArgument(
          "invalid operation: time and *influxql.StringLiteral are not compatible");
    return *t;
  }
  if (v.kind == EvalValue::kInt) return v.i;
  if (v.kind == EvalValue::kFloat) return static_cast<int64_t>(v.f);
  return InvalidArgument("invalid time comparison: " + ExprToString(e));
}

}  // namespace

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
      case BinaryOp::kLt:
        op = BinaryOp::kGt;
        break;
      case BinaryOp::kLte:
        op = BinaryOp::kGte;
        break;
      case BinaryOp::kGt:
        op = BinaryOp::kLt;
        break;
      case BinaryOp::kGte:
        op = BinaryOp::kLte;
        break;
      default:
        break;
    }
  }
  ASSIGN_OR_RETURN(int64_t t, TimeLiteral(*rr, ev));
  switch (op) {
    case BinaryOp::kGt:
      r.min = t == kMaxTime ? t : t + 1;
      r.min_set = true;
      break;
    case BinaryOp::kGte:
      r.min = t;
      r.min_set = true;
      break;
    case BinaryOp::kLt:
      r.max = t == kMinTime ? t : t - 1;
      r.max_set = true;
      break;
    case BinaryOp::kLte:
      r.max = t;
      r.max_set = true;
      break;
    case BinaryOp::kEq:
      r.min = r.max = t;
      r.min_set = r.max_set = true;
      break;
    default:
      break;
  }
  r.min = std::max(r.min, kMinTime);
  r.max = std::min(r.max, kMaxTime);
  return r;
}

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

}  // namespace verbund::query
