/**
 * Timing of GC cycles: each cycle's duration, the running totals, the time budget of an
 * incremental slice, and (for event listeners) each cycle's start time.
 *
 * Durations are kept in integer nanoseconds and totals as whole milliseconds plus nanoseconds, so
 * timing a cycle computes no double: before V8 optimizes a function (for the first thousands of
 * decode steps, for the larger GC routines) it boxes every fractional number that function
 * computes, and the GC must not create garbage. Milliseconds are computed only when read.
 */
import { gcClock, MAX_LAP_NS } from './clock.js';
import type { KVGcStats } from './stats.js';

/** Where `report` writes the pause statistics. */
export type PauseStats = Pick<KVGcStats, 'totalPauseMs' | 'maxPauseMs' | 'lastPauseMs'>;
/** Where `describe` writes the latest cycle's timing (a GcEvent). */
export interface CycleTiming {
  startTime: number;
  durationMs: number;
}

const NS_PER_MS = 1_000_000;

export class PauseTimer {
  /** The incremental slice budget; at most MAX_LAP_NS (a small integer). */
  private readonly budgetNs: number;
  /** The running cycle so far. */
  private elapsedNs = 0;
  private lastNs = 0;
  private maxNs = 0;
  private totalWholeMs = 0;
  private totalRemainderNs = 0;
  /** [0]: start of the latest cycle begun `withStartTime`, ms on performance.now()'s timebase. */
  private readonly start = new Float64Array(1);

  /** `budgetMicroseconds`: how long an incremental slice may run (see `expired`). */
  constructor(budgetMicroseconds: number) {
    this.budgetNs = Math.min(Math.ceil(budgetMicroseconds * 1000), MAX_LAP_NS);
  }

  /** Duration of the latest cycle, ms. */
  get lastMs(): number {
    return this.lastNs / NS_PER_MS;
  }

  /** Sum of all cycle durations, ms. */
  get totalMs(): number {
    return this.totalWholeMs + this.totalRemainderNs / NS_PER_MS;
  }

  /** Longest cycle, ms. */
  get maxMs(): number {
    return this.maxNs / NS_PER_MS;
  }

  // The getters above return doubles, which V8 boxes when it does not inline the call; these
  // write them straight into the caller's object instead.

  /** Writes the pause statistics (ms) into `out`. */
  report(out: PauseStats): void {
    out.totalPauseMs = this.totalWholeMs + this.totalRemainderNs / NS_PER_MS;
    out.maxPauseMs = this.maxNs / NS_PER_MS;
    out.lastPauseMs = this.lastNs / NS_PER_MS;
  }

  /** Writes the latest cycle's start time (if begun `withStartTime`) and duration into `out`. */
  describe(out: CycleTiming): void {
    out.startTime = this.start[0];
    out.durationMs = this.lastNs / NS_PER_MS;
  }

  /**
   * A cycle starts now. `withStartTime` also records when, for `describe` (that computes doubles:
   * ask only when someone will read it).
   */
  begin(withStartTime: boolean): void {
    if (withStartTime) gcClock.readMs(this.start, 0);
    else gcClock.lapNs();
    this.elapsedNs = 0;
  }

  /** Reads the clock: whether the running cycle has used up the incremental slice budget. */
  expired(): boolean {
    this.elapsedNs += gcClock.lapNs();
    return this.elapsedNs >= this.budgetNs;
  }

  /** The running cycle ends now: its duration joins the totals. */
  end(): void {
    const ns = this.elapsedNs + gcClock.lapNs();
    this.lastNs = ns;
    if (ns > this.maxNs) this.maxNs = ns;
    let remainder = this.totalRemainderNs + ns;
    while (remainder >= NS_PER_MS) {
      remainder -= NS_PER_MS;
      this.totalWholeMs++;
    }
    this.totalRemainderNs = remainder;
  }
}
