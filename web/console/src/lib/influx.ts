// The InfluxDB 1.x JSON answer of /query and its conversion into uPlot's aligned columnar data.
//
// {"results":[{"statement_id":0,"series":[{"name":"m","tags":{...},"columns":["time","v"],
//   "values":[[1700000000000,1.5],...]}]}]}   (times as epoch ms with epoch=ms)

export interface InfluxSeries {
  name?: string;
  tags?: Record<string, string>;
  columns: string[];
  values?: unknown[][];
  partial?: boolean;
}

export interface StatementResult {
  statement_id?: number;
  series?: InfluxSeries[];
  error?: string;
  messages?: { level: string; text: string }[];
  partial?: boolean;
}

export interface QueryResponse {
  results?: StatementResult[];
  error?: string;
}

/** Statement errors inside a 200 answer, e.g. "statement 1: database not found: x". */
export function statementErrors(resp: QueryResponse): string[] {
  const out: string[] = [];
  if (resp.error) out.push(resp.error);
  for (const r of resp.results ?? []) {
    if (r.error) out.push(`statement ${r.statement_id ?? '?'}: ${r.error}`);
  }
  return out;
}

/** Warnings InfluxDB attaches to results (deprecated use, ...). */
export function statementMessages(resp: QueryResponse): string[] {
  const out: string[] = [];
  for (const r of resp.results ?? []) for (const m of r.messages ?? []) out.push(`${m.level}: ${m.text}`);
  return out;
}

/** One column of every series of a statement, e.g. SHOW DATABASES' "name"; de-duplicated, in order. */
export function columnValues(resp: QueryResponse, column: string, statement = 0): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const r = resp.results?.[statement];
  for (const s of r?.series ?? []) {
    const i = s.columns.indexOf(column);
    if (i < 0) continue;
    for (const row of s.values ?? []) {
      const v = row[i];
      if (v === null || v === undefined) continue;
      const str = String(v);
      if (!seen.has(str)) {
        seen.add(str);
        out.push(str);
      }
    }
  }
  return out;
}

/** Rows of two columns (SHOW FIELD KEYS: fieldKey, fieldType) of a statement. */
export function columnPairs(resp: QueryResponse, a: string, b: string, statement = 0): [string, string][] {
  const out: [string, string][] = [];
  for (const s of resp.results?.[statement]?.series ?? []) {
    const ia = s.columns.indexOf(a);
    const ib = s.columns.indexOf(b);
    if (ia < 0 || ib < 0) continue;
    for (const row of s.values ?? []) out.push([String(row[ia]), String(row[ib])]);
  }
  return out;
}

/** The most rows any one series of any statement has. */
export function maxRows(resp: QueryResponse): number {
  let max = 0;
  for (const r of resp.results ?? []) {
    for (const s of r.series ?? []) max = Math.max(max, s.values?.length ?? 0);
  }
  return max;
}

export type PlotKind = 'line' | 'mean' | 'min' | 'max';

export interface PlotSeries {
  label: string;
  kind: PlotKind;
  /** The plotted line this belongs to (mean, min and max of one aggregate share it). */
  line: number;
}

export type Column = (number | null)[];

export interface PlotData {
  /** uPlot's AlignedData: [x (epoch ms, ascending, unique), y1, y2, ...]. */
  data: [number[], ...Column[]];
  /** One entry per y column of `data`. */
  series: PlotSeries[];
  /** uPlot bands as [upper, lower] indices into `data` (1-based like uPlot's series). */
  bands: [number, number][];
  /** Number of lines (a banded aggregate counts once). */
  lines: number;
  /** Lines left out beyond `maxLines`. */
  omittedLines: number;
  /** Non-null values plotted. */
  points: number;
}

export interface PlotOptions {
  maxLines?: number;
}

function toTimeMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

/** "m{a=1,b=2}" */
export function seriesLabel(name: string | undefined, tags: Record<string, string> | undefined): string {
  const keys = Object.keys(tags ?? {}).sort();
  const t = keys.map((k) => `${k}=${tags![k]}`).join(',');
  return (name ?? '') + (t ? `{${t}}` : '');
}

/** A group of columns sharing one time column (one InfluxDB series). */
interface Group {
  times: Float64Array;
  cols: Column[];
}

function isNumericColumn(values: unknown[][], i: number): boolean {
  for (const row of values) {
    const v = row[i];
    if (v === null || v === undefined) continue;
    return typeof v === 'number' || typeof v === 'boolean';
  }
  return false; // all null: nothing to draw
}

