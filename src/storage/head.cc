#include "storage/head.h"

#include <algorithm>
#include <numeric>

namespace verbund::storage {
namespace {

template <typename T>
void PushValue(std::vector<T>* col, const Value& v);
template <>
void PushValue(std::vector<double>* col, const Value& v) { col->push_back(std::get<double>(v)); }
template <>
void PushValue(std::vector<int64_t>* col, const Value& v) { col->push_back(std::get<int64_t>(v)); }
template <>
void PushValue(std::vector<uint8_t>* col, const Value& v) {
  col->push_back(std::get<bool>(v) ? 1 : 0);
}
template <>
void PushValue(std::vector<std::string>* col, const Value& v) {
  col->push_back(std::get<std::string>(v));
}

template <typename T>
double AsDouble(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return 0;
  } else {
    return static_cast<double>(v);
  }
}

}  // namespace

ValueColumn EmptyColumn(ValueType type) {
  switch (type) {
    case ValueType::kFloat: return std::vector<double>();
    case ValueType::kInt: return std::vector<int64_t>();
    case ValueType::kBool: return std::vector<uint8_t>();
    case ValueType::kString: return std::vector<std::string>();
  }
  return std::vector<double>();
}

void Buffer::Append(TimestampNs t, const Value& v) {
  if (!ts.empty() && t < ts.back()) sorted = false;
  ts.push_back(t);
  min_ts = std::min(min_ts, t);
  max_ts = std::max(max_ts, t);
  switch (v.index()) {
    case 0: PushValue(&std::get<0>(values), v); bytes += 16; break;
    case 1: PushValue(&std::get<1>(values), v); bytes += 16; break;
    case 2: PushValue(&std::get<2>(values), v); bytes += 9; break;
    case 3:
      PushValue(&std::get<3>(values), v);
      bytes += 8 + sizeof(std::string) + std::get<std::string>(v).size();
      break;
  }
}

uint64_t Buffer::EraseRange(TimestampNs from, TimestampNs to) {
  if (ts.empty() || to <= min_ts || from > max_ts) return 0;
  const uint64_t before = bytes;
  std::visit(
      [&](auto& col) {
        size_t w = 0;
        uint64_t b = 0;
        TimestampNs lo = kMaxTs, hi = kMinTs;
        for (size_t r = 0; r < ts.size(); ++r) {
          if (ts[r] >= from && ts[r] < to) continue;
          ts[w] = ts[r];
          col[w] = std::move(col[r]);
          lo = std::min(lo, ts[w]);
          hi = std::max(hi, ts[w]);
          if constexpr (std::is_same_v<std::decay_t<decltype(col[0])>, std::string>) {
            b += 8 + sizeof(std::string) + col[w].size();
          } else {
            b += 8 + sizeof(col[0]);
          }
          ++w;
        }
        ts.resize(w);
        col.resize(w);
        min_ts = lo;
        max_ts = hi;
        bytes = b;
      },
      values);
  return before - bytes;
}

SampleRun SortedUnique(const std::vector<TimestampNs>& ts, const ValueColumn& values,
                       TimestampNs from, TimestampNs to) {
  std::vector<uint32_t> idx;
  idx.reserve(ts.size());
  for (uint32_t i = 0; i < ts.size(); ++i) {
    if (ts[i] >= from && ts[i] < to) idx.push_back(i);
  }
  if (!std::is_sorted(idx.begin(), idx.end(),
                      [&](uint32_t a, uint32_t b) { return ts[a] < ts[b]; })) {
    std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return ts[a] < ts[b]; });
  }
  // Keep the last of equal timestamps (stable sort preserved arrival order).
  size_t w = 0;
  for (size_t r = 0; r < idx.size(); ++r) {
    if (w > 0 && ts[idx[w - 1]] == ts[idx[r]]) {
      idx[w - 1] = idx[r];
    } else {
      idx[w++] = idx[r];
    }
  }
  idx.resize(w);
  SampleRun out;
  out.ts.reserve(w);
  for (uint32_t i : idx) out.ts.push_back(ts[i]);
  out.values = std::visit(
      [&](const auto& col) -> ValueColumn {
        std::decay_t<decltype(col)> v;
        v.reserve(w);
        for (uint32_t i : idx) v.push_back(col[i]);
        return v;
      },
      values);
  return out;
}

size_t RunSize(const SampleRun& r) { return r.ts.size(); }

SampleRun SliceRun(const SampleRun& r, size_t begin, size_t end) {
  SampleRun out;
  out.ts.assign(r.ts.begin() + begin, r.ts.begin() + end);
  out.values = std::visit(
      [&](const auto& col) -> ValueColumn {
        return std::decay_t<decltype(col)>(col.begin() + begin, col.begin() + end);
      },
      r.values);
  return out;
}

