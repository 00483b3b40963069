// Building InfluxQL text: identifier and string quoting, SHOW statements and the SELECTs behind
// the explorer's charts. Quoting follows the hub's lexer (doc/query.md): identifiers in double
// quotes and strings in single quotes, both with the escapes \\ \" \' \n.

function escapeQuoted(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A double-quoted identifier: measurement, field, tag key, database. */
export function quoteIdent(name: string): string {
  return '"' + escapeQuoted(name).replace(/"/g, '\\"') + '"';
}

/** A single-quoted string literal, e.g. a tag value. */
export function quoteString(value: string): string {
  return "'" + escapeQuoted(value).replace(/'/g, "\\'") + "'";
}

export const showDatabases = (): string => 'SHOW DATABASES';
export const showMeasurements = (): string => 'SHOW MEASUREMENTS';
export const showFieldKeys = (measurement: string): string =>
  `SHOW FIELD KEYS FROM ${quoteIdent(measurement)}`;
export const showTagKeys = (measurement: string): string =>
  `SHOW TAG KEYS FROM ${quoteIdent(measurement)}`;
export const showTagValues = (measurement: string, key: string): string =>
  `SHOW TAG VALUES FROM ${quoteIdent(measurement)} WITH KEY = ${quoteIdent(key)}`;

/** What one line (or band) of a chart shows. */
export interface SeriesSelection {
  measurement: string;
  field: string;
  /** Tag filters, all of which must hold (tag = 'value'). */
  tags: Record<string, string>;
  /**
   * How the measurement's tag sets are split into lines: '*' one line per tag set, '' all tag
   * sets combined into one, or a tag key: one line per value of that tag.
   */
  groupBy: string;
}

export interface TimeRange {
  /** Inclusive start, epoch milliseconds. */
  fromMs: number;
  /** Exclusive end, epoch milliseconds. */
  toMs: number;
}

function whereClause(sel: SeriesSelection, range: TimeRange): string {
  const parts = [
    `time >= ${Math.floor(range.fromMs)}ms`,
    `time < ${Math.ceil(range.toMs)}ms`,
  ];
  for (const key of Object.keys(sel.tags).sort()) {
    parts.push(`${quoteIdent(key)} = ${quoteString(sel.tags[key])}`);
  }
  return parts.join(' AND ');
}

function tagDimension(groupBy: string): string | null {
  if (groupBy === '') return null;
  if (groupBy === '*') return '*';
  return quoteIdent(groupBy);
}

/**
 * The raw values of one selection in a range; with `limit`, at most that many per line (the
 * explorer asks for one more than it plots raw, so that one query both answers a small range
 * and tells a large one apart).
 */
export function rawSelect(sel: SeriesSelection, range: TimeRange, limit?: number): string {
  const dim = tagDimension(sel.groupBy);
  return (
    `SELECT ${quoteIdent(sel.field)} FROM ${quoteIdent(sel.measurement)} WHERE ${whereClause(sel, range)}` +
    (dim ? ` GROUP BY ${dim}` : '') +
    (limit !== undefined ? ` LIMIT ${limit}` : '')
  );
}

/** min/max/mean per time bucket: the mean is drawn as a line, min and max as its band. */
export function aggregateSelect(sel: SeriesSelection, range: TimeRange, interval: string): string {
  const f = quoteIdent(sel.field);
  const dim = tagDimension(sel.groupBy);
  return (
    `SELECT min(${f}) AS "min", max(${f}) AS "max", mean(${f}) AS "mean" FROM ${quoteIdent(sel.measurement)}` +
    ` WHERE ${whereClause(sel, range)} GROUP BY time(${interval})` +
    (dim ? `, ${dim}` : '') +
    ' fill(null)'
  );
}

/** Several statements as one /query `q`. */
export function joinStatements(statements: string[]): string {
  return statements.join(';\n');
}
