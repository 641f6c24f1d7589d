/**
 * A preallocated log of time intervals (start, duration, one numeric value), the storage
 * behind V8 GC, KV-cache GC and prefill records. Recording writes three typed-array slots.
 */

/** A chronological copy of a log, ready for interval queries. */
export interface IntervalSnapshot {
  length: number;
  /** Start times (ms), ascending. */
  start: Float64Array;
  /** Durations (ms), aligned with `start`. */
  duration: Float64Array;
  /** The numeric value recorded with each interval (GC kind flag, prefill tokens, blocks freed). */
  value: Float64Array;
  /** Longest duration in the snapshot, bounding how far back an overlap search must look. */
  maxDuration: number;
}

/** Options for {@link IntervalLog}. */
export interface IntervalLogOptions {
  /**
   * When full, overwrite the oldest entries (a ring: bounded memory for a long-lived
   * server) instead of doubling the buffers (nothing lost: a lab run). Default false.
   */
  overwrite?: boolean;
}

/** Log of intervals in preallocated columns; see {@link IntervalLogOptions.overwrite} for what happens when full. */
export class IntervalLog {
  private start: Float64Array;
  private duration: Float64Array;
  private value: Float64Array;
  private head = 0; // index of the oldest entry
  private size = 0;
  private lost = 0;
  private readonly overwrite: boolean;

  constructor(capacity = 1024, opts: IntervalLogOptions = {}) {
    const n = Math.max(1, capacity);
    this.start = new Float64Array(n);
    this.duration = new Float64Array(n);
    this.value = new Float64Array(n);
    this.overwrite = opts.overwrite ?? false;
  }

  /** Entries held. */
  get length(): number {
    return this.size;
  }

  /** Entries overwritten because the ring was full. */
  get dropped(): number {
    return this.lost;
  }

  /** Records an interval starting at `start` lasting `duration` ms. */
  record(start: number, duration: number, value = 0): void {
    const cap = this.start.length;
    if (this.size === cap) {
      if (this.overwrite) {
        this.head = (this.head + 1) % cap;
        this.size--;
        this.lost++;
      } else {
        this.regrow();
      }
    }
    const i = (this.head + this.size) % this.start.length;
    this.start[i] = start;
    this.duration[i] = duration;
    this.value[i] = value;
    this.size++;
  }

  /** Calls `visit` for each entry, oldest recorded first. */
  forEach(visit: (start: number, duration: number, value: number) => void): void {
    const cap = this.start.length;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % cap;
      visit(this.start[i], this.duration[i], this.value[i]);
    }
  }

  /** A copy sorted by start time (entries can be recorded slightly out of order). */
  snapshot(): IntervalSnapshot {
    const n = this.size;
    const order = new Uint32Array(n);
    for (let k = 0; k < n; k++) order[k] = (this.head + k) % this.start.length;
    const starts = this.start;
    order.sort((a, b) => starts[a] - starts[b]);
    const snap: IntervalSnapshot = {
      length: n,
      start: new Float64Array(n),
      duration: new Float64Array(n),
      value: new Float64Array(n),
      maxDuration: 0,
    };
    for (let k = 0; k < n; k++) {
      const i = order[k];
      snap.start[k] = this.start[i];
      snap.duration[k] = this.duration[i];
      snap.value[k] = this.value[i];
      if (this.duration[i] > snap.maxDuration) snap.maxDuration = this.duration[i];
    }
    return snap;
  }

  /** Forgets every entry, keeping the buffers. */
  clear(): void {
    this.head = 0;
    this.size = 0;
    this.lost = 0;
  }

  private regrow(): void {
    const cap = this.start.length;
    const unroll = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap * 2);
      b.set(a.subarray(this.head));
      b.set(a.subarray(0, this.head), cap - this.head);
      return b;
    };
    this.start = unroll(this.start);
    this.duration = unroll(this.duration);
    this.value = unroll(this.value);
    this.head = 0;
  }
}

/** Builds a snapshot from plain arrays (imported data, tests). */
export function intervalSnapshot(starts: ArrayLike<number>, durations: ArrayLike<number>, values?: ArrayLike<number>): IntervalSnapshot {
  const log = new IntervalLog(starts.length);
  for (let i = 0; i < starts.length; i++) log.record(starts[i], durations[i], values ? values[i] : 0);
  return log.snapshot();
}
