import { describe, expect, it } from 'vitest';
import { Batcher, prependNewest } from './batch';

/** Drives a batcher as the topics view does: a timer at delay(), an injected clock. */
function simulate(arrivals: number[], minIntervalMs: number, maxPending: number) {
  const b = new Batcher<number>({ minIntervalMs, maxPending });
  const flushes: { at: number; items: number[] }[] = [];
  let timerAt: number | null = null;
  const fire = (now: number) => {
    const out = b.flush(now);
    if (out) flushes.push({ at: now, items: out });
    const d = b.delay(now);
    timerAt = d === null ? null : now + d;
  };
  arrivals.forEach((t, i) => {
    while (timerAt !== null && timerAt <= t) fire(timerAt);
    b.add(i);
    if (timerAt === null) {
      const d = b.delay(t)!;
      if (d === 0) fire(t);
      else timerAt = t + d;
    }
  });
  while (timerAt !== null) fire(timerAt);
  return { b, flushes };
}

describe('Batcher', () => {
  it('flushes at once when idle, then at most once per interval', () => {
    const b = new Batcher<string>({ minIntervalMs: 100, maxPending: 500 });
    expect(b.delay(0)).toBeNull();
    b.add('a');
    expect(b.delay(1000)).toBe(0);
    expect(b.flush(1000)).toEqual(['a']);
    b.add('b');
    b.add('c');
    expect(b.delay(1030)).toBe(70);
    expect(b.flush(1030)).toBeNull();
    expect(b.flush(1100)).toEqual(['b', 'c']);
    expect(b.flush(1300)).toBeNull(); // nothing waits
  });

  it('renders at most 10 times a second under a flood, losing nothing within the cap', () => {
    const arrivals = Array.from({ length: 2000 }, (_, i) => i * 0.5); // 2000 messages in 1 s
    const { flushes, b } = simulate(arrivals, 100, 500);
    expect(flushes.length).toBeLessThanOrEqual(11);
    for (let i = 1; i < flushes.length; i++) expect(flushes[i].at - flushes[i - 1].at).toBeGreaterThanOrEqual(100);
    const all = flushes.flatMap((f) => f.items);
    expect(all).toEqual(Array.from({ length: 2000 }, (_, i) => i)); // in order, every one
    expect(b.overflowed).toBe(0);
  });

  it('keeps only the newest maxPending and counts the rest', () => {
    const b = new Batcher<number>({ minIntervalMs: 100, maxPending: 5 });
    b.add(-1);
    b.flush(0);
    for (let i = 0; i < 23; i++) b.add(i);
    const out = b.flush(100)!;
    expect(out).toEqual([18, 19, 20, 21, 22]);
    expect(b.overflowed).toBe(18);
    expect(b.pendingCount).toBe(0);
  });

  it('bounds what waits even if never flushed (paused)', () => {
    const b = new Batcher<number>({ minIntervalMs: 100, maxPending: 500 });
    for (let i = 0; i < 100_000; i++) b.add(i);
    expect(b.pendingCount).toBeLessThanOrEqual(1000);
    const out = b.flush(0)!;
    expect(out.length).toBe(500);
    expect(out[499]).toBe(99_999);
  });

  it('clears', () => {
    const b = new Batcher<number>({ minIntervalMs: 100, maxPending: 5 });
    b.add(1);
    b.clear();
    expect(b.delay(0)).toBeNull();
  });
});

describe('prependNewest', () => {
  it('puts the batch newest first in front and caps the list', () => {
    expect(prependNewest([3, 2, 1], [4, 5], 4)).toEqual([5, 4, 3, 2]);
    expect(prependNewest([], [1, 2, 3, 4, 5, 6], 3)).toEqual([6, 5, 4]);
    expect(prependNewest([1], [], 3)).toEqual([1]);
  });

  it('stays at 500 however many batches arrive', () => {
    let list: number[] = [];
    let n = 0;
    for (let b = 0; b < 200; b++) {
      const batch = Array.from({ length: 37 }, () => n++);
      list = prependNewest(list, batch, 500);
      expect(list.length).toBeLessThanOrEqual(500);
    }
    expect(list.length).toBe(500);
    expect(list[0]).toBe(n - 1);
    expect(list[499]).toBe(n - 500);
  });
});