SampleRun MergeRuns(std::vector<const SampleRun*> runs, ValueType type, TimestampNs from,
                    TimestampNs to) {
  std::erase_if(runs, [](const SampleRun* r) { return r->ts.empty(); });
  SampleRun out;
  out.values = EmptyColumn(type);
  // Fast path: runs that do not overlap in time are concatenated in time order.
  std::vector<const SampleRun*> by_start = runs;
  std::stable_sort(by_start.begin(), by_start.end(), [](const SampleRun* a, const SampleRun* b) {
    return a->ts.front() < b->ts.front();
  });
  bool disjoint = true;
  for (size_t i = 1; i < by_start.size(); ++i) {
    if (by_start[i]->ts.front() <= by_start[i - 1]->ts.back()) disjoint = false;
  }
  std::visit(
      [&](auto& dst) {
        using Col = std::decay_t<decltype(dst)>;
        if (disjoint) {
          for (const SampleRun* r : by_start) {
            const auto& src = std::get<Col>(r->values);
            auto lo = std::lower_bound(r->ts.begin(), r->ts.end(), from) - r->ts.begin();
            auto hi = std::lower_bound(r->ts.begin(), r->ts.end(), to) - r->ts.begin();
            out.ts.insert(out.ts.end(), r->ts.begin() + lo, r->ts.begin() + hi);
            dst.insert(dst.end(), src.begin() + lo, src.begin() + hi);
          }
          return;
        }
        // k-way merge. Runs overlap little in practice (interleaved writers), so the run with the
        // smallest head is copied in one stretch up to the next head of any other run.
        struct Cursor {
          const std::vector<TimestampNs>* ts;
          const Col* values;
          size_t pos, end;
        };
        std::vector<Cursor> cur;  // in priority order
        size_t total = 0;
        for (const SampleRun* r : runs) {
          const size_t lo = std::lower_bound(r->ts.begin(), r->ts.end(), from) - r->ts.begin();
          const size_t hi = std::lower_bound(r->ts.begin(), r->ts.end(), to) - r->ts.begin();
          if (lo < hi) cur.push_back({&r->ts, &std::get<Col>(r->values), lo, hi});
          total += hi > lo ? hi - lo : 0;
        }
        out.ts.reserve(total);
        dst.reserve(total);
        for (;;) {
          // The smallest head; on equal heads the later run (higher priority) wins.
          size_t best = cur.size();
          TimestampNs bt = 0;
          for (size_t k = 0; k < cur.size(); ++k) {
            if (cur[k].pos >= cur[k].end) continue;
            const TimestampNs t = (*cur[k].ts)[cur[k].pos];
            if (best == cur.size() || t <= bt) {
              best = k;
              bt = t;
            }
          }
          if (best == cur.size()) break;
          bool tie = false;
          TimestampNs next = kMaxTs;  // smallest head of the other runs
          bool has_next = false;
          for (size_t k = 0; k < cur.size(); ++k) {
            if (k == best || cur[k].pos >= cur[k].end) continue;
            const TimestampNs t = (*cur[k].ts)[cur[k].pos];
            if (t == bt) {
              tie = true;
              ++cur[k].pos;  // shadowed by the later run
            } else if (!has_next || t < next) {
              next = t;
              has_next = true;
            }
          }
          Cursor& c = cur[best];
          if (tie || !has_next) {
            if (!has_next && !tie) {
              out.ts.insert(out.ts.end(), c.ts->begin() + c.pos, c.ts->begin() + c.end);
              dst.insert(dst.end(), c.values->begin() + c.pos, c.values->begin() + c.end);
              c.pos = c.end;
              continue;
            }
            out.ts.push_back(bt);
            dst.push_back((*c.values)[c.pos]);
            ++c.pos;
            continue;
          }
          const size_t stop =
              std::lower_bound(c.ts->begin() + c.pos, c.ts->begin() + c.end, next) - c.ts->begin();
          out.ts.insert(out.ts.end(), c.ts->begin() + c.pos, c.ts->begin() + stop);
          dst.insert(dst.end(), c.values->begin() + c.pos, c.values->begin() + stop);
          c.pos = stop;
        }
      },
      out.values);
  return out;
}

void AggAdd(AggState* a, TimestampNs ts, double x) {
  if (std::isnan(x)) return;
  if (a->count == 0) {
    a->min = a->max = a->first = a->last = x;
    a->first_ts = a->last_ts = ts;
  } else {
    a->min = std::min(a->min, x);
    a->max = std::max(a->max, x);
    if (ts < a->first_ts) {
      a->first = x;
      a->first_ts = ts;
    }
    if (ts >= a->last_ts) {
      a->last = x;
      a->last_ts = ts;
    }
  }
  a->count += 1;
  a->sum += x;
  const double delta = x - a->mean;
  a->mean += delta / static_cast<double>(a->count);
  a->m2 += delta * (x - a->mean);
}

