// The time range of a WHERE clause, and the predicates the executor uses to tell whether the
// extracted range is the whole time part of a condition. Internal to src/query.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "query/ast.h"
#include "query/eval.h"

namespace verbund::query {

struct TimeRange {
  int64_t min = kMinTime;
  int64_t max = kMaxTime;
  bool min_set = false, max_set = false;
};

// True if `pred` holds for `e` or any expression under it.
bool RefersTo(const Expr* e, bool (*pred)(const Expr&));
bool IsTimeRef(const Expr& e);
bool IsComparison(BinaryOp op);
const Expr* StripParens(const Expr* e);

// The time bounds `cond` implies (AND narrows, OR widens; unbounded sides stay at the extremes).
Result<TimeRange> ExtractTimeRange(const Expr* cond, const Evaluator& ev);

// True when `time` only appears in conjuncts at the top AND level (so the extracted range is
// exactly the time part of the condition and rows need no per-point time check).
bool TimeOnlyAtTopLevel(const Expr* e);

}  // namespace verbund::query
