import { describe, expect, it } from 'vitest';
import { alignGroups, columnPairs, columnValues, maxRows, seriesLabel, statementErrors, toPlotData, type QueryResponse } from './influx';

describe('toPlotData', () => {
  it('converts one raw series into x and y columns', () => {
    const resp: QueryResponse = {
      results: [{ statement_id: 0, series: [{ name: 'cpu', columns: ['time', 'usage'], values: [[1000, 1.5], [2000, 2], [3000, null]] }] }],
    };
    const p = toPlotData(resp);
    expect(p.data).toEqual([[1000, 2000, 3000], [1.5, 2, null]]);
    expect(p.series).toEqual([{ label: 'cpu.usage', kind: 'line', line: 0 }]);
    expect(p.bands).toEqual([]);
    expect(p.points).toBe(2);
    expect(p.lines).toBe(1);
  });

  it('merges the timestamps of several series and fills gaps with null', () => {
    const resp: QueryResponse = {
      results: [
        {
          statement_id: 0,
          series: [
            { name: 'm', tags: { host: 'a' }, columns: ['time', 'v'], values: [[1, 10], [3, 30], [5, 50]] },
            { name: 'm', tags: { host: 'b' }, columns: ['time', 'v'], values: [[2, 20], [3, 31]] },
          ],
        },
        { statement_id: 1, series: [{ name: 'n', columns: ['time', 'w'], values: [[5, 500], [6, 600]] }] },
      ],
    };
    const p = toPlotData(resp);
    expect(p.data[0]).toEqual([1, 2, 3, 5, 6]);
    expect(p.data[1]).toEqual([10, null, 30, 50, null]);
    expect(p.data[2]).toEqual([null, 20, 31, null, null]);
    expect(p.data[3]).toEqual([null, null, null, 500, 600]);
    expect(p.series.map((s) => s.label)).toEqual(['m{host=a}.v', 'm{host=b}.v', 'n.w']);
    expect(p.series.map((s) => s.line)).toEqual([0, 1, 2]);
  });

  it('turns min, max and mean columns into a mean line with a min/max band', () => {
    const resp: QueryResponse = {
      results: [
        {
          statement_id: 0,
          series: [
            { name: 'm', tags: { s: 'x' }, columns: ['time', 'min', 'max', 'mean'], values: [[0, 1, 3, 2], [60000, null, null, null], [120000, 4, 8, 6]] },
            { name: 'm', tags: { s: 'y' }, columns: ['time', 'min', 'max', 'mean'], values: [[0, 0, 1, 0.5], [60000, 1, 2, 1.5], [120000, 2, 3, 2.5]] },
          ],
        },
      ],
    };
    const p = toPlotData(resp);
    expect(p.data[0]).toEqual([0, 60000, 120000]);
    // mean, min, max of x, then of y
    expect(p.data.slice(1)).toEqual([
      [2, null, 6],
      [1, null, 4],
      [3, null, 8],
      [0.5, 1.5, 2.5],
      [0, 1, 2],
      [1, 2, 3],
    ]);
    expect(p.series.map((s) => s.kind)).toEqual(['mean', 'min', 'max', 'mean', 'min', 'max']);
    expect(p.series.map((s) => s.line)).toEqual([0, 0, 0, 1, 1, 1]);
    // uPlot bands: [upper (max), lower (min)] as 1-based data indices
    expect(p.bands).toEqual([
      [3, 2],
      [6, 5],
    ]);
    expect(p.lines).toBe(2);
  });

  it('sorts unsorted rows and keeps the last value of a repeated timestamp', () => {
    const resp: QueryResponse = {
      results: [{ series: [{ name: 'm', columns: ['time', 'v'], values: [[30, 3], [10, 1], [20, 2], [20, 22]] }] }],
    };
    const p = toPlotData(resp);
    expect(p.data).toEqual([[10, 20, 30], [1, 22, 3]]);
  });

  it('accepts RFC 3339 times, skips text columns and series without time', () => {
    const resp: QueryResponse = {
      results: [
        {
          series: [
            { name: 'm', columns: ['time', 'status', 'ok', 'v'], values: [['1970-01-01T00:00:01Z', 'run', true, 5], ['1970-01-01T00:00:02.5Z', 'stop', false, 6]] },
            { name: 'databases', columns: ['name'], values: [['x']] },
          ],
        },
      ],
    };
    const p = toPlotData(resp);
    expect(p.data).toEqual([[1000, 2500], [1, 0], [5, 6]]);
    expect(p.series.map((s) => s.label)).toEqual(['m.ok', 'm.v']);
  });

  it('leaves out lines beyond maxLines and says how many', () => {
    const series = Array.from({ length: 5 }, (_, i) => ({ name: 'm', tags: { i: String(i) }, columns: ['time', 'v'], values: [[i, i]] }));
    const p = toPlotData({ results: [{ series }] }, { maxLines: 3 });
    expect(p.lines).toBe(3);
    expect(p.omittedLines).toBe(2);
    expect(p.data.length).toBe(4);
  });

  it('gives an empty x column for no data', () => {
    expect(toPlotData({ results: [{ statement_id: 0 }] }).data).toEqual([[]]);
    expect(alignGroups([])).toEqual([[]]);
  });

  it('builds a correct 100,000-point data set', () => {
    const n = 100_000;
    const t0 = 1_700_000_000_000;
    const a: unknown[][] = new Array(n);
    const b: unknown[][] = [];
    for (let i = 0; i < n; i++) {
      a[i] = [t0 + i * 1000, Math.sin(i / 100)];
      if (i % 2 === 1) b.push([t0 + i * 1000 + 500, i]); // between a's timestamps
    }
    const started = performance.now();
    const p = toPlotData({
      results: [{ series: [{ name: 'a', columns: ['time', 'v'], values: a }, { name: 'b', columns: ['time', 'v'], values: b }] }],
    });
    const took = performance.now() - started;
    const xs = p.data[0];
    expect(xs.length).toBe(n + n / 2);
    for (let i = 1; i < xs.length; i++) if (!(xs[i] > xs[i - 1])) throw new Error(`x not ascending at ${i}`);
    expect(p.points).toBe(n + n / 2);
    // a's value at its own times, null at b's; b the other way round
    expect(xs[0]).toBe(t0);
    expect(p.data[1][0]).toBe(0);
    expect(p.data[2][0]).toBeNull();
    const k = xs.indexOf(t0 + 99_999 * 1000 + 500);
    expect(p.data[2][k]).toBe(99_999);
    expect(p.data[1][k]).toBeNull();
    expect(p.data[1][xs.indexOf(t0 + 12_345 * 1000)]).toBeCloseTo(Math.sin(123.45), 12);
    expect(p.data[1].filter((v) => v !== null).length).toBe(n);
    // not asserted, only reported
    console.log(`100k+50k points converted in ${took.toFixed(1)} ms`);
  });
});

