#include "query/aggregate.h"

#include <algorithm>
#include <cmath>

#include "query/eval.h"

namespace verbund::query {

namespace {

double Num(const Cell& c) {
  if (auto* d = std::get_if<double>(&c)) return *d;
  if (auto* i = std::get_if<int64_t>(&c)) return static_cast<double>(*i);
  if (auto* b = std::get_if<bool>(&c)) return *b ? 1.0 : 0.0;
  return 0.0;
}

// The order of distinct() values: by type, then by value.
bool ValueLess(const Cell& a, const Cell& b) {
  if (a.index() != b.index()) return a.index() < b.index();
  if (auto* x = std::get_if<double>(&a)) return *x < std::get<double>(b);
  if (auto* x = std::get_if<int64_t>(&a)) return *x < std::get<int64_t>(b);
  if (auto* x = std::get_if<bool>(&a)) return !*x && std::get<bool>(b);
  if (auto* x = std::get_if<std::string>(&a)) return *x < std::get<std::string>(b);
  return false;
}

}  // namespace

std::vector<Sample> Distinct(std::vector<Sample> s, bool ascending) {
  std::stable_sort(s.begin(), s.end(), [&](const Sample& a, const Sample& b) {
    return ascending ? a.t < b.t : a.t > b.t;
  });
  // Equal values stay in scan order, so the first of each run is the one InfluxDB keeps.
  std::stable_sort(s.begin(), s.end(),
                   [](const Sample& a, const Sample& b) { return ValueLess(a.v, b.v); });
  std::vector<Sample> out;
  for (Sample& x : s) {
    if (!out.empty() && !ValueLess(out.back().v, x.v)) continue;
    out.push_back(std::move(x));
  }
  std::sort(out.begin(), out.end(), [](const Sample& a, const Sample& b) {
    return a.t != b.t ? a.t < b.t : ValueLess(a.v, b.v);
  });
  return out;
}

std::vector<Sample> Integral(const std::vector<Sample>& points, int64_t interval, int64_t offset,
                             bool ascending, int64_t unit) {
  std::vector<Sample> out;
  if (points.empty()) return out;
  const bool integer = std::holds_alternative<int64_t>(points[0].v);
  const double u = static_cast<double>(unit);
  // The window of t, as (start, end) in scan direction: descending, start is the later edge.
  auto window = [&](int64_t t, int64_t* start, int64_t* end) {
    if (interval <= 0) {
      *start = *end = 0;
      return;
    }
    int64_t lo = BucketStart(t, interval, offset);
    *start = ascending ? lo : lo + interval;
    *end = ascending ? lo + interval : lo;
  };
  int64_t prev_t = points[0].t;
  double prev_v = Num(points[0].v);
  int64_t start = 0, end = 0;
  window(prev_t, &start, &end);
  double sum = 0;
  for (size_t i = 1; i < points.size(); ++i) {
    const int64_t t = points[i].t;
    const double v = Num(points[i].v);
    if (t == prev_t) {
      prev_v = v;
      continue;
    }
    if (interval > 0 && (ascending ? t >= end : t <= end)) {
      if (prev_t != end) {
        // The area up to the window's edge, at the linearly interpolated value.
        // Go's linearFloat: slope * distance + previous value, in this order of rounding.
        double slope = (v - prev_v) / static_cast<double>(t - prev_t);
        double edge = slope * static_cast<double>(end - prev_t) + prev_v;
        double elapsed = static_cast<double>(end - prev_t) / u;
        sum += 0.5 * (edge + prev_v) * elapsed;
        // influxd 1.6.7's integer reducer carries on from the edge with the value lowered by
        // the step to the next point (measured: integral(used) over 33s..43s split at 40s adds
        // 3 * (1027 + 1040) / 2 after the edge, not 3 * (1037 + 1040) / 2); floats carry the
        // interpolated value.
        prev_v = integer ? edge - (v - prev_v) : edge;
        prev_t = end;
      }
      out.push_back({start, sum});
      window(t, &start, &end);
      sum = 0;
    }
    double elapsed = static_cast<double>(t - prev_t) / u;
    sum += 0.5 * (v + prev_v) * elapsed;
    prev_t = t;
    prev_v = v;
  }
  if (prev_t != start) out.push_back({start, sum});
  return out;
}

Cell Reduce(Func f, double pct, std::vector<Sample>& s, int64_t* point_time) {
  if (s.empty()) {
    return f == Func::kCount || f == Func::kCountDistinct ? Cell(int64_t{0})
                                                          : Cell(std::monostate{});
  }
  auto num = Num;
  const bool all_int = std::all_of(
      s.begin(), s.end(), [](const Sample& x) { return std::holds_alternative<int64_t>(x.v); });
  const bool numeric = std::all_of(s.begin(), s.end(), [](const Sample& x) {
    return std::holds_alternative<int64_t>(x.v) || std::holds_alternative<double>(x.v);
  });
  switch (f) {
    case Func::kCount:
      return static_cast<int64_t>(s.size());
    case Func::kCountDistinct:
      return static_cast<int64_t>(Distinct(s, true).size());
    case Func::kFirst:
    case Func::kLast: {
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
    default:
      break;
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
    case Func::kMin:
    case Func::kMax: {
      size_t best = 0;
      for (size_t i = 1; i < s.size(); ++i) {
        double a = num(s[i].v), b = num(s[best].v);
        if (f == Func::kMin ? a < b : a > b)
          best = i;
        else if (a == b && s[i].t < s[best].t)
          best = i;
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
      int64_t i =
          static_cast<int64_t>(std::floor(static_cast<double>(s.size()) * pct / 100.0 + 0.5)) - 1;
      if (i < 0 || i >= static_cast<int64_t>(s.size())) return std::monostate{};
      *point_time = s[static_cast<size_t>(i)].t;
      return s[static_cast<size_t>(i)].v;
    }
    default:
      return std::monostate{};
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
    case Func::kCount:
      return static_cast<int64_t>(a.count);
    case Func::kSum:
      return typed(a.sum);
    case Func::kMean:
      return a.sum / static_cast<double>(a.count);
    case Func::kMin:
      return typed(a.min);
    case Func::kMax:
      return typed(a.max);
    case Func::kFirst:
      *point_time = a.first_ts;
      return typed(a.first);
    case Func::kLast:
      *point_time = a.last_ts;
      return typed(a.last);
    case Func::kSpread:
      return typed(a.max - a.min);
    case Func::kStddev:
      if (a.count < 2) return std::monostate{};
      return std::sqrt(a.m2 / static_cast<double>(a.count - 1));
    default:
      return std::monostate{};
  }
}

bool FastPathFunc(Func f) {
  return f != Func::kMedian && f != Func::kPercentile && f != Func::kIntegral &&
         f != Func::kDistinct && f != Func::kCountDistinct;
}

namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

bool BucketFilled(Func f) { return f != Func::kIntegral && f != Func::kDistinct; }

int64_t BucketStart(int64_t t, int64_t interval, int64_t offset) {
  int64_t off = offset % interval;
  // t - floor_mod(t - off, interval), computed without overflow for sane inputs.
  int64_t shifted = t - off;
  int64_t m = shifted - FloorDiv(shifted, interval) * interval;
  return t - m;
}

void ApplyFill(const SelectStatement& s, const CompiledSelect& c,
               std::vector<std::vector<Cell>>* results, const std::vector<std::vector<bool>>& has,
               const std::vector<int64_t>& times) {
  for (size_t l = 0; l < c.leaves.size(); ++l) {
    // integral() and distinct() are not filled per bucket (InfluxDB 1.x builds no fill
    // iterator for them).
    if (!BucketFilled(c.leaves[l].func)) continue;
    auto& col = (*results)[l];
    const bool is_count =
        c.leaves[l].func == Func::kCount || c.leaves[l].func == Func::kCountDistinct;
    switch (s.fill) {
      case FillMode::kNull:
      case FillMode::kNone:
        break;
      case FillMode::kNumber:
        for (size_t b = 0; b < col.size(); ++b) {
          if (has[l][b]) continue;
          if (s.fill_number_is_int || is_count) {
            col[b] = static_cast<int64_t>(s.fill_number);
          } else {
            col[b] = s.fill_number;
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

}  // namespace verbund::query
