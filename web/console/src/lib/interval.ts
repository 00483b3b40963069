// Choosing the GROUP BY time() interval of an aggregated chart: the smallest "nice" interval
// that gives at most `targetPoints` buckets over the range.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Nice bucket widths in milliseconds, ascending. */
export const NICE_INTERVALS_MS: readonly number[] = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY,
];

/** An InfluxQL duration literal for a whole number of milliseconds: 90000 -> "90s", 7200000 -> "2h". */
export function durationLiteral(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1) throw new RangeError(`bad interval: ${ms}`);
  const whole = Math.round(ms);
  const units: [number, string][] = [[7 * DAY, 'w'], [DAY, 'd'], [HOUR, 'h'], [MINUTE, 'm'], [SECOND, 's']];
  for (const [size, unit] of units) {
    if (whole % size === 0) return `${whole / size}${unit}`;
  }
  return `${whole}ms`;
}

export interface Interval {
  ms: number;
  /** InfluxQL duration, e.g. "5m". */
  literal: string;
}

/**
 * The interval for `rangeMs` so that ceil(rangeMs / interval) <= targetPoints. Beyond the
 * largest nice width, whole multiples of days are used.
 */
export function chooseInterval(rangeMs: number, targetPoints: number): Interval {
  if (!(rangeMs > 0)) throw new RangeError(`bad range: ${rangeMs}`);
  if (!(targetPoints >= 1)) throw new RangeError(`bad point count: ${targetPoints}`);
  const wanted = rangeMs / Math.floor(targetPoints);
  for (const ms of NICE_INTERVALS_MS) {
    if (ms >= wanted) return { ms, literal: durationLiteral(ms) };
  }
  const ms = Math.ceil(wanted / DAY) * DAY;
  return { ms, literal: durationLiteral(ms) };
}

/** Number of buckets of width `intervalMs` (aligned to the epoch, as InfluxQL does) that touch [from, to). */
export function bucketCount(fromMs: number, toMs: number, intervalMs: number): number {
  if (toMs <= fromMs) return 0;
  const first = Math.floor(fromMs / intervalMs);
  const last = Math.floor((toMs - 1) / intervalMs);
  return last - first + 1;
}
