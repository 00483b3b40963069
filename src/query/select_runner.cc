#include "query/select_runner.h"

#include <algorithm>
#include <map>
#include <set>

#include "query/aggregate.h"
#include "query/eval.h"
#include "query/read_plan.h"
#include "query/select_compiler.h"
#include "query/time_range.h"
#include "query/transform.h"

namespace verbund::query {

using storage::ValueType;

namespace {

struct Group {
  std::vector<storage::Tag> key;  // group-by tags with values ("" when missing)
  std::vector<const TagSet*> tagsets;
};

class SelectRunner {
 public:
  SelectRunner(const StatementContext& ctx, const SelectStatement& s)
      : ctx_(ctx), s_(s), budget_(ctx.options->max_select_points) {}

  Status Run(std::vector<SeriesOut>* out) {
    RETURN_IF_ERROR(CompileRegexes(s_.condition.get(), &regexes_));
    for (const auto& f : s_.fields) RETURN_IF_ERROR(CompileRegexes(f.expr.get(), &regexes_));
    for (const Source& src : s_.sources) {
      if (!src.database.empty() && src.database != ctx_.db) {
        return InvalidArgument("cross-database queries are not supported");
      }
    }
    std::map<std::string, MeasurementPtr> all =
        ctx_.measurements->Resolve(ctx_.engine, ctx_.db, &s_.sources);
    Status st;
    std::vector<std::string> names = ResolveSources(s_.sources, all, &st);
    RETURN_IF_ERROR(st);
    RETURN_IF_ERROR(ApplyReadScope(ctx_, s_.sources, &names));
    // Validate the field list even when nothing matches (errors do not depend on data).
    {
      Measurement empty;
      Evaluator ev(&empty, &regexes_, ctx_.now);
      std::set<std::string> gt;
      ASSIGN_OR_RETURN(CompiledSelect probe, CompileSelect(s_, empty, gt, ev, regexes_));
      (void)probe;
    }
    std::vector<MeasurementPtr> ms;
    for (const std::string& name : names) {
      ms.push_back(all[name]);
      universe_.fields.insert(ms.back()->fields.begin(), ms.back()->fields.end());
      universe_.tag_keys.insert(ms.back()->tag_keys.begin(), ms.back()->tag_keys.end());
    }
    for (const MeasurementPtr& m : ms) RETURN_IF_ERROR(RunMeasurement(*m, out));
    return Status::OK();
  }