/** Sorted by time, later duplicates of a timestamp replacing earlier ones. */
function buildGroup(values: unknown[][], ti: number, colIdx: number[]): Group {
  const n = values.length;
  let times = new Float64Array(n);
  let cols: Column[] = colIdx.map(() => new Array(n));
  let sorted = true;
  let m = 0;
  for (let r = 0; r < n; r++) {
    const row = values[r];
    const t = toTimeMs(row[ti]);
    if (t === null) continue;
    if (m > 0 && t < times[m - 1]) sorted = false;
    times[m] = t;
    for (let c = 0; c < colIdx.length; c++) cols[c][m] = toNumber(row[colIdx[c]]);
    m++;
  }
  if (m < n) {
    times = times.slice(0, m);
    cols = cols.map((c) => c.slice(0, m));
  }
  if (!sorted) {
    const order = Array.from({ length: m }, (_, i) => i);
    order.sort((a, b) => times[a] - times[b] || a - b);
    const t2 = new Float64Array(m);
    for (let i = 0; i < m; i++) t2[i] = times[order[i]];
    cols = cols.map((c) => order.map((i) => c[i]));
    times = t2;
  }
  // Drop duplicate timestamps, keeping the last value of each.
  let w = 0;
  for (let r = 0; r < m; r++) {
    if (w > 0 && times[w - 1] === times[r]) {
      for (const c of cols) c[w - 1] = c[r];
      continue;
    }
    if (w !== r) {
      times[w] = times[r];
      for (const c of cols) c[w] = c[r];
    }
    w++;
  }
  if (w < m) {
    times = times.slice(0, w);
    cols = cols.map((c) => c.slice(0, w));
  }
  return { times, cols };
}

function sameTimes(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Merge groups onto one x axis: the union of their timestamps, each column null where its group
 * has no sample at that time.
 */
export function alignGroups(groups: Group[]): [number[], ...Column[]] {
  if (groups.length === 0) return [[]];
  const first = groups[0].times;
  if (groups.every((g) => sameTimes(g.times, first))) {
    return [Array.from(first), ...groups.flatMap((g) => g.cols)];
  }
  let total = 0;
  for (const g of groups) total += g.times.length;
  const all = new Float64Array(total);
  let o = 0;
  for (const g of groups) {
    all.set(g.times, o);
    o += g.times.length;
  }
  all.sort();
  const xs: number[] = [];
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) xs.push(all[i]);
  const out: Column[] = [];
  for (const g of groups) {
    const filled: Column[] = g.cols.map(() => new Array(xs.length).fill(null));
    let j = 0;
    for (let i = 0; i < xs.length && j < g.times.length; i++) {
      if (xs[i] === g.times[j]) {
        for (let c = 0; c < g.cols.length; c++) filled[c][i] = g.cols[c][j];
        j++;
      }
    }
    out.push(...filled);
  }
  return [xs, ...out];
}

/**
 * Every series of every statement with a time column becomes lines: each numeric column a line,
 * except that columns named min, max and mean of one series become the mean line with a min/max
 * band.
 */
export function toPlotData(resp: QueryResponse, opts: PlotOptions = {}): PlotData {
  const maxLines = opts.maxLines ?? Infinity;
  const groups: Group[] = [];
  const series: PlotSeries[] = [];
  const bandCols: { upper: number; lower: number }[] = []; // indices into `series`
  let lines = 0;
  let omitted = 0;
  for (const r of resp.results ?? []) {
    for (const s of r.series ?? []) {
      const values = s.values ?? [];
      const ti = s.columns.indexOf('time');
      if (ti < 0) continue;
      const base = seriesLabel(s.name, s.tags);
      const lower = s.columns.map((c) => c.toLowerCase());
      const iMin = lower.indexOf('min');
      const iMax = lower.indexOf('max');
      const iMean = lower.indexOf('mean');
      const banded = iMin >= 0 && iMax >= 0 && iMean >= 0;
      const colIdx: number[] = [];
      const kinds: { kind: PlotKind; label: string }[] = [];
      if (banded) {
        colIdx.push(iMean, iMin, iMax);
        kinds.push({ kind: 'mean', label: `${base} mean` }, { kind: 'min', label: `${base} min` }, { kind: 'max', label: `${base} max` });
      }
      s.columns.forEach((c, i) => {
        if (i === ti || (banded && (i === iMin || i === iMax || i === iMean))) return;
        if (!isNumericColumn(values, i)) return;
        colIdx.push(i);
        kinds.push({ kind: 'line', label: `${base}.${c}` });
      });
      if (colIdx.length === 0) continue;
      const lineCount = (banded ? 1 : 0) + kinds.length - (banded ? 3 : 0);
      if (lines + lineCount > maxLines) {
        omitted += lineCount;
        continue;
      }
      groups.push(buildGroup(values, ti, colIdx));
      const at = series.length;
      kinds.forEach((k, i) => {
        const line = banded ? lines + Math.max(0, i - 2) : lines + i;
        series.push({ label: k.label, kind: k.kind, line });
      });
      if (banded) bandCols.push({ upper: at + 2, lower: at + 1 });
      lines += lineCount;
    }
  }
  const data = alignGroups(groups);
  let points = 0;
  for (let i = 1; i < data.length; i++) {
    const col = data[i] as Column;
    for (const v of col) if (v !== null) points++;
  }
  return {
    data,
    series,
    bands: bandCols.map((b) => [b.upper + 1, b.lower + 1] as [number, number]),
    lines,
    omittedLines: omitted,
    points,
  };
}
