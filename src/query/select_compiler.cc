#include "query/select_compiler.h"

#include <cmath>
#include <functional>
#include <memory>

#include "query/parser.h"

namespace verbund::query {

using storage::ValueType;

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
  if (n == "integral") return Func::kIntegral;
  if (n == "distinct") return Func::kDistinct;
  return std::nullopt;
}

bool IsSelector(Func f) {
  return f == Func::kMin || f == Func::kMax || f == Func::kFirst || f == Func::kLast ||
         f == Func::kPercentile;
}

std::optional<Transform> LookupTransform(std::string_view n) {
  if (n == "derivative") return Transform::kDerivative;
  if (n == "non_negative_derivative") return Transform::kNonNegativeDerivative;
  if (n == "difference") return Transform::kDifference;
  if (n == "non_negative_difference") return Transform::kNonNegativeDifference;
  if (n == "moving_average") return Transform::kMovingAverage;
  if (n == "cumulative_sum") return Transform::kCumulativeSum;
  return std::nullopt;
}

namespace {

bool NumericOnly(Func f) {
  return f != Func::kCount && f != Func::kFirst && f != Func::kLast && f != Func::kDistinct;
}

bool KnownUnsupported(std::string_view n) {
  static constexpr std::string_view kNames[] = {"mode",
                                                "elapsed",
                                                "top",
                                                "bottom",
                                                "sample",
                                                "holt_winters",
                                                "holt_winters_with_fit",
                                                "exponential_moving_average",
                                                "double_exponential_moving_average",
                                                "triple_exponential_moving_average",
                                                "relative_strength_index",
                                                "triple_exponential_derivative",
                                                "kaufmans_efficiency_ratio",
                                                "kaufmans_adaptive_moving_average",
                                                "chande_momentum_oscillator",
                                                "abs",
                                                "sin",
                                                "cos",
                                                "tan",
                                                "asin",
                                                "acos",
                                                "atan",
                                                "atan2",
                                                "exp",
                                                "ln",
                                                "log",
                                                "log2",
                                                "log10",
                                                "sqrt",
                                                "pow",
                                                "floor",
                                                "ceil",
                                                "round"};
  for (auto k : kNames) {
    if (k == n) return true;
  }
  return false;
}

std::string ExprName(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kVarRef:
      return e.name;
    case Expr::Kind::kCall:
      return e.name;
    case Expr::Kind::kParen:
      return ExprName(*e.lhs);
    case Expr::Kind::kBinary: {
      std::string l = ExprName(*e.lhs), r = ExprName(*e.rhs);
      if (!l.empty() && !r.empty()) return l + "_" + r;
      return l.empty() ? r : l;
    }
    default:
      return "";
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

// count(distinct(field)): the argument of count() may be a distinct() call (InfluxDB 1.x).
bool IsCountDistinct(const Expr& call) {
  return call.name == "count" && call.args.size() == 1 && call.args[0]->kind == Expr::Kind::kCall &&
         call.args[0]->name == "distinct";
}

// distinct()'s arguments, with InfluxDB's messages (query/compile.go, compileDistinct).
Status ValidateDistinctArgs(const Expr& call) {
  if (call.args.empty()) return InvalidArgument("distinct function requires at least one argument");
  if (call.args.size() != 1) return InvalidArgument("distinct function can only have one argument");
  if (call.args[0]->kind != Expr::Kind::kVarRef) {
    return InvalidArgument("expected field argument in distinct()");
  }
  return Status::OK();
}

// integral()'s arguments: 1 or 2, the second a positive duration (compileIntegral).
Status ValidateIntegralArgs(const Expr& call) {
  if (call.args.empty() || call.args.size() > 2) {
    return InvalidArgument(
        "invalid number of arguments for integral, expected at least 1 but no more than 2, got " +
        std::to_string(call.args.size()));
  }
  if (call.args.size() == 2) {
    const Expr& unit = *call.args[1];
    if (unit.kind != Expr::Kind::kDuration) {
      return InvalidArgument("second argument must be a duration");
    }
    if (unit.integer <= 0) {
      return InvalidArgument("duration argument must be positive, got " + ExprToString(unit));
    }
  }
  return Status::OK();
}

Status ValidateCall(const Expr& call) {
  auto f = LookupFunc(call.name);
  if (!f) {
    if (KnownUnsupported(call.name)) {
      return InvalidArgument("unsupported function: " + call.name + "()");
    }
    return InvalidArgument("undefined function " + call.name + "()");
  }
  if (*f == Func::kDistinct) return ValidateDistinctArgs(call);
  if (*f == Func::kIntegral) RETURN_IF_ERROR(ValidateIntegralArgs(call));
  size_t want = *f == Func::kPercentile ? 2 : 1;
  if (*f != Func::kIntegral && call.args.size() != want) {
    return InvalidArgument("invalid number of arguments for " + call.name + ", expected " +
                           std::to_string(want) + ", got " + std::to_string(call.args.size()));
  }
  if (IsCountDistinct(call)) return ValidateDistinctArgs(*call.args[0]);
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

// Function calls of a field as InfluxDB counts them for its distinct() rule (a distinct()
// inside count() is part of the count); `distinct` is set by a top-level distinct() call.
size_t CountCalls(const Expr& e, bool* distinct) {
  if (e.kind == Expr::Kind::kCall && e.name != "now") {
    if (e.name == "distinct") *distinct = true;
    if (IsCountDistinct(e) || LookupFunc(e.name)) return 1;
    size_t n = 1;  // a transformation: its argument may hold further calls
    for (const auto& a : e.args) n += CountCalls(*a, distinct);
    return n;
  }
  size_t n = 0;
  if (e.lhs) n += CountCalls(*e.lhs, distinct);
  if (e.rhs) n += CountCalls(*e.rhs, distinct);
  return n;
}

}  // namespace

Result<CompiledSelect> CompileSelect(const SelectStatement& s, const Measurement& m,
                                     const std::set<std::string>& group_tags, const Evaluator& ev,
                                     const CompiledRegexes& regexes,
                                     const WildcardUniverse* universe) {
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
    int64_t window = 0;
  };
  std::vector<Pending> pending;
  bool saw_aggregate_wildcard =
      false;  // mean(*) counts as an aggregate even if it expands to nothing
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
        const bool is_moving = *tr == Transform::kMovingAverage;
        if (is_derivative ? (e.args.empty() || e.args.size() > 2)
                          : e.args.size() != (is_moving ? 2u : 1u)) {
          return InvalidArgument("invalid number of arguments for " + e.name + ", expected " +
                                 (is_derivative ? std::string("at least 1 but no more than 2")
                                                : std::string(is_moving ? "2" : "1")) +
                                 ", got " + std::to_string(e.args.size()));
        }
        const Expr& inner = *e.args[0];
        int64_t unit = 0;
        int64_t window = 0;
        if (is_moving) {
          if (e.args[1]->kind != Expr::Kind::kInteger) {
            return InvalidArgument("second argument for moving_average must be an integer, got " +
                                   ExprToString(*e.args[1]));
          }
          if (e.args[1]->integer <= 1) {
            return InvalidArgument("moving_average window must be greater than 1, got " +
                                   std::to_string(e.args[1]->integer));
          }
          window = e.args[1]->integer;
        } else if (e.args.size() == 2) {
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
          // integral() and distinct() stream over buckets of their own; a transformation of
          // them is not modelled (yet).
          if (LookupTransform(inner.name) || inner.name == "integral" || inner.name == "distinct" ||
              IsCountDistinct(inner)) {
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
        pending.push_back({CloneExpr(inner), f.alias, e.name, *tr, unit, window});
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
  // distinct() must be the statement's only function and come without plain fields.
  {
    bool has_distinct = false, aux = false;
    size_t calls = 0;
    for (const SelectField& f : s.fields) {
      calls += CountCalls(*f.expr, &has_distinct);
      if (ContainsVarOutsideCall(*f.expr)) aux = true;
    }
    if (has_distinct && (calls != 1 || aux)) {
      return InvalidArgument(
          "aggregate function distinct() cannot be combined with other functions or fields");
    }
    c.distinct = has_distinct;
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
    std::string name =
        pending[i].generated.empty() ? ExprName(*pending[i].expr) : pending[i].generated;
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
      if (IsCountDistinct(e)) {
        l.func = Func::kCountDistinct;
        l.name = e.args[0]->args[0]->name;
      }
      if (l.func == Func::kPercentile) {
        const Expr& p = *e.args[1];
        l.percentile = p.kind == Expr::Kind::kInteger ? static_cast<double>(p.integer) : p.number;
      }
      if (l.func == Func::kIntegral && e.args.size() == 2) l.unit = e.args[1]->integer;
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
    c.columns.push_back({names[i], std::move(pending[i].expr), pending[i].transform,
                         pending[i].unit, pending[i].window});
    switch (pending[i].transform) {
      case Transform::kNone:
        break;
      case Transform::kCumulativeSum:
        c.has_transform = true;
        break;
      default:
        c.has_transform = true;
        c.extra_buckets = std::max<int64_t>(c.extra_buckets, 1);
        break;
    }
  }
  c.field_names.assign(fields.begin(), fields.end());
  return c;
}

Cell EvalColumn(const Expr& e, const CompiledSelect& c, const std::vector<Cell>& leaves) {
  if (auto it = c.leaf_of.find(&e); it != c.leaf_of.end()) return leaves[it->second];
  switch (e.kind) {
    case Expr::Kind::kParen:
      return EvalColumn(*e.lhs, c, leaves);
    case Expr::Kind::kNumber:
      return e.number;
    case Expr::Kind::kInteger:
      return e.integer;
    case Expr::Kind::kDuration:
      return e.integer;
    case Expr::Kind::kString:
      return e.text;
    case Expr::Kind::kBool:
      return e.boolean;
    case Expr::Kind::kBinary: {
      Cell l = EvalColumn(*e.lhs, c, leaves);
      Cell r = EvalColumn(*e.rhs, c, leaves);
      EvalValue a = Evaluator::FromCell(l), b = Evaluator::FromCell(r);
      bool ln = a.kind == EvalValue::kInt || a.kind == EvalValue::kFloat;
      bool rn = b.kind == EvalValue::kInt || b.kind == EvalValue::kFloat;
      if (!ln || !rn) return std::monostate{};
      if (a.kind == EvalValue::kInt && b.kind == EvalValue::kInt && e.op != BinaryOp::kDiv) {
        switch (e.op) {
          case BinaryOp::kAdd:
            return a.i + b.i;
          case BinaryOp::kSub:
            return a.i - b.i;
          case BinaryOp::kMul:
            return a.i * b.i;
          case BinaryOp::kMod:
            return b.i == 0 ? Cell(std::monostate{}) : Cell(a.i % b.i);
          case BinaryOp::kBitAnd:
            return a.i & b.i;
          case BinaryOp::kBitOr:
            return a.i | b.i;
          case BinaryOp::kBitXor:
            return a.i ^ b.i;
          default:
            return std::monostate{};
        }
      }
      double x = a.kind == EvalValue::kInt ? static_cast<double>(a.i) : a.f;
      double y = b.kind == EvalValue::kInt ? static_cast<double>(b.i) : b.f;
      switch (e.op) {
        case BinaryOp::kAdd:
          return x + y;
        case BinaryOp::kSub:
          return x - y;
        case BinaryOp::kMul:
          return x * y;
        case BinaryOp::kDiv:
          return y == 0 ? Cell(0.0) : Cell(x / y);
        case BinaryOp::kMod:
          return y == 0 ? Cell(std::monostate{}) : Cell(std::fmod(x, y));
        default:
          return std::monostate{};
      }
    }
    default:
      return std::monostate{};
  }
}

}  // namespace verbund::query