 private:
  Status RunMeasurement(const Measurement& m, std::vector<SeriesOut>* out) {
    Evaluator ev(&m, &regexes_, ctx_.now);
    ASSIGN_OR_RETURN(TimeRange tr, ExtractTimeRange(s_.condition.get(), ev));
    if (ctx_.summary != nullptr) {
      ctx_.summary->NoteRead(m.name, tr.min_set ? std::optional<int64_t>(tr.min) : std::nullopt,
                             tr.max_set ? std::optional<int64_t>(tr.max) : std::nullopt);
    }

    // GROUP BY tag keys.
    std::set<std::string> dims(s_.group_by.tags.begin(), s_.group_by.tags.end());
    if (s_.group_by.all_tags) dims.insert(m.tag_keys.begin(), m.tag_keys.end());
    for (const auto& pattern : s_.group_by.tag_regexes) {
      ASSIGN_OR_RETURN(Regex re, Regex::Compile(pattern));
      for (const auto& k : m.tag_keys) {
        if (re.Match(k)) dims.insert(k);
      }
    }
    ASSIGN_OR_RETURN(CompiledSelect c, CompileSelect(s_, m, dims, ev, regexes_, &universe_));

    // Series-level filter on tags; group the survivors.
    std::map<std::vector<storage::Tag>, Group> groups;
    for (const TagSet& ts : m.tagsets) {
      RowContext rc;
      rc.tags = &ts.tags;
      if (ev.Truth(s_.condition.get(), rc) == 0) continue;
      std::vector<storage::Tag> key;
      for (const auto& d : dims) key.emplace_back(d, std::string(TagValue(ts.tags, d)));
      Group& g = groups[key];
      g.key = key;
      g.tagsets.push_back(&ts);
    }
    std::vector<Group> ordered;
    for (auto& [k, g] : groups) ordered.push_back(std::move(g));
    // SLIMIT/SOFFSET count series in ascending order; ORDER BY time DESC then reverses the
    // series order (InfluxDB 1.x, measured with SLIMIT 1 against influxd 1.6.7).
    ApplyLimitOffset(&ordered, s_.slimit, s_.soffset);
    if (s_.order_desc) std::reverse(ordered.begin(), ordered.end());

    const bool row_condition = s_.condition && (HasFieldRefs(s_.condition.get(), ev) ||
                                                !TimeOnlyAtTopLevel(s_.condition.get()));
    std::vector<std::string> cond_fields;
    {
      std::set<std::string> f;
      CollectFieldRefs(s_.condition.get(), ev, &f);
      cond_fields.assign(f.begin(), f.end());
    }
    filters_.clear();
    if (row_condition) CollectFieldFilters(s_.condition.get(), ev, &filters_);

    if (!c.aggregate) {
      for (const Group& g : ordered) {
        SeriesOut so;
        RETURN_IF_ERROR(RunRaw(m, c, g, tr, row_condition, cond_fields, ev, &so));
        if (!so.values.empty()) {
          so.name = m.name;
          if (!dims.empty()) so.tags = g.key;
          out->push_back(std::move(so));
        }
      }
      return Status::OK();
    }

    for (const Leaf& l : c.leaves) {
      auto ft = m.fields.find(l.name);
      if (l.func != Func::kIntegral || ft == m.fields.end()) continue;
      // influxd's message names its iterator type.
      if (ft->second == ValueType::kString) {
        return InvalidArgument(
            "unsupported integral iterator type: *query.stringInterruptIterator");
      }
      if (ft->second == ValueType::kBool) {
        return InvalidArgument(
            "unsupported integral iterator type: *query.booleanInterruptIterator");
      }
    }

    // Aggregates: the window.
    int64_t tmin = tr.min, tmax = tr.max;
    const bool interval = s_.group_by.interval.has_value();
    if (interval && !tr.max_set) tmax = ctx_.now;
    if (interval && !tr.min_set) {
      // No lower bound: start at the earliest point of the selected series.
      bool found = false;
      int64_t earliest = kMaxTime;
      for (const Group& g : ordered) {
        for (const TagSet* ts : g.tagsets) {
          for (const Leaf& l : c.leaves) {
            auto it = ts->fields.find(l.name);
            if (it == ts->fields.end()) continue;
            auto run = ctx_.engine->Read(it->second->id, kMinTime, tmax + 1,
                                         storage::ScanOrder::kAscending, 1);
            if (!run.ok()) return run.status();
            if (!run->ts.empty()) {
              earliest = std::min(earliest, run->ts[0]);
              found = true;
            }
          }
        }
      }
      if (!found) return Status::OK();
      tmin = earliest;
    }
    if (tmin > tmax) return Status::OK();
    for (const Group& g : ordered) {
      SeriesOut so;
      RETURN_IF_ERROR(RunAggregate(m, c, g, tr, tmin, tmax, row_condition, cond_fields, ev, &so));
      if (!so.values.empty()) {
        so.name = m.name;
        if (!dims.empty()) so.tags = g.key;
        out->push_back(std::move(so));
      }
    }
    return Status::OK();
  }

