// CSV (RFC 4180) from /query results, built in the browser.

import type { QueryResponse } from './influx';

/** One CSV field: quoted when it holds a comma, a quote, CR or LF, or leading/trailing spaces. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') s = String(v);
  else s = JSON.stringify(v);
  if (/[",\r\n]/.test(s) || /^\s|\s$/.test(s)) return '"' + s.replace(/"/g, '""') + '"';
  return s;
}

export function csvLine(fields: readonly unknown[]): string {
  return fields.map(csvField).join(',');
}

/** Rows joined with CRLF, as RFC 4180 says, ending with one. */
export function csvDocument(rows: readonly (readonly unknown[])[]): string {
  return rows.map((r) => csvLine(r) + '\r\n').join('');
}

export interface CsvOptions {
  /** How the time column is written: 'iso' (RFC 3339, default) or 'epoch' (the number as received). */
  time?: 'iso' | 'epoch';
}

/**
 * All series of all statements as one table: `name`, one column per tag key (sorted), then the
 * union of the series' columns in order of appearance (time first). Times from `epoch=ms`.
 */
export function queryToCsv(resp: QueryResponse, opts: CsvOptions = {}): string {
  const tagKeys = new Set<string>();
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of resp.results ?? []) {
    for (const s of r.series ?? []) {
      for (const k of Object.keys(s.tags ?? {})) tagKeys.add(k);
      for (const c of s.columns) {
        if (!seen.has(c)) {
          seen.add(c);
          columns.push(c);
        }
      }
    }
  }
  const ti = columns.indexOf('time');
  if (ti > 0) {
    columns.splice(ti, 1);
    columns.unshift('time');
  }
  const tags = [...tagKeys].sort();
  const rows: unknown[][] = [['name', ...tags, ...columns]];
  const iso = (opts.time ?? 'iso') === 'iso';
  for (const r of resp.results ?? []) {
    for (const s of r.series ?? []) {
      const pos = columns.map((c) => s.columns.indexOf(c));
      const tagVals = tags.map((k) => s.tags?.[k] ?? '');
      for (const v of s.values ?? []) {
        const row: unknown[] = [s.name ?? '', ...tagVals];
        columns.forEach((c, i) => {
          const x = pos[i] < 0 ? null : v[pos[i]];
          if (c === 'time' && iso && typeof x === 'number') row.push(new Date(x).toISOString());
          else row.push(x);
        });
        rows.push(row);
      }
    }
  }
  return csvDocument(rows);
}
