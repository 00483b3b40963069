// Data explorer: browse databases, measurements, fields and tags with InfluxQL SHOW statements,
// plot selected series over a time range. Wide ranges are queried as min/max/mean per
// GROUP BY time() bucket (drawn as a mean line in a min/max band), narrow ones as raw values.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { influxQuery } from '../api';
import { Chart, colorAt, type ChartSeries } from '../components/Chart';
import { ErrorBanner } from '../components/common';
import { queryToCsv } from '../lib/csv';
import { formatNumber, formatTime, fromLocalInput, toLocalInput } from '../lib/format';
import { columnPairs, columnValues, maxRows, toPlotData, type PlotData, type QueryResponse } from '../lib/influx';
import {
  aggregateSelect,
  joinStatements,
  rawSelect,
  showDatabases,
  showFieldKeys,
  showMeasurements,
  showTagKeys,
  showTagValues,
  type SeriesSelection,
  type TimeRange,
} from '../lib/influxql';
import { chooseInterval } from '../lib/interval';

/** Above this many raw points in a line, the chart asks for aggregates instead. */
export const MAX_RAW_POINTS = 2000;
/** Buckets per line when aggregating. */
export const TARGET_BUCKETS = 1000;
const MAX_LINES = 24;
const EMPTY: [number[]] = [[]];

const PRESETS: { id: string; label: string; ms: number }[] = [
  { id: '15m', label: 'Last 15 min', ms: 15 * 60e3 },
  { id: '1h', label: 'Last hour', ms: 3600e3 },
  { id: '6h', label: 'Last 6 h', ms: 6 * 3600e3 },
  { id: '24h', label: 'Last 24 h', ms: 24 * 3600e3 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600e3 },
];

interface Result {
  resp: QueryResponse;
  plot: PlotData;
  /** How the data was asked for. */
  mode: 'raw' | 'aggregate' | 'custom';
  interval?: string;
  range?: TimeRange;
  tookMs: number;
}