  Status RunRaw(const Measurement& m, const CompiledSelect& c, const Group& g, const TimeRange& tr,
                bool row_condition, const std::vector<std::string>& cond_fields,
                const Evaluator& ev, SeriesOut* so) {
    std::set<std::string> fs(c.field_names.begin(), c.field_names.end());
    fs.insert(cond_fields.begin(), cond_fields.end());
    std::vector<std::string> fields(fs.begin(), fs.end());
    // Without per-row filtering, each tag set contributes at most offset+limit rows.
    size_t read_limit = 0;
    if (!row_condition && !c.has_transform && s_.limit > 0) {
      read_limit = static_cast<size_t>(s_.limit + s_.offset);
    }

    struct Row {
      int64_t t;
      std::vector<Cell> leaves;
    };
    std::vector<Row> rows;
    for (const TagSet* ts : g.tagsets) {
      ASSIGN_OR_RETURN(JoinedRows jr,
                       ReadJoined(ctx_.engine, *ts, fields, tr.min, tr.max, s_.order_desc,
                                  read_limit, &budget_, row_condition ? filters_ : kNoFilters));
      for (size_t r = 0; r < jr.ts.size(); ++r) {
        if (s_.condition && row_condition) {
          RowContext rc;
          rc.tags = &ts->tags;
          rc.has_row = true;
          rc.time = jr.ts[r];
          rc.field_names = &fields;
          rc.field_values = &jr.values[r];
          if (ev.Truth(s_.condition.get(), rc) != 1) continue;
        }
        Row row;
        row.t = jr.ts[r];
        row.leaves.resize(c.leaves.size());
        bool any_field = false;
        for (size_t l = 0; l < c.leaves.size(); ++l) {
          const Leaf& leaf = c.leaves[l];
          if (leaf.is_tag) {
            std::string_view v = TagValue(ts->tags, leaf.name);
            if (!v.empty()) row.leaves[l] = std::string(v);
            continue;
          }
          size_t idx = static_cast<size_t>(
              std::lower_bound(fields.begin(), fields.end(), leaf.name) - fields.begin());
          row.leaves[l] = jr.values[r][idx];
          if (!IsNull(row.leaves[l])) any_field = true;
        }
        if (!any_field) continue;
        rows.push_back(std::move(row));
      }
    }
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
      return s_.order_desc ? a.t > b.t : a.t < b.t;
    });
    if (!c.has_transform) ApplyLimitOffset(&rows, s_.limit, s_.offset);
    so->columns.push_back("time");
    for (const Column& col : c.columns) so->columns.push_back(col.name);
    for (Row& row : rows) {
      std::vector<Cell> out;
      out.reserve(c.columns.size() + 1);
      out.emplace_back(TimeCell{row.t});
      for (const Column& col : c.columns) out.push_back(EvalColumn(*col.expr, c, row.leaves));
      so->values.push_back(std::move(out));
    }
    if (c.has_transform) {
      // In DESC order InfluxDB differentiates the descending stream (elapsed time taken
      // positive), so the transform runs on the rows as emitted.
      ApplyTransforms(c, 1'000'000'000, kMinTime, kMaxTime, &so->values);
      ApplyLimitOffset(&so->values, s_.limit, s_.offset);
    }
    return Status::OK();
  }