void AggMerge(AggState* a, const AggState& b) {
  if (b.count == 0) return;
  if (a->count == 0) {
    const TimestampNs start = a->bucket_start;
    *a = b;
    a->bucket_start = start;
    return;
  }
  const double na = static_cast<double>(a->count), nb = static_cast<double>(b.count);
  const double n = na + nb;
  const double delta = b.mean - a->mean;
  a->mean += delta * nb / n;
  a->m2 += b.m2 + delta * delta * na * nb / n;
  a->count += b.count;
  a->sum += b.sum;
  a->min = std::min(a->min, b.min);
  a->max = std::max(a->max, b.max);
  if (b.first_ts < a->first_ts) {
    a->first = b.first;
    a->first_ts = b.first_ts;
  }
  if (b.last_ts >= a->last_ts) {
    a->last = b.last;
    a->last_ts = b.last_ts;
  }
}

TimestampNs BucketFolder::BucketOf(TimestampNs ts) const {
  if (interval_ <= 0) return from_;
  // floor((ts - offset) / interval) * interval + offset, in unsigned wrap-safe steps.
  const __int128 rel = static_cast<__int128>(ts) - offset_;
  __int128 q = rel / interval_;
  if (rel % interval_ < 0) --q;
  return static_cast<TimestampNs>(q * interval_ + offset_);
}

AggState* BucketFolder::Current(TimestampNs bucket) {
  if (!out_->empty() && out_->back().bucket_start == bucket) return &out_->back();
  out_->push_back(AggState{});
  out_->back().bucket_start = bucket;
  return &out_->back();
}

void BucketFolder::AddRun(const SampleRun& run) {
  std::visit(
      [&](const auto& col) {
        using T = typename std::decay_t<decltype(col)>::value_type;
        if constexpr (std::is_same_v<T, std::string>) {
          return;
        } else {
          const auto& ts = run.ts;
          size_t i = std::lower_bound(ts.begin(), ts.end(), from_) - ts.begin();
          const size_t end = std::lower_bound(ts.begin() + i, ts.end(), to_) - ts.begin();
          // One bucket's slice at a time: plain sums in a tight loop, then a second pass over
          // the (cached) slice for m2, then one Chan merge into the bucket.
          TimestampNs b = 0, bend = kMinTs;
          while (i < end) {
            // Next bucket: usually the one right after the previous (no division needed).
            if (interval_ > 0 && bend != kMinTs && bend <= kMaxTs - interval_ &&
                ts[i] >= bend && ts[i] < bend + interval_) {
              b = bend;
            } else {
              b = BucketOf(ts[i]);
            }
            bend = interval_ <= 0 ? kMaxTs : (b > kMaxTs - interval_ ? kMaxTs : b + interval_);
            size_t j = i + 1;
            while (j < end && ts[j] < bend) ++j;
            AggState s;
            double sum = 0, mn = 0, mx = 0;
            uint64_t n = 0;
            size_t first = j, last = j;
            for (size_t k = i; k < j; ++k) {
              const double x = static_cast<double>(col[k]);
              if constexpr (std::is_same_v<T, double>) {
                if (x != x) continue;
              }
              if (n == 0) {
                mn = mx = x;
                first = k;
              }
              mn = x < mn ? x : mn;
              mx = x > mx ? x : mx;
              sum += x;
              last = k;
              ++n;
            }
            if (n > 0) {
              const double mean = sum / static_cast<double>(n);
              double m2 = 0;
              for (size_t k = i; k < j; ++k) {
                const double x = static_cast<double>(col[k]);
                if constexpr (std::is_same_v<T, double>) {
                  if (x != x) continue;
                }
                m2 += (x - mean) * (x - mean);
              }
              s.count = n;
              s.sum = sum;
              s.min = mn;
              s.max = mx;
              s.mean = mean;
              s.m2 = m2;
              s.first = static_cast<double>(col[first]);
              s.first_ts = ts[first];
              s.last = static_cast<double>(col[last]);
              s.last_ts = ts[last];
              AggMerge(Current(b), s);
            }
            i = j;
          }
        }
      },
      run.values);
}

void BucketFolder::AddState(const AggState& s) {
  if (s.count == 0) return;
  AggState* cur = Current(BucketOf(s.first_ts));
  AggMerge(cur, s);
}

void ColumnMoments(const ValueColumn& values, double* m2, bool* has_nan) {
  *m2 = 0;
  *has_nan = false;
  std::visit(
      [&](const auto& col) {
        using T = typename std::decay_t<decltype(col)>::value_type;
        if constexpr (!std::is_same_v<T, std::string>) {
          double mean = 0;
          uint64_t n = 0;
          for (const T& v : col) {
            const double x = AsDouble(v);
            if (std::isnan(x)) {
              *has_nan = true;
              continue;
            }
            ++n;
            const double d = x - mean;
            mean += d / static_cast<double>(n);
            *m2 += d * (x - mean);
          }
        }
      },
      values);
}

}  // namespace verbund::storage
