/**
 * System gauges sampled once per engine step, stored column-wise in preallocated typed
 * arrays so sampling every step allocates nothing.
 */

/** One step's gauges, as the engine reports them. */
export interface StepGauges {
  /** Step time (ms, `performance.now()` clock), normally the end of the step. */
  time: number;
  /** KV blocks referenced by running sequences. */
  kvBlocksUsed: number;
  /** KV blocks holding reusable prefix-cache content but referenced by nobody (evictable). */
  kvBlocksCached: number;
  /** KV blocks holding nothing. */
  kvBlocksFree: number;
  /** KV utilisation in [0, 1]; defaults to used/(used + cached + free). */
  kvUtilisation?: number;
  /** Requests waiting for admission: the prefill queue depth. */
  waiting: number;
  /** Sequences in the running batch. */
  running: number;
  /** Tokens the step computed (decode tokens plus prefill chunk tokens). */
  stepTokens: number;
}

/** Recorded gauges, one typed-array column per gauge, all of length `length`. */
export interface GaugeColumns {
  length: number;
  time: Float64Array;
  kvBlocksUsed: Uint32Array;
  kvBlocksCached: Uint32Array;
  kvBlocksFree: Uint32Array;
  kvUtilisation: Float64Array;
  waiting: Uint32Array;
  running: Uint32Array;
  stepTokens: Uint32Array;
}

const COLUMN_NAMES = [
  'time',
  'kvBlocksUsed',
  'kvBlocksCached',
  'kvBlocksFree',
  'kvUtilisation',
  'waiting',
  'running',
  'stepTokens',
] as const;

/** Names of the gauge columns, in storage order. */
export const GAUGE_COLUMNS: readonly (keyof Omit<GaugeColumns, 'length'>)[] = COLUMN_NAMES;

/**
 * Column store of per-step gauges. Capacity doubles when exceeded, so size it to the
 * expected number of steps to never reallocate during a run.
 */
export class GaugeRecorder {
  private cols: GaugeColumns;

  constructor(capacity = 4096) {
    this.cols = allocate(Math.max(1, capacity), 0);
  }

  /** Number of steps recorded. */
  get length(): number {
    return this.cols.length;
  }

  /** Records one step's gauges. */
  record(g: StepGauges): void {
    this.recordValues(g.time, g.kvBlocksUsed, g.kvBlocksCached, g.kvBlocksFree, g.waiting, g.running, g.stepTokens, g.kvUtilisation);
  }

  /** Records one step from plain numbers (for engines that don't keep a gauges object). */
  recordValues(
    time: number,
    kvBlocksUsed: number,
    kvBlocksCached: number,
    kvBlocksFree: number,
    waiting: number,
    running: number,
    stepTokens: number,
    kvUtilisation?: number,
  ): void {
    let c = this.cols;
    if (c.length === c.time.length) c = this.cols = regrow(c);
    const i = c.length;
    c.time[i] = time;
    c.kvBlocksUsed[i] = kvBlocksUsed;
    c.kvBlocksCached[i] = kvBlocksCached;
    c.kvBlocksFree[i] = kvBlocksFree;
    const total = kvBlocksUsed + kvBlocksCached + kvBlocksFree;
    c.kvUtilisation[i] = kvUtilisation ?? (total > 0 ? kvBlocksUsed / total : 0);
    c.waiting[i] = waiting;
    c.running[i] = running;
    c.stepTokens[i] = stepTokens;
    c.length = i + 1;
  }

  /** Views (no copy) of the recorded columns. */
  columns(): GaugeColumns {
    return sliceColumns(this.cols, this.cols.length);
  }

  /** Forgets every recorded step, keeping the buffers. */
  clear(): void {
    this.cols.length = 0;
  }
}

/** Builds gauge columns from an array of step objects (for tests and imported data). */
export function gaugeColumnsFrom(steps: readonly StepGauges[]): GaugeColumns {
  const r = new GaugeRecorder(steps.length);
  for (const s of steps) r.record(s);
  return r.columns();
}

function allocate(capacity: number, length: number): GaugeColumns {
  return {
    length,
    time: new Float64Array(capacity),
    kvBlocksUsed: new Uint32Array(capacity),
    kvBlocksCached: new Uint32Array(capacity),
    kvBlocksFree: new Uint32Array(capacity),
    kvUtilisation: new Float64Array(capacity),
    waiting: new Uint32Array(capacity),
    running: new Uint32Array(capacity),
    stepTokens: new Uint32Array(capacity),
  };
}

function regrow(c: GaugeColumns): GaugeColumns {
  const next = allocate(c.time.length * 2, c.length);
  for (const name of COLUMN_NAMES) next[name].set(c[name] as never);
  return next;
}

function sliceColumns(c: GaugeColumns, n: number): GaugeColumns {
  return {
    length: n,
    time: c.time.subarray(0, n),
    kvBlocksUsed: c.kvBlocksUsed.subarray(0, n),
    kvBlocksCached: c.kvBlocksCached.subarray(0, n),
    kvBlocksFree: c.kvBlocksFree.subarray(0, n),
    kvUtilisation: c.kvUtilisation.subarray(0, n),
    waiting: c.waiting.subarray(0, n),
    running: c.running.subarray(0, n),
    stepTokens: c.stepTokens.subarray(0, n),
  };
}