  Status RunAggregate(const Measurement& m, const CompiledSelect& c, const Group& g,
                      const TimeRange& tr, int64_t tmin, int64_t tmax, bool row_condition,
                      const std::vector<std::string>& cond_fields, const Evaluator& ev,
                      SeriesOut* so) {
    const bool interval = s_.group_by.interval.has_value();
    const int64_t iv = interval ? *s_.group_by.interval : 0;
    const int64_t off = s_.group_by.offset;
    // Buckets.
    int64_t first_bucket = interval ? BucketStart(tmin, iv, off) : (tr.min_set ? tmin : 0);
    int64_t last_bucket = interval ? BucketStart(tmax, iv, off) : first_bucket;
    // A transform over buckets also reads `extra_buckets` intervals beyond the range, before it
    // ascending and after it descending, to seed its first bucket; the range itself is widened
    // by whole intervals, not to a bucket edge (as InfluxDB widens it). Only the buckets of the
    // range are kept.
    const int64_t keep_min = first_bucket;
    const int64_t keep_max = last_bucket;
    int64_t read_tmin = tmin;
    int64_t read_tmax = tmax;
    if (interval && c.has_transform && c.extra_buckets > 0) {
      const int64_t widen = c.extra_buckets * iv;
      if (s_.order_desc) {
        read_tmax = tmax > kMaxTime - widen ? kMaxTime : tmax + widen;
        last_bucket = BucketStart(read_tmax, iv, off);
      } else {
        read_tmin = tmin < kMinTime + widen ? kMinTime : tmin - widen;
        first_bucket = BucketStart(read_tmin, iv, off);
      }
    }
    size_t nbuckets = interval ? static_cast<size_t>((last_bucket - first_bucket) / iv) + 1 : 1;
    // integral() and distinct() are not filled, and integral() reads past a bucket's end.
    const bool streamed = std::any_of(c.leaves.begin(), c.leaves.end(),
                                      [](const Leaf& l) { return !BucketFilled(l.func); });
    if (interval && s_.limit > 0 && s_.fill != FillMode::kNone && !c.has_transform && !streamed) {
      size_t need = static_cast<size_t>(s_.limit + s_.offset);
      if (need < nbuckets) {
        if (s_.order_desc) {
          first_bucket = last_bucket - static_cast<int64_t>(need - 1) * iv;
        } else {
          last_bucket = first_bucket + static_cast<int64_t>(need - 1) * iv;
        }
        nbuckets = need;
      }
    }
    if (options_max_buckets() != 0 && nbuckets > options_max_buckets()) {
      // Too many buckets only matters if the group has data in the window at all.
      bool has_data = false;
      for (const TagSet* ts : g.tagsets) {
        for (const Leaf& l : c.leaves) {
          auto it = ts->fields.find(l.name);
          if (it == ts->fields.end() || has_data) continue;
          auto run =
              ctx_.engine->Read(it->second->id, tmin, tmax + 1, storage::ScanOrder::kAscending, 1);
          if (!run.ok()) return run.status();
          has_data = !run->ts.empty();
        }
      }
      if (!has_data) return Status::OK();
      return InvalidArgument("max-select-buckets limit exceeded: (" + std::to_string(nbuckets) +
                             "/" + std::to_string(options_max_buckets()) + ")");
    }
    // Only read the window the buckets cover.
    int64_t read_min = interval ? std::max(read_tmin, first_bucket) : tmin;
    int64_t read_max = interval ? std::min(read_tmax, last_bucket + iv - 1) : tmax;
    auto bucket_index = [&](int64_t t) -> int64_t {
      if (!interval) return 0;
      return (BucketStart(t, iv, off) - first_bucket) / iv;
    };

    // results[leaf][bucket], point times for selectors.
    std::vector<std::vector<Cell>> results(c.leaves.size(), std::vector<Cell>(nbuckets));
    std::vector<std::vector<int64_t>> ptimes(c.leaves.size(), std::vector<int64_t>(nbuckets, 0));
    std::vector<std::vector<bool>> has(c.leaves.size(), std::vector<bool>(nbuckets, false));
    const bool selector_time = !interval && c.leaves.size() == 1 && c.columns.size() == 1 &&
                               IsSelector(c.leaves[0].func) &&
                               c.leaf_of.count(c.columns[0].expr.get());

    std::vector<std::vector<std::vector<Sample>>> slow(c.leaves.size());
    bool any_slow = false;
    std::vector<bool> is_fast(c.leaves.size(), false);
    for (size_t l = 0; l < c.leaves.size(); ++l) {
      const Leaf& leaf = c.leaves[l];
      auto ft = m.fields.find(leaf.name);
      bool numeric = ft != m.fields.end() &&
                     (ft->second == ValueType::kFloat || ft->second == ValueType::kInt);
      bool all_numeric = numeric;
      for (const TagSet* ts : g.tagsets) {
        auto it = ts->fields.find(leaf.name);
        if (it != ts->fields.end() && it->second->type != ValueType::kFloat &&
            it->second->type != ValueType::kInt) {
          all_numeric = false;
        }
      }
      bool needs_point_time = selector_time && (leaf.func == Func::kMin || leaf.func == Func::kMax);
      is_fast[l] = all_numeric && !row_condition && FastPathFunc(leaf.func) && !needs_point_time;
      if (!is_fast[l]) {
        any_slow = true;
        slow[l].resize(nbuckets);
      }
    }

    // Fast path: Engine::Aggregate per series, merged per bucket.
    for (size_t l = 0; l < c.leaves.size(); ++l) {
      if (!is_fast[l]) continue;
      const Leaf& leaf = c.leaves[l];
      std::vector<storage::AggState> merged(nbuckets);
      bool is_int = false;
      for (const TagSet* ts : g.tagsets) {
        auto it = ts->fields.find(leaf.name);
        if (it == ts->fields.end()) continue;
        is_int = it->second->type == ValueType::kInt;
        if (leaf.func == Func::kLast && !interval) {
          // last() over one bucket: the series' newest sample, when it lies in the range, is the
          // answer; no chunk but the newest is read ("last location per truck" dashboards).
          auto latest = ctx_.engine->Latest(it->second->id);
          if (!latest.ok()) return latest.status();
          if (latest->has_value() && (*latest)->ts >= read_min && (*latest)->ts <= read_max) {
            const storage::Value& v = (*latest)->value;
            double d = std::holds_alternative<double>(v) ? std::get<double>(v)
                       : std::holds_alternative<int64_t>(v)
                           ? static_cast<double>(std::get<int64_t>(v))
                           : static_cast<double>(std::get<bool>(v));
            storage::AggState a;
            a.count = 1;
            a.sum = a.min = a.max = a.first = a.last = a.mean = d;
            a.first_ts = a.last_ts = (*latest)->ts;
            MergeAgg(&merged[0], a);
            continue;
          }
        }
        auto aggs = ctx_.engine->Aggregate(it->second->id, read_min, read_max + 1, iv, off);
        if (!aggs.ok()) return aggs.status();
        for (const storage::AggState& a : *aggs) {
          if (a.count == 0) continue;
          int64_t b = interval ? bucket_index(a.bucket_start) : 0;
          if (b < 0 || b >= static_cast<int64_t>(nbuckets)) continue;
          MergeAgg(&merged[static_cast<size_t>(b)], a);
        }
      }
      for (size_t b = 0; b < nbuckets; ++b) {
        if (merged[b].count == 0) {
          if (leaf.func == Func::kCount) results[l][b] = int64_t{0};
          continue;
        }
        has[l][b] = true;
        results[l][b] = Finalize(leaf.func, merged[b], is_int, &ptimes[l][b]);
      }
    }

    // Slow path: read points (joined with the condition's fields when needed), bucket, reduce.
    if (any_slow) {
      std::set<std::string> fs;
      for (size_t l = 0; l < c.leaves.size(); ++l) {
        if (!is_fast[l]) fs.insert(c.leaves[l].name);
      }
      if (row_condition) fs.insert(cond_fields.begin(), cond_fields.end());
      std::vector<std::string> fields(fs.begin(), fs.end());
      for (const TagSet* ts : g.tagsets) {
        ASSIGN_OR_RETURN(JoinedRows jr,
                         ReadJoined(ctx_.engine, *ts, fields, read_min, read_max, false, 0,
                                    &budget_, row_condition ? filters_ : kNoFilters));
        for (size_t r = 0; r < jr.ts.size(); ++r) {
          if (row_condition) {
            RowContext rc;
            rc.tags = &ts->tags;
            rc.has_row = true;
            // A row of a seed bucket outside the range (transforms only) is judged as if at
            // the range's edge: its tag and field conditions count, the time bounds do not
            // (InfluxDB widens the range for the transform the same way).
            rc.time = std::clamp(jr.ts[r], tmin, tmax);
            rc.field_names = &fields;
            rc.field_values = &jr.values[r];
            if (ev.Truth(s_.condition.get(), rc) != 1) continue;
          }
          int64_t b = bucket_index(jr.ts[r]);
          if (b < 0 || b >= static_cast<int64_t>(nbuckets)) continue;
          for (size_t l = 0; l < c.leaves.size(); ++l) {
            if (is_fast[l]) continue;
            size_t idx = static_cast<size_t>(
                std::lower_bound(fields.begin(), fields.end(), c.leaves[l].name) - fields.begin());
            const Cell& v = jr.values[r][idx];
            if (IsNull(v)) continue;
            slow[l][static_cast<size_t>(b)].push_back({jr.ts[r], v});
          }
        }
      }
      for (size_t l = 0; l < c.leaves.size(); ++l) {
        if (is_fast[l]) continue;
        for (size_t b = 0; b < nbuckets; ++b) {
          if (!BucketFilled(c.leaves[l].func)) {
            has[l][b] = !slow[l][b].empty();  // reduced over buckets below
            continue;
          }
          results[l][b] =
              Reduce(c.leaves[l].func, c.leaves[l].percentile, slow[l][b], &ptimes[l][b]);
          // percentile() out of range selects no point at all (unlike stddev's null).
          if (!slow[l][b].empty() &&
              !(c.leaves[l].func == Func::kPercentile && IsNull(results[l][b]))) {
            has[l][b] = true;
          }
        }
      }
    }

    // A group without any point produces no series.
    bool any = false;
    for (const auto& hl : has) {
      for (bool h : hl) any = any || h;
    }
    if (!any) return Status::OK();

    // Rows and fill.
    so->columns.push_back("time");
    for (const Column& col : c.columns) so->columns.push_back(col.name);
    std::vector<int64_t> times(nbuckets);
    for (size_t b = 0; b < nbuckets; ++b) {
      times[b] = interval ? first_bucket + static_cast<int64_t>(b) * iv : first_bucket;
    }
    if (interval) ApplyFill(s_, c, &results, has, times);

    std::vector<std::vector<Cell>> rows =
        c.distinct ? DistinctRows(c, slow[0], times)
                   : BucketRows(c, results, has, ptimes, times, slow, selector_time);
    if (c.has_transform) ApplyTransforms(c, iv, keep_min, keep_max, &rows);
    ApplyLimitOffset(&rows, s_.limit, s_.offset);
    so->values = std::move(rows);
    return Status::OK();
  }

