#include "query/transform.h"

#include "query/eval.h"

namespace verbund::query {
namespace {

int64_t TimeOf(const std::vector<Cell>& row) { return std::get<TimeCell>(row[0]).ns; }

double Number(const EvalValue& v) {
  return v.kind == EvalValue::kInt ? static_cast<double>(v.i) : v.f;
}

bool IsNumber(const EvalValue& v) {
  return v.kind == EvalValue::kInt || v.kind == EvalValue::kFloat;
}

// cumulative_sum(): the running sum of the column's numeric values, integers kept integers
// while every value so far was one (InfluxDB's integer and float reducers).
void CumulativeSum(size_t k, std::vector<std::vector<Cell>>* rows) {
  bool is_int = true;
  int64_t isum = 0;
  double fsum = 0;
  for (auto& row : *rows) {
    EvalValue cur = Evaluator::FromCell(row[k]);
    row[k] = std::monostate{};
    if (!IsNumber(cur)) continue;
    if (cur.kind == EvalValue::kFloat && is_int) {
      is_int = false;
      fsum = static_cast<double>(isum);
    }
    if (is_int) {
      isum += cur.i;
      row[k] = isum;
    } else {
      fsum += Number(cur);
      row[k] = fsum;
    }
  }
}

// moving_average(x, n): the mean of the last n numeric values, from the n-th value on. The sum
// is kept running (subtract the value leaving, add the one entering) as InfluxDB does, so the
// floating-point results agree to the last digit; integer columns sum exactly.
void MovingAverage(size_t k, size_t n, std::vector<std::vector<Cell>>* rows) {
  std::vector<EvalValue> window;
  size_t pos = 0;
  double fsum = 0;
  int64_t isum = 0;
  for (auto& row : *rows) {
    EvalValue cur = Evaluator::FromCell(row[k]);
    row[k] = std::monostate{};
    if (!IsNumber(cur)) continue;
    if (window.size() == n) {
      const EvalValue& out = window[pos];
      if (out.kind == EvalValue::kInt) {
        isum -= out.i;
      } else {
        fsum -= out.f;
      }
      window[pos] = cur;
    } else {
      window.push_back(cur);
    }
    if (cur.kind == EvalValue::kInt) {
      isum += cur.i;
    } else {
      fsum += cur.f;
    }
    pos = (pos + 1) % n;
    if (window.size() == n) row[k] = (fsum + static_cast<double>(isum)) / static_cast<double>(n);
  }
}

}  // namespace

void ApplyTransforms(const CompiledSelect& c, int64_t default_unit, int64_t keep_min,
                     int64_t keep_max, std::vector<std::vector<Cell>>* rows) {
  for (size_t col = 0; col < c.columns.size(); ++col) {
    const Column& column = c.columns[col];
    if (column.transform == Transform::kNone) continue;
    const size_t k = col + 1;  // cell index (0 is time)
    if (column.transform == Transform::kCumulativeSum) {
      CumulativeSum(k, rows);
      continue;
    }
    if (column.transform == Transform::kMovingAverage) {
      MovingAverage(k, static_cast<size_t>(column.window), rows);
      continue;
    }
    bool have_prev = false;
    int64_t prev_t = 0;
    Cell prev_v;
    for (auto& row : *rows) {
      Cell v = row[k];
      row[k] = std::monostate{};
      EvalValue cur = Evaluator::FromCell(v);
      if (cur.kind != EvalValue::kInt && cur.kind != EvalValue::kFloat) continue;
      const int64_t t = TimeOf(row);
      if (have_prev && t == prev_t) continue;  // a second point at the same time is ignored
      if (have_prev) {
        EvalValue pv = Evaluator::FromCell(prev_v);
        const bool both_int = cur.kind == EvalValue::kInt && pv.kind == EvalValue::kInt;
        double a = Number(cur);
        double b = Number(pv);
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
          default:
            break;
        }
      }
      have_prev = true;
      prev_t = t;
      prev_v = std::move(v);
    }
  }
  std::vector<std::vector<Cell>> kept;
  for (auto& row : *rows) {
    if (TimeOf(row) < keep_min || TimeOf(row) > keep_max) continue;
    bool any = false;
    for (size_t i = 1; i < row.size(); ++i) any = any || !IsNull(row[i]);
    if (any) kept.push_back(std::move(row));
  }
  *rows = std::move(kept);
}

}  // namespace verbund::query
