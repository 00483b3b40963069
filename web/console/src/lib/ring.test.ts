import { describe, expect, it } from 'vitest';
import { NumberRing, SeriesRing } from './ring';

describe('NumberRing', () => {
  it('keeps insertion order until full', () => {
    const r = new NumberRing(4);
    r.push(1);
    r.push(2);
    expect(r.length).toBe(2);
    expect(r.toArray()).toEqual([1, 2]);
  });

  it('overwrites the oldest past its capacity', () => {
    const r = new NumberRing(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.length).toBe(3);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.at(0)).toBe(3);
    expect(r.at(2)).toBe(5);
    expect(r.at(3)).toBeNaN();
  });

  it('does not grow over many pushes', () => {
    const r = new NumberRing(600);
    for (let i = 0; i < 100_000; i++) r.push(i);
    const a = r.toArray();
    expect(a.length).toBe(600);
    expect(a[0]).toBe(100_000 - 600);
    expect(a[599]).toBe(99_999);
    for (let i = 1; i < a.length; i++) expect(a[i]).toBe((a[i - 1] as number) + 1);
  });

  it('turns NaN into null gaps', () => {
    const r = new NumberRing(3);
    r.push(1);
    r.push(NaN);
    r.push(3);
    expect(r.toArray()).toEqual([1, null, 3]);
  });

  it('refuses a bad capacity', () => {
    expect(() => new NumberRing(0)).toThrow();
    expect(() => new NumberRing(1.5)).toThrow();
  });
});

describe('SeriesRing', () => {
  it('aligns columns to time and leaves missing or non-numeric fields as gaps', () => {
    const s = new SeriesRing(3, ['a', 'b']);
    s.push(1000, { a: 1, b: 10 });
    s.push(2000, { a: 2 });
    s.push(3000, { a: 3, b: 'x' });
    s.push(4000, { a: 4, b: 40 });
    expect(s.length).toBe(3);
    expect(s.aligned(['a', 'b'])).toEqual([
      [2000, 3000, 4000],
      [2, 3, 4],
      [null, null, 40],
    ]);
    expect(() => s.column('c')).toThrow();
  });

  it('stays at its capacity after hours of one event a second', () => {
    const s = new SeriesRing(600, ['x']);
    for (let i = 0; i < 6 * 3600; i++) s.push(i * 1000, { x: i });
    const [t, x] = s.aligned(['x']);
    expect(t.length).toBe(600);
    expect(x.length).toBe(600);
    expect(t[599]).toBe((6 * 3600 - 1) * 1000);
    expect(x[0]).toBe(6 * 3600 - 600);
    s.clear();
    expect(s.length).toBe(0);
  });
});
