import { describe, expect, it } from 'vitest';
import { bucketCount, chooseInterval, durationLiteral, NICE_INTERVALS_MS } from './interval';

const H = 3600e3;
const D = 24 * H;

describe('chooseInterval', () => {
  it('picks the smallest nice interval giving at most the target buckets', () => {
    expect(chooseInterval(H, 1000)).toEqual({ ms: 5000, literal: '5s' }); // 3.6 s wanted
    expect(chooseInterval(24 * H, 1000)).toEqual({ ms: 120000, literal: '2m' }); // 86.4 s wanted
    expect(chooseInterval(7 * D, 1000)).toEqual({ ms: 15 * 60e3, literal: '15m' }); // 604.8 s wanted
    expect(chooseInterval(15 * 60e3, 2000)).toEqual({ ms: 500, literal: '500ms' }); // 450 ms wanted
    expect(chooseInterval(1000, 1000)).toEqual({ ms: 1, literal: '1ms' });
  });

  it('takes the exact width when it is nice', () => {
    expect(chooseInterval(1000 * 60e3, 1000).literal).toBe('1m');
  });

  it('never exceeds the target number of buckets for many ranges', () => {
    for (const range of [1, 999, 12345, H, 6 * H, 24 * H, 7 * D, 30 * D, 400 * D, 3650 * D]) {
      for (const target of [1, 10, 500, 1000, 2000]) {
        const iv = chooseInterval(range, target);
        expect(Math.ceil(range / iv.ms)).toBeLessThanOrEqual(target);
        // and the next smaller nice width would give too many
        const i = NICE_INTERVALS_MS.indexOf(iv.ms);
        if (i > 0) expect(range / NICE_INTERVALS_MS[i - 1]).toBeGreaterThan(target);
      }
    }
  });

  it('goes beyond the table in whole days', () => {
    const iv = chooseInterval(10 * 365 * D, 100);
    expect(iv.ms % D).toBe(0);
    expect(iv.literal).toMatch(/^\d+[dw]$/);
  });

  it('refuses nonsense', () => {
    expect(() => chooseInterval(0, 100)).toThrow();
    expect(() => chooseInterval(1000, 0)).toThrow();
  });
});

describe('durationLiteral', () => {
  it('uses the largest whole unit', () => {
    expect(durationLiteral(90000)).toBe('90s');
    expect(durationLiteral(7200000)).toBe('2h');
    expect(durationLiteral(7 * D)).toBe('1w');
    expect(durationLiteral(2 * D)).toBe('2d');
    expect(durationLiteral(250)).toBe('250ms');
  });
});

describe('bucketCount', () => {
  it('counts epoch-aligned buckets touching the range', () => {
    expect(bucketCount(0, 60000, 10000)).toBe(6);
    expect(bucketCount(5000, 65000, 10000)).toBe(7);
    expect(bucketCount(10, 10, 5)).toBe(0);
  });
});
