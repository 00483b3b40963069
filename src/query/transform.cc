#include "query/transform.h"

#include "query/eval.h"

namespace verbund::query {

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
          case Transform::kNone:
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
    if (time_of(row) < keep_from) continue;  // (ascending rows only use keep_from)
    bool any = false;
    for (size_t i = 1; i < row.size(); ++i) any = any || !IsNull(row[i]);
    if (any) kept.push_back(std::move(row));
  }
  *rows = std::move(kept);
}

}  // namespace verbund::query