function selectionLabel(s: SeriesSelection): string {
  const tags = Object.entries(s.tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const group = s.groupBy === '*' ? 'per tag set' : s.groupBy === '' ? 'combined' : `by ${s.groupBy}`;
  return `${s.measurement}.${s.field}${tags ? ` [${tags}]` : ''} (${group})`;
}

export function Explorer() {
  const [error, setError] = useState<unknown>(null);
  const [dbs, setDbs] = useState<string[]>([]);
  const [db, setDb] = useState('');
  const [measurements, setMeasurements] = useState<string[]>([]);
  const [mFilter, setMFilter] = useState('');
  const [measurement, setMeasurement] = useState('');
  const [fields, setFields] = useState<[string, string][]>([]);
  const [tagKeys, setTagKeys] = useState<string[]>([]);
  const [field, setField] = useState('');
  const [groupBy, setGroupBy] = useState('*');
  const [tagKey, setTagKey] = useState('');
  const [tagValues, setTagValues] = useState<string[]>([]);
  const [tagValue, setTagValue] = useState('');
  const [pendingTags, setPendingTags] = useState<Record<string, string>>({});
  const [selections, setSelections] = useState<SeriesSelection[]>([]);

  const [preset, setPreset] = useState('1h');
  const [customFrom, setCustomFrom] = useState(toLocalInput(Date.now() - 3600e3));
  const [customTo, setCustomTo] = useState(toLocalInput(Date.now()));
  const [baseRange, setBaseRange] = useState<TimeRange | null>(null);
  const [viewRange, setViewRange] = useState<TimeRange | null>(null);

  const [queryText, setQueryText] = useState('');
  const [generatedText, setGeneratedText] = useState('');
  const [custom, setCustom] = useState(false);
  const [result, setResult] = useState<Result | null>(null);
  const [busy, setBusy] = useState(false);
  const seq = useRef(0);

  // Databases, then measurements of the chosen one.
  useEffect(() => {
    influxQuery(showDatabases())
      .then((r) => {
        const names = columnValues(r, 'name');
        setDbs(names);
        setDb((cur) => (cur && names.includes(cur) ? cur : (names[0] ?? '')));
      })
      .catch(setError);
  }, []);

  useEffect(() => {
    setMeasurements([]);
    setMeasurement('');
    setSelections([]);
    if (!db) return;
    influxQuery(showMeasurements(), db)
      .then((r) => setMeasurements(columnValues(r, 'name')))
      .catch(setError);
  }, [db]);

  useEffect(() => {
    setFields([]);
    setTagKeys([]);
    setField('');
    setTagKey('');
    setPendingTags({});
    if (!db || !measurement) return;
    influxQuery(joinStatements([showFieldKeys(measurement), showTagKeys(measurement)]), db)
      .then((r) => {
        const f = columnPairs(r, 'fieldKey', 'fieldType', 0);
        setFields(f);
        const numeric = f.filter(([, t]) => t === 'float' || t === 'integer');
        setField(numeric[0]?.[0] ?? f[0]?.[0] ?? '');
        setTagKeys(columnValues(r, 'tagKey', 1));
      })
      .catch(setError);
  }, [db, measurement]);

  useEffect(() => {
    setTagValues([]);
    setTagValue('');
    if (!db || !measurement || !tagKey) return;
    influxQuery(showTagValues(measurement, tagKey), db)
      .then((r) => {
        const v = columnValues(r, 'value');
        setTagValues(v);
        setTagValue(v[0] ?? '');
      })
      .catch(setError);
  }, [db, measurement, tagKey]);

  const presetRange = (): TimeRange | null => {
    if (preset === 'custom') {
      const from = fromLocalInput(customFrom);
      const to = fromLocalInput(customTo);
      if (from === null || to === null || to <= from) return null;
      return { fromMs: from, toMs: to };
    }
    const p = PRESETS.find((x) => x.id === preset) ?? PRESETS[1];
    const now = Date.now();
    return { fromMs: now - p.ms, toMs: now };
  };

  // The generated query: raw values, at most one more per line than are plotted raw; a line
  // that has more asks again for min/max/mean per bucket.
  const runGenerated = async (range: TimeRange) => {
    if (!db || selections.length === 0) return;
    const my = ++seq.current;
    setBusy(true);
    setError(null);
    const t0 = performance.now();
    try {
      let q = joinStatements(selections.map((s) => rawSelect(s, range, MAX_RAW_POINTS + 1)));
      let mode: Result['mode'] = 'raw';
      let interval: string | undefined;
      let resp = await influxQuery(q, db);
      if (my !== seq.current) return;
      if (maxRows(resp) > MAX_RAW_POINTS) {
        const iv = chooseInterval(range.toMs - range.fromMs, TARGET_BUCKETS);
        interval = iv.literal;
        q = joinStatements(selections.map((s) => aggregateSelect(s, range, iv.literal)));
        mode = 'aggregate';
        resp = await influxQuery(q, db);
        if (my !== seq.current) return;
      }
      setQueryText(q);
      setGeneratedText(q);
      setCustom(false);
      setResult({ resp, plot: toPlotData(resp, { maxLines: MAX_LINES }), mode, interval, range, tookMs: performance.now() - t0 });
    } catch (e) {
      if (my === seq.current) setError(e);
    } finally {
      if (my === seq.current) setBusy(false);
    }
  };

  const runCustom = async (q: string) => {
    const my = ++seq.current;
    setBusy(true);
    setError(null);
    const t0 = performance.now();
    try {
      const resp = await influxQuery(q, db || undefined);
      if (my !== seq.current) return;
      setCustom(true);
      setViewRange(null);
      setResult({ resp, plot: toPlotData(resp, { maxLines: MAX_LINES }), mode: 'custom', tookMs: performance.now() - t0 });
    } catch (e) {
      if (my === seq.current) setError(e);
    } finally {
      if (my === seq.current) setBusy(false);
    }
  };

  // A new selection or time range: back to the generated query over the whole range.
  const refresh = () => {
    const r = presetRange();
    if (!r) {
      setError('the custom range needs a start before its end');
      return;
    }
    setCustom(false);
    setViewRange(null);
    setBaseRange(r);
  };

  useEffect(() => {
    if (selections.length === 0) {
      seq.current++;
      setResult(null);
      setQueryText('');
      setGeneratedText('');
      setBusy(false);
      return;
    }
    refresh();
  }, [selections, preset]);

  // New range, zoomed or panned: ask for the visible range (raw values once few enough).
  useEffect(() => {
    if (custom || !baseRange || selections.length === 0) return;
    void runGenerated(viewRange ?? baseRange);
  }, [baseRange, viewRange]);

  const onRun = () => {
    if (!queryText.trim()) return;
    if (queryText === generatedText && !custom) refresh();
    else void runCustom(queryText);
  };

  const addSelection = () => {
    if (!measurement || !field) return;
    const sel: SeriesSelection = { measurement, field, tags: { ...pendingTags }, groupBy };
    setSelections((cur) => (cur.some((c) => JSON.stringify(c) === JSON.stringify(sel)) ? cur : [...cur, sel]));
  };

  const view = viewRange ?? (custom ? null : baseRange);
  const zoom = (min: number, max: number) => {
    if (!(max - min >= 1)) return;
    setViewRange({ fromMs: min, toMs: max });
  };
  const shift = (factor: number) => {
    const r = view ?? (result?.plot.data[0].length ? { fromMs: result.plot.data[0][0], toMs: result.plot.data[0][result.plot.data[0].length - 1] } : null);
    if (!r) return;
    const w = r.toMs - r.fromMs;
    setViewRange({ fromMs: r.fromMs + w * factor, toMs: r.toMs + w * factor });
  };
  const zoomOut = () => {
    const r = view;
    if (!r) return;
    const w = r.toMs - r.fromMs;
    setViewRange({ fromMs: r.fromMs - w / 2, toMs: r.toMs + w / 2 });
  };

  const chartSeries: ChartSeries[] = useMemo(
    () =>
      (result?.plot.series ?? []).map((s) => ({
        label: s.label,
        color: colorAt(s.line),
        faint: s.kind === 'min' || s.kind === 'max',
      })),
    [result],
  );

  // CSV of the answer, built here and offered as a blob: link.
  const csvUrl = useMemo(() => {
    if (!result) return null;
    const blob = new Blob([queryToCsv(result.resp)], { type: 'text/csv;charset=utf-8' });
    return URL.createObjectURL(blob);
  }, [result]);
  useEffect(() => () => {
    if (csvUrl) URL.revokeObjectURL(csvUrl);
  }, [csvUrl]);

  const shown = measurements.filter((m) => m.toLowerCase().includes(mFilter.toLowerCase()));
  const numericFields = fields.filter(([, t]) => t === 'float' || t === 'integer' || t === 'boolean');

  return (
    <div class="view" data-testid="view-explorer">
      <div class="view-head">
        <h1>Explorer</h1>
      </div>
      <ErrorBanner error={error} onClose={() => setError(null)} />
      <div class="explorer">
        <aside class="card explorer-side">
          <label class="field">
            <span>Database</span>
            <select data-testid="explorer-db" value={db} onChange={(e) => setDb((e.target as HTMLSelectElement).value)}>
              {dbs.length === 0 && <option value="">(no databases)</option>}
              {dbs.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>Measurements ({measurements.length})</span>
            <input
              type="search"
              placeholder="filter"
              value={mFilter}
              data-testid="explorer-measurement-filter"
              onInput={(e) => setMFilter((e.target as HTMLInputElement).value)}
            />
          </label>
          <ul class="pick-list" data-testid="explorer-measurements">
            {shown.map((m) => (
              <li key={m}>
                <button
                  type="button"
                  class={m === measurement ? 'pick active' : 'pick'}
                  data-testid="explorer-measurement"
                  data-name={m}
                  onClick={() => setMeasurement(m)}
                >
                  {m}
                </button>
              </li>
            ))}
          </ul>
          {measurement && (
            <div class="explorer-series-form">
              <h3>{measurement}</h3>
              <label class="field">
                <span>Field</span>
                <select data-testid="explorer-field" value={field} onChange={(e) => setField((e.target as HTMLSelectElement).value)}>
                  {numericFields.map(([f, t]) => (
                    <option key={f} value={f}>
                      {f} ({t})
                    </option>
                  ))}
                </select>
              </label>
              {fields.length > numericFields.length && (
                <p class="muted small">Text fields are not plotted: {fields.filter((f) => !numericFields.includes(f)).map((f) => f[0]).join(', ')}</p>
              )}
              {tagKeys.length > 0 && (
                <div class="field">
                  <span>Tag filter</span>
                  <div class="row">
                    <select data-testid="explorer-tag-key" value={tagKey} onChange={(e) => setTagKey((e.target as HTMLSelectElement).value)}>
                      <option value="">tag…</option>
                      {tagKeys.map((k) => (
                        <option key={k} value={k}>
                          {k}
                        </option>
                      ))}
                    </select>
                    <select data-testid="explorer-tag-value" value={tagValue} disabled={!tagKey} onChange={(e) => setTagValue((e.target as HTMLSelectElement).value)}>
                      {tagValues.map((v) => (
                        <option key={v} value={v}>
                          {v}
                        </option>
                      ))}
                    </select>
                    <button
                      type="button"
                      data-testid="explorer-tag-add"
                      disabled={!tagKey || !tagValues.length}
                      onClick={() => setPendingTags((t) => ({ ...t, [tagKey]: tagValue }))}
                    >
                      +
                    </button>
                  </div>
                  <div class="chips">
                    {Object.entries(pendingTags).map(([k, v]) => (
                      <span class="chip" key={k}>
                        {k} = {v}
                        <button
                          type="button"
                          class="btn-plain"
                          aria-label={`remove filter ${k}`}
                          onClick={() =>
                            setPendingTags((t) => {
                              const n = { ...t };
                              delete n[k];
                              return n;
                            })
                          }
                        >
                          ×
                        </button>
                      </span>
                    ))}
                  </div>
                </div>
              )}
              <label class="field">
                <span>Lines</span>
                <select data-testid="explorer-group-by" value={groupBy} onChange={(e) => setGroupBy((e.target as HTMLSelectElement).value)}>
                  <option value="*">one per tag set</option>
                  <option value="">all tag sets combined</option>
                  {tagKeys.map((k) => (
                    <option key={k} value={k}>
                      one per {k}
                    </option>
                  ))}
                </select>
              </label>
              <button type="button" class="btn-primary" data-testid="explorer-add-series" disabled={!field} onClick={addSelection}>
                Add to chart
              </button>
            </div>
          )}
        </aside>

        <div class="explorer-main">
          <div class="card">
            <div class="toolbar">
              <label class="field inline">
                <span>Range</span>
                <select data-testid="explorer-range" value={preset} onChange={(e) => setPreset((e.target as HTMLSelectElement).value)}>
                  {PRESETS.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.label}
                    </option>
                  ))}
                  <option value="custom">Custom…</option>
                </select>
              </label>
              {preset === 'custom' && (
                <>
                  <input type="datetime-local" data-testid="explorer-from" value={customFrom} onInput={(e) => setCustomFrom((e.target as HTMLInputElement).value)} />
                  <span>to</span>
                  <input type="datetime-local" data-testid="explorer-to" value={customTo} onInput={(e) => setCustomTo((e.target as HTMLInputElement).value)} />
                </>
              )}
              <button type="button" data-testid="explorer-refresh" disabled={selections.length === 0} onClick={refresh}>
                Refresh
              </button>
            </div>
            <div class="chips" data-testid="explorer-selections">
              {selections.length === 0 && <span class="muted">Pick a measurement and a field, then “Add to chart”.</span>}
              {selections.map((s, i) => (
                <span class="chip" key={i} data-testid="explorer-selection">
                  {selectionLabel(s)}
                  <button type="button" class="btn-plain" aria-label="remove series" onClick={() => setSelections((cur) => cur.filter((_, j) => j !== i))}>
                    ×
                  </button>
                </span>
              ))}
            </div>
          </div>

          <div class="card">
            <div class="toolbar">
              <button type="button" data-testid="pan-left" title="earlier" disabled={!result} onClick={() => shift(-0.5)}>
                ◀
              </button>
              <button type="button" data-testid="pan-right" title="later" disabled={!result} onClick={() => shift(0.5)}>
                ▶
              </button>
              <button type="button" data-testid="zoom-out" disabled={!view} onClick={zoomOut}>
                Zoom out
              </button>
              <button type="button" data-testid="zoom-reset" disabled={!viewRange} onClick={() => setViewRange(null)}>
                Reset zoom
              </button>
              <span class="muted small" data-testid="chart-mode">
                {busy
                  ? 'querying…'
                  : result
                    ? result.mode === 'aggregate'
                      ? `min / max / mean per ${result.interval} · ${formatNumber(result.plot.data[0].length)} buckets · ${Math.round(result.tookMs)} ms`
                      : `${result.mode === 'raw' ? 'raw values' : 'your query'} · ${formatNumber(result.plot.points)} values · ${Math.round(result.tookMs)} ms`
                    : ''}
              </span>
              {view && <span class="muted small">{formatTime(view.fromMs)} – {formatTime(view.toMs)}</span>}
            </div>
            {result && result.plot.omittedLines > 0 && (
              <p class="banner banner-warn">
                Showing {result.plot.lines} lines; {result.plot.omittedLines} more left out. Narrow it down with a tag filter.
              </p>
            )}
            {result && result.plot.data[0].length === 0 && <p class="muted">No data in this range.</p>}
            <Chart
              testid="explorer-chart"
              data={result?.plot.data ?? EMPTY}
              series={chartSeries}
              bands={result?.plot.bands}
              height={340}
              yFormat={(v) => formatNumber(v)}
              xRange={view ? { min: view.fromMs, max: view.toMs } : null}
              onZoom={zoom}
              onReset={() => setViewRange(null)}
            />
            <p class="muted small">Drag across the chart to zoom; double-click or “Reset zoom” to go back.</p>
          </div>

          <div class="card">
            <label class="field">
              <span>InfluxQL {custom ? '(your edit)' : '(generated)'}</span>
              <textarea
                data-testid="query-text"
                rows={5}
                spellcheck={false}
                value={queryText}
                onInput={(e) => setQueryText((e.target as HTMLTextAreaElement).value)}
              />
            </label>
            <div class="toolbar">
              <button type="button" class="btn-primary" data-testid="query-run" disabled={busy || !queryText.trim()} onClick={onRun}>
                Run
              </button>
              {custom && (
                <button type="button" data-testid="query-regenerate" disabled={selections.length === 0} onClick={refresh}>
                  Back to generated
                </button>
              )}
              {csvUrl && (
                <a class="button" data-testid="csv-download" href={csvUrl} download={`verbund-${db || 'query'}.csv`}>
                  Download CSV
                </a>
              )}
            </div>
          </div>
        </div>
      </div>
    </div>
  );
}
