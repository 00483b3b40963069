// Batching and rate-limiting incoming live messages: the topics view renders at most once per
// `minIntervalMs` and keeps the newest `maxKeep` messages. Pure logic: the clock is passed in.

export interface BatcherOptions {
  /** Minimum time between two flushes (100 ms = at most 10 renders per second). */
  minIntervalMs: number;
  /** At most this many messages are held waiting; older ones are discarded (and counted). */
  maxPending: number;
}

export class Batcher<T> {
  private pending: T[] = [];
  private lastFlush = -Infinity;
  /** Messages discarded because more than maxPending waited. */
  overflowed = 0;

  constructor(private readonly opts: BatcherOptions) {}

  get pendingCount(): number {
    return this.pending.length;
  }

  add(item: T): void {
    this.pending.push(item);
    if (this.pending.length > this.opts.maxPending * 2) this.trim();
  }

  private trim(): void {
    const extra = this.pending.length - this.opts.maxPending;
    if (extra > 0) {
      this.pending.splice(0, extra);
      this.overflowed += extra;
    }
  }

  /** Milliseconds until a flush is allowed (0: now); null when nothing waits. */
  delay(nowMs: number): number | null {
    if (this.pending.length === 0) return null;
    return Math.max(0, this.lastFlush + this.opts.minIntervalMs - nowMs);
  }

  /** The waiting messages, oldest first, if a flush is allowed now; else null. */
  flush(nowMs: number): T[] | null {
    const d = this.delay(nowMs);
    if (d === null || d > 0) return null;
    this.trim();
    const out = this.pending;
    this.pending = [];
    this.lastFlush = nowMs;
    return out;
  }

  clear(): void {
    this.pending = [];
    this.overflowed = 0;
  }
}

/** The shown list, newest first: the batch (oldest first) goes in front, capped at `max`. */
export function prependNewest<T>(list: readonly T[], batchOldestFirst: readonly T[], max: number): T[] {
  const fresh = batchOldestFirst.slice(Math.max(0, batchOldestFirst.length - max)).reverse();
  if (fresh.length >= max) return fresh;
  return fresh.concat(list.slice(0, max - fresh.length));
}
