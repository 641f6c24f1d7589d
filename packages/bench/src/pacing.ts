/**
 * Paced decoding: every engine step idles after its compute, so a small model's step takes what
 * a chatbot's token takes (tens of ms) without a model too big for the lab's machine. The idle
 * time is the target minus the median compute time of the recent steps: it follows the machine
 * as its load changes, while a single slow step (a GC pause, a stall of a busy machine) moves the
 * median not at all and so comes fully on top, as it would on top of a bigger model's compute.
 * The GC pauses under test are never paced: they are real work inside the step. The idle time
 * leaves the CPU free, so other processes disturb a paced run less than a compute-bound one.
 */
import type { EngineObserver } from '@legato/core';

// A 4-byte cell nobody notifies: Atomics.wait on it is a precise, CPU-free sleep of the thread.
const cell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the calling thread for `ms` milliseconds without spinning. */
export function idle(ms: number): void {
  if (ms > 0) Atomics.wait(cell, 0, 0, ms);
}

const WINDOW = 16;

/**
 * Tops every engine step up to `targetStepMs`: after each step it idles the target minus the
 * median compute time of the last 16 steps (compute = the step's time less the KV-GC pauses in
 * it). Give its `observer` to the engine, after every other observer.
 */
export class StepPacer {
  private readonly recent = new Float64Array(WINDOW);
  private readonly sorted = new Float64Array(WINDOW);
  private count = 0;
  private stepStart = NaN;
  private gcMs = 0;
  private idleTotal = 0;
  private steps = 0;

  /**
   * @param targetStepMs the step time to reach (ms)
   * @param initialComputeMs the compute time to assume until steps have been measured
   */
  constructor(readonly targetStepMs: number, initialComputeMs: number) {
    if (!(Number.isFinite(targetStepMs) && targetStepMs > 0)) throw new RangeError(`targetStepMs must be a finite number > 0, got ${targetStepMs}`);
    if (Number.isFinite(initialComputeMs) && initialComputeMs >= 0) this.push(initialComputeMs);
  }

  /** The engine observer: collects the step's KV-GC pauses, and idles at the end of each step. */
  readonly observer: EngineObserver = {
    onKvGc: (e) => void (this.gcMs += e.durationMs),
    onStep: (g) => {
      if (this.stepStart === this.stepStart) this.push(Math.max(0, g.time - this.stepStart - this.gcMs));
      this.gcMs = 0;
      const ms = this.idleMs();
      idle(ms);
      this.idleTotal += ms;
      this.steps++;
      this.stepStart = performance.now();
    },
  };

  /** The idle time the next step gets: target − median recent compute, at least 0. */
  idleMs(): number {
    const n = Math.min(this.count, WINDOW);
    if (n === 0) return 0;
    const s = this.sorted.subarray(0, n);
    s.set(this.recent.subarray(0, n));
    s.sort();
    const median = n % 2 === 1 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
    return Math.max(0, this.targetStepMs - median);
  }

  /** Mean idle time per step so far (ms). */
  meanIdleMs(): number {
    return this.steps > 0 ? this.idleTotal / this.steps : 0;
  }

  private push(ms: number): void {
    this.recent[this.count % WINDOW] = ms;
    this.count++;
  }
}

/** How a lab was paced. */
export interface Pacing {
  /** The target time of a decode step (ms); 0 = unpaced, the model's own speed. */
  targetStepMs: number;
  /** Median step time of the warm-up, unpaced (ms): the model's own speed on this machine. */
  computeStepMs: number;
}

/** Records the time between consecutive steps (a step's compute plus the loop's turn). */
export class StepTimer {
  private last = NaN;
  private readonly gaps: number[] = [];

  /** The observer to give the engine. */
  readonly observer: EngineObserver = {
    onStep: (g) => {
      if (this.last === this.last) this.gaps.push(g.time - this.last);
      this.last = g.time;
    },
  };

  /** Median step time (ms), NaN before two steps. */
  median(): number {
    if (this.gaps.length === 0) return NaN;
    const s = [...this.gaps].sort((a, b) => a - b);
    return s[s.length >> 1];
  }
}
