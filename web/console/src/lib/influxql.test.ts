import { describe, expect, it } from 'vitest';
import {
  aggregateSelect,
  joinStatements,
  quoteIdent,
  quoteString,
  rawSelect,
  showFieldKeys,
  showTagKeys,
  showTagValues,
  type SeriesSelection,
} from './influxql';

const range = { fromMs: 1_700_000_000_000, toMs: 1_700_003_600_000 };

describe('quoting', () => {
  it('double-quotes identifiers with escapes', () => {
    expect(quoteIdent('cpu')).toBe('"cpu"');
    expect(quoteIdent('measurement names with spaces')).toBe('"measurement names with spaces"');
    expect(quoteIdent('a"b')).toBe('"a\\"b"');
    expect(quoteIdent('back\\slash')).toBe('"back\\\\slash"');
    expect(quoteIdent('two\nlines')).toBe('"two\\nlines"');
    expect(quoteIdent("it's")).toBe('"it\'s"');
  });

  it('single-quotes strings with escapes', () => {
    expect(quoteString('plain')).toBe("'plain'");
    expect(quoteString("O'Brien")).toBe("'O\\'Brien'");
    expect(quoteString('a\\b')).toBe("'a\\\\b'");
    expect(quoteString('say "x"')).toBe('\'say "x"\'');
    expect(quoteString('x\ny')).toBe("'x\\ny'");
  });
});

describe('SHOW statements', () => {
  it('quote the measurement and key', () => {
    expect(showFieldKeys('my m')).toBe('SHOW FIELD KEYS FROM "my m"');
    expect(showTagKeys('m')).toBe('SHOW TAG KEYS FROM "m"');
    expect(showTagValues('m x', 'tag "k"')).toBe('SHOW TAG VALUES FROM "m x" WITH KEY = "tag \\"k\\""');
  });
});

describe('SELECT building', () => {
  const sel: SeriesSelection = {
    measurement: 'machine data',
    field: 'temp °C',
    tags: { site: "Bob's plant", line: 'l1' },
    groupBy: '*',
  };

  it('raw values with tag filters (sorted) and an ms time range', () => {
    expect(rawSelect(sel, range)).toBe(
      'SELECT "temp °C" FROM "machine data" WHERE time >= 1700000000000ms AND time < 1700003600000ms' +
        " AND \"line\" = 'l1' AND \"site\" = 'Bob\\'s plant' GROUP BY *",
    );
  });

  it('raw values limited per line', () => {
    expect(rawSelect({ ...sel, tags: {}, groupBy: '' }, range, 2001)).toBe(
      'SELECT "temp °C" FROM "machine data" WHERE time >= 1700000000000ms AND time < 1700003600000ms LIMIT 2001',
    );
    expect(rawSelect({ ...sel, tags: {}, groupBy: 'line' }, range, 5)).toMatch(/ GROUP BY "line" LIMIT 5$/);
  });

  it('min/max/mean per bucket, grouped by a tag key', () => {
    expect(aggregateSelect({ ...sel, tags: {}, groupBy: 'machine id' }, range, '5s')).toBe(
      'SELECT min("temp °C") AS "min", max("temp °C") AS "max", mean("temp °C") AS "mean" FROM "machine data"' +
        ' WHERE time >= 1700000000000ms AND time < 1700003600000ms GROUP BY time(5s), "machine id" fill(null)',
    );
  });

  it('whole milliseconds even for fractional zoom ranges', () => {
    expect(rawSelect({ ...sel, tags: {}, groupBy: '' }, { fromMs: 10.7, toMs: 20.2 })).toContain('time >= 10ms AND time < 21ms');
  });

  it('joins statements', () => {
    expect(joinStatements(['A', 'B'])).toBe('A;\nB');
  });
});
