import { describe, expect, it } from 'vitest';
import { csvDocument, csvField, queryToCsv } from './csv';

describe('csvField', () => {
  it('leaves plain values alone', () => {
    expect(csvField('abc')).toBe('abc');
    expect(csvField(1.5)).toBe('1.5');
    expect(csvField(true)).toBe('true');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
  });

  it('quotes commas, quotes, newlines and edge spaces', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField('"')).toBe('""""');
  });
});

describe('csvDocument', () => {
  it('ends every row with CRLF', () => {
    expect(csvDocument([['a', 'b'], [1, 'x,y']])).toBe('a,b\r\n1,"x,y"\r\n');
  });
});

describe('queryToCsv', () => {
  it('writes a header and one row per value with tags and ISO times', () => {
    const csv = queryToCsv({
      results: [
        {
          statement_id: 0,
          series: [
            { name: 'temp', tags: { site: 'a,b' }, columns: ['time', 'value'], values: [[0, 1.5], [1000, null]] },
            { name: 'temp', tags: { site: 'c "q"' }, columns: ['time', 'value'], values: [[2000, 3]] },
          ],
        },
        { statement_id: 1, series: [{ name: 'msg', columns: ['time', 'text', 'value'], values: [[3000, 'line1\nline2', 4]] }] },
      ],
    });
    const rows = csv.split('\r\n');
    expect(rows[0]).toBe('name,site,time,value,text');
    expect(rows[1]).toBe('temp,"a,b",1970-01-01T00:00:00.000Z,1.5,');
    expect(rows[2]).toBe('temp,"a,b",1970-01-01T00:00:01.000Z,,');
    expect(rows[3]).toBe('temp,"c ""q""",1970-01-01T00:00:02.000Z,3,');
    expect(csv).toContain('msg,,1970-01-01T00:00:03.000Z,4,"line1\nline2"\r\n');
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('can keep epoch numbers and puts time first', () => {
    const csv = queryToCsv({ results: [{ series: [{ name: 'm', columns: ['v', 'time'], values: [[1, 5]] }] }] }, { time: 'epoch' });
    expect(csv).toBe('name,time,v\r\nm,5,1\r\n');
  });

  it('gives just the header for no series', () => {
    expect(queryToCsv({ results: [{ statement_id: 0 }] })).toBe('name\r\n');
  });
});
