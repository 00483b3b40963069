// Reading the samples of a tag set: the fields a statement needs joined into rows by timestamp,
// with rows pre-selected on `field <op> number` conjuncts, under a per-statement point budget.
// Internal to src/query.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "query/catalog_view.h"
#include "query/eval.h"
#include "query/rows.h"
#include "storage/engine.h"

namespace verbund::query {

// The cell of sample `i` of a value column.
Cell CellAt(const storage::ValueColumn& col, size_t i);

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

// Collects the top-level AND conjuncts of `e` that are FieldFilters.
void CollectFieldFilters(const Expr* e, const Evaluator& ev, std::vector<FieldFilter>* out);

// Rows of `fields` of `ts` in [tmin, tmax] (descending if `desc`, at most `limit` rows if not 0).
// `filters` (may be empty) pre-select rows: only rows passing all of them are returned (the
// caller still evaluates the whole condition on them).
Result<JoinedRows> ReadJoined(storage::Engine* engine, const TagSet& ts,
                              const std::vector<std::string>& fields, int64_t tmin, int64_t tmax,
                              bool desc, size_t limit, ReadBudget* budget,
                              const std::vector<FieldFilter>& filters = {});

}  // namespace verbund::query