  // distinct(): per bucket (descending under ORDER BY time DESC) one row per distinct value at
  // the bucket's time, never filled.
  std::vector<std::vector<Cell>> DistinctRows(const CompiledSelect& c,
                                              const std::vector<std::vector<Sample>>& buckets,
                                              const std::vector<int64_t>& times) const {
    std::vector<std::vector<Cell>> rows;
    for (size_t i = 0; i < buckets.size(); ++i) {
      const size_t b = s_.order_desc ? buckets.size() - 1 - i : i;
      for (Sample& x : Distinct(buckets[b], !s_.order_desc)) {
        std::vector<Cell> leaves{std::move(x.v)};
        std::vector<Cell> row{TimeCell{times[b]}};
        for (const Column& col : c.columns) row.push_back(EvalColumn(*col.expr, c, leaves));
        rows.push_back(std::move(row));
      }
    }
    return rows;
  }

  // Rows of reduced buckets, joined by time with integral()'s windows: InfluxDB 1.x emits an
  // integral at the times its windows close (descending: a window's end) and joins the columns
  // by time, filling a column without a value at a row's time with fill(<number>)'s number or
  // fill(previous)'s previous value. Without GROUP BY time an integral alone reports time 0,
  // beside other aggregates their time.
  std::vector<std::vector<Cell>> BucketRows(
      const CompiledSelect& c, const std::vector<std::vector<Cell>>& results,
      const std::vector<std::vector<bool>>& has, const std::vector<std::vector<int64_t>>& ptimes,
      const std::vector<int64_t>& times, const std::vector<std::vector<std::vector<Sample>>>& slow,
      bool selector_time) const {
    const bool interval = s_.group_by.interval.has_value();
    const size_t nleaves = c.leaves.size();
    struct JoinedRow {
      std::vector<Cell> leaves;
      std::vector<bool> present;
    };
    // Rows by time; integral() under ORDER BY time DESC can emit two windows at one time.
    std::map<int64_t, std::vector<JoinedRow>> by_time;
    auto row_for = [&](int64_t t, size_t leaf) -> JoinedRow& {
      std::vector<JoinedRow>& at = by_time[t];
      for (JoinedRow& r : at) {
        if (!r.present[leaf]) return r;
      }
      at.push_back({std::vector<Cell>(nleaves), std::vector<bool>(nleaves, false)});
      return at.back();
    };
    bool bucketed = false;
    for (const Leaf& l : c.leaves) bucketed = bucketed || BucketFilled(l.func);
    if (bucketed) {
      for (size_t b = 0; b < times.size(); ++b) {
        bool row_has = false;
        for (size_t l = 0; l < nleaves; ++l) {
          row_has = row_has || (BucketFilled(c.leaves[l].func) && has[l][b]);
        }
        if (!interval && !row_has) continue;
        if (s_.fill == FillMode::kNone && !row_has) continue;
        int64_t t = times[b];
        if (selector_time && has[0][b]) t = ptimes[0][b];
        by_time[t].push_back({std::vector<Cell>(nleaves), std::vector<bool>(nleaves, false)});
        JoinedRow& r = by_time[t].back();
        for (size_t l = 0; l < nleaves; ++l) {
          if (!BucketFilled(c.leaves[l].func)) continue;
          r.leaves[l] = results[l][b];
          r.present[l] = true;
        }
      }
    }
    for (size_t l = 0; l < nleaves; ++l) {
      const Leaf& leaf = c.leaves[l];
      if (leaf.func != Func::kIntegral) continue;
      // Scan order; of equal times the series come in tag-set order, reversed descending (as
      // influxd merges them: the first one met closes the trapezoid before, the last one opens
      // the one after).
      std::vector<Sample> points;
      for (const auto& bucket : slow[l]) points.insert(points.end(), bucket.begin(), bucket.end());
      std::stable_sort(points.begin(), points.end(),
                       [](const Sample& a, const Sample& b) { return a.t < b.t; });
      if (s_.order_desc) std::reverse(points.begin(), points.end());
      const int64_t unit = leaf.unit > 0 ? leaf.unit : 1'000'000'000;
      for (const Sample& w : Integral(points, interval ? *s_.group_by.interval : 0,
                                      s_.group_by.offset, !s_.order_desc, unit)) {
        JoinedRow& r = row_for(!interval && bucketed ? times[0] : w.t, l);
        r.leaves[l] = w.v;
        r.present[l] = true;
      }
    }
    std::vector<JoinedRow*> ordered;
    std::vector<int64_t> row_times;
    auto collect = [&](std::pair<const int64_t, std::vector<JoinedRow>>& at) {
      for (JoinedRow& r : at.second) {
        ordered.push_back(&r);
        row_times.push_back(at.first);
      }
    };
    if (s_.order_desc) {
      for (auto it = by_time.rbegin(); it != by_time.rend(); ++it) collect(*it);
    } else {
      for (auto& at : by_time) collect(at);
    }
    if (interval && (s_.fill == FillMode::kNumber || s_.fill == FillMode::kPrevious)) {
      for (size_t l = 0; l < nleaves; ++l) {
        Cell prev;
        for (JoinedRow* r : ordered) {
          if (r->present[l]) {
            prev = r->leaves[l];
          } else if (s_.fill == FillMode::kPrevious) {
            r->leaves[l] = prev;
          } else if (s_.fill_number_is_int) {
            r->leaves[l] = static_cast<int64_t>(s_.fill_number);
          } else {
            r->leaves[l] = s_.fill_number;
          }
        }
      }
    }
    std::vector<std::vector<Cell>> rows;
    for (size_t i = 0; i < ordered.size(); ++i) {
      std::vector<Cell> row{TimeCell{row_times[i]}};
      for (const Column& col : c.columns) {
        row.push_back(EvalColumn(*col.expr, c, ordered[i]->leaves));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  size_t options_max_buckets() const { return ctx_.options->max_select_buckets; }

  const StatementContext& ctx_;
  const SelectStatement& s_;
  CompiledRegexes regexes_;
  ReadBudget budget_;
  WildcardUniverse universe_;
  std::vector<FieldFilter> filters_;  // of the measurement being run
  const std::vector<FieldFilter> kNoFilters;
};

}  // namespace

Status ApplyReadScope(const StatementContext& ctx, const std::vector<Source>& sources,
                      std::vector<std::string>* names) {
  if (ctx.scope == nullptr || !ctx.scope->read) return Status::OK();
  // Named sources first, whether or not they exist: the answer must not tell.
  for (const Source& src : sources) {
    if (!src.is_regex && !ctx.scope->read(ctx.db, src.name)) {
      return PermissionDenied("not authorized to read measurement " + src.name + " in " + ctx.db);
    }
  }
  std::erase_if(*names, [&](const std::string& m) { return !ctx.scope->read(ctx.db, m); });
  return Status::OK();
}

Status RunSelect(const StatementContext& ctx, const SelectStatement& s,
                 std::vector<SeriesOut>* out) {
  SelectRunner runner(ctx, s);
  return runner.Run(out);
}

}  // namespace verbund::query