describe('result helpers', () => {
  const show: QueryResponse = {
    results: [
      { statement_id: 0, series: [{ name: 'f', columns: ['fieldKey', 'fieldType'], values: [['temp', 'float'], ['state', 'string']] }] },
      { statement_id: 1, series: [{ name: 'f', columns: ['tagKey'], values: [['site'], ['line'], ['site']] }] },
    ],
  };

  it('reads SHOW columns', () => {
    expect(columnPairs(show, 'fieldKey', 'fieldType', 0)).toEqual([
      ['temp', 'float'],
      ['state', 'string'],
    ]);
    expect(columnValues(show, 'tagKey', 1)).toEqual(['site', 'line']);
    expect(columnValues(show, 'nope', 1)).toEqual([]);
  });

  it('finds the longest series over all statements', () => {
    const resp: QueryResponse = {
      results: [
        { series: [{ name: 'm', columns: ['time', 'v'], values: [[0, 1], [1, 2]] }, { name: 'm', columns: ['time', 'v'], values: [[0, 1], [1, 2], [2, 3]] }] },
        { series: [{ name: 'n', columns: ['time', 'v'], values: [[0, 7]] }] },
        { statement_id: 2, error: 'database not found: x' },
      ],
    };
    expect(maxRows(resp)).toBe(3);
    expect(maxRows({ results: [{}] })).toBe(0);
  });

  it('collects statement errors', () => {
    expect(statementErrors({ results: [{ statement_id: 0 }, { statement_id: 1, error: 'database not found: x' }] })).toEqual(['statement 1: database not found: x']);
    expect(statementErrors({ error: 'boom' })).toEqual(['boom']);
  });

  it('labels series with sorted tags', () => {
    expect(seriesLabel('m', { b: '2', a: '1' })).toBe('m{a=1,b=2}');
    expect(seriesLabel('m', undefined)).toBe('m');
  });
});
