#include "query/eval.h"

#include <cmath>

#include "query/parser.h"

namespace verbund::query {

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

EvalValue Evaluator::Eval(const Expr& e, const RowContext& ctx) const {
  EvalValue v;
  switch (e.kind) {
    case Expr::Kind::kParen:
      return Eval(*e.lhs, ctx);
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
    case Expr::Kind::kNumber:
      v.kind = EvalValue::kFloat;
      v.f = e.number;
      return v;
    case Expr::Kind::kInteger:
      v.kind = EvalValue::kInt;
      v.i = e.integer;
      return v;
    case Expr::Kind::kDuration:
      v.kind = EvalValue::kInt;
      v.i = e.integer;
      return v;
    case Expr::Kind::kString:
      v.kind = EvalValue::kString;
      v.s = e.text;
      return v;
    case Expr::Kind::kBool:
      v.kind = EvalValue::kBool;
      v.b = e.boolean;
      return v;
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
    case Expr::Kind::kWildcard:
      return v;
    case Expr::Kind::kBinary:
      return EvalBinary(e, ctx);
  }
  return v;
}

EvalValue Evaluator::FromCell(const Cell& c) {
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

EvalValue Evaluator::EvalBinary(const Expr& e, const RowContext& ctx) const {
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
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kMod:
    case BinaryOp::kBitAnd:
    case BinaryOp::kBitOr:
    case BinaryOp::kBitXor:
      return Arith(e.op, l, r);
    case BinaryOp::kEqRegex:
    case BinaryOp::kNeqRegex: {
      if (r.kind != EvalValue::kRegex || l.kind != EvalValue::kString || !r.re) return Bool(false);
      bool m = r.re->Match(l.s);
      return Bool(e.op == BinaryOp::kEqRegex ? m : !m);
    }
    default:
      break;
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
    case BinaryOp::kEq:
      return Bool(cmp == 0);
    case BinaryOp::kNeq:
      return Bool(cmp != 0);
    case BinaryOp::kLt:
      return Bool(cmp < 0);
    case BinaryOp::kLte:
      return Bool(cmp <= 0);
    case BinaryOp::kGt:
      return Bool(cmp > 0);
    case BinaryOp::kGte:
      return Bool(cmp >= 0);
    default:
      return Bool(false);
  }
}

EvalValue Evaluator::TimeFromString(const EvalValue& s) {
  EvalValue v;
  auto t = ParseTimeString(s.s);
  if (!t.ok()) return v;  // null: never matches
  v.kind = EvalValue::kInt;
  v.i = *t;
  v.is_time = true;
  return v;
}

EvalValue Evaluator::Arith(BinaryOp op, const EvalValue& l, const EvalValue& r) {
  EvalValue v;
  bool time = l.is_time || r.is_time;
  if (l.kind == EvalValue::kInt && r.kind == EvalValue::kInt) {
    v.kind = EvalValue::kInt;
    v.is_time = time;
    int64_t out = 0;
    switch (op) {
      case BinaryOp::kAdd:
        if (__builtin_add_overflow(l.i, r.i, &out)) out = l.i > 0 ? kMaxTime : kMinTime;
        break;
      case BinaryOp::kSub:
        if (__builtin_sub_overflow(l.i, r.i, &out)) out = l.i > 0 ? kMaxTime : kMinTime;
        break;
      case BinaryOp::kMul:
        if (__builtin_mul_overflow(l.i, r.i, &out)) out = 0;
        break;
      case BinaryOp::kDiv:
        v.kind = EvalValue::kFloat;
        v.f = r.i == 0 ? 0 : static_cast<double>(l.i) / static_cast<double>(r.i);
        return v;
      case BinaryOp::kMod:
        out = r.i == 0 ? 0 : l.i % r.i;
        break;
      case BinaryOp::kBitAnd:
        out = l.i & r.i;
        break;
      case BinaryOp::kBitOr:
        out = l.i | r.i;
        break;
      case BinaryOp::kBitXor:
        out = l.i ^ r.i;
        break;
      default:
        break;
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
      case BinaryOp::kAdd:
        v.f = a + b;
        break;
      case BinaryOp::kSub:
        v.f = a - b;
        break;
      case BinaryOp::kMul:
        v.f = a * b;
        break;
      case BinaryOp::kDiv:
        v.f = b == 0 ? 0 : a / b;
        break;
      case BinaryOp::kMod:
        v.f = b == 0 ? 0 : std::fmod(a, b);
        break;
      default:
        v.kind = EvalValue::kNull;
        break;
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

}  // namespace verbund::query
