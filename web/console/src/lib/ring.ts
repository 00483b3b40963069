// Fixed-capacity ring buffers for the live figures: pushing past the capacity overwrites the
// oldest sample, so memory stays constant however long the page stays open.

/** A ring of numbers (NaN for "no value"). */
export class NumberRing {
  private readonly buf: Float64Array;
  private head = 0; // index of the next write
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`bad capacity: ${capacity}`);
    this.buf = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(v: number): void {
    this.buf[this.head] = v;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The i-th oldest value held (0 = oldest). */
  at(i: number): number {
    if (i < 0 || i >= this.count) return NaN;
    const start = (this.head - this.count + this.capacity) % this.capacity;
    return this.buf[(start + i) % this.capacity];
  }

  /** Oldest first; NaN becomes null (a gap for uPlot). */
  toArray(): (number | null)[] {
    const out: (number | null)[] = new Array(this.count);
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const v = this.buf[(start + i) % this.capacity];
      out[i] = Number.isNaN(v) ? null : v;
    }
    return out;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}

/**
 * Rows of named numeric columns sharing one time axis, e.g. one stats event per second. A field
 * missing from a row is a gap. The set of columns is fixed at construction.
 */
export class SeriesRing {
  readonly time: NumberRing;
  private readonly cols = new Map<string, NumberRing>();

  constructor(readonly capacity: number, readonly fields: readonly string[]) {
    this.time = new NumberRing(capacity);
    for (const f of fields) this.cols.set(f, new NumberRing(capacity));
  }

  get length(): number {
    return this.time.length;
  }

  push(timeMs: number, row: Record<string, unknown>): void {
    this.time.push(timeMs);
    for (const [name, ring] of this.cols) {
      const v = row[name];
      ring.push(typeof v === 'number' && Number.isFinite(v) ? v : NaN);
    }
  }

  column(name: string): (number | null)[] {
    const ring = this.cols.get(name);
    if (!ring) throw new Error(`unknown column ${name}`);
    return ring.toArray();
  }

  /** uPlot's aligned data for some of the columns: [times, col1, col2, ...]. */
  aligned(names: readonly string[]): [number[], ...(number | null)[][]] {
    const t = this.time.toArray() as number[];
    return [t, ...names.map((n) => this.column(n))];
  }

  clear(): void {
    this.time.clear();
    for (const r of this.cols.values()) r.clear();
  }
}
