/**
 * A monotonic clock that can be read without creating garbage, for the GC's pause timing and time
 * budgets (read several times per decode step).
 *
 * Why not `performance.now()`: in Node 20 it returns a freshly allocated heap number on every
 * call (16 bytes), whatever the caller does with it; so does `Date.now()`, and `process.hrtime()`
 * returns a new array. Here time is measured natively by a `RecordableHistogram`: `recordDelta()`
 * records the nanoseconds since its previous call, and `min`/`max` hand that lap back as small
 * integers, which V8 passes around without allocating. Everything on the lap path is small
 * integer arithmetic, so it stays garbage-free even before V8 optimizes it (unoptimized code boxes
 * every fractional or out-of-range number it computes).
 *
 * Laps are exact to 0.4% (two significant digits keep the histogram small, and resetting it
 * cheap). The absolute time (`readMs`) is the sum of the laps since an anchor on
 * `performance.now()`; the few hundred nanoseconds between reading a lap and re-arming the
 * histogram are not counted, so that sum falls behind, and `readMs` re-anchors once ANCHOR_LAPS
 * laps have passed (one boxed double each time). Callers that only time durations never anchor.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** Laps after which `readMs` re-anchors: bounds the drift of absolute readings to about 50 µs. */
const ANCHOR_LAPS = 256;
/**
 * Longest lap reported (~1.07 s): a small integer on every V8 build. Longer laps (an idle clock)
 * are reported as this, and make the next `readMs` re-anchor.
 */
export const MAX_LAP_NS = 2 ** 30 - 1;
const NS_PER_MS = 1_000_000;

export class MonotonicClock {
  private readonly laps: RecordableHistogram = createHistogram({ lowest: 1, highest: MAX_LAP_NS, figures: 2 });
  /** performance.now() at the last anchoring. */
  private readonly anchorMs = new Float64Array(1);
  // Time since the anchor, as whole milliseconds plus nanoseconds: integers, never a double.
  private wholeMs = 0;
  private remainderNs = 0;
  private lapsSinceAnchor = 0;
  /** A lap was cut short at MAX_LAP_NS: the sum no longer tracks real time. */
  private clipped = false;

  constructor() {
    this.anchor();
  }

  /** Nanoseconds since the previous `lapNs()` or `readMs()` (by any caller), at most MAX_LAP_NS. */
  lapNs(): number {
    const laps = this.laps;
    laps.recordDelta();
    // The lap's bucket bounds (equal below 256 ns); max is 0 when the lap was out of range.
    const high = laps.max;
    const low = high === 0 ? 0 : laps.min;
    laps.reset();
    laps.recordDelta();
    let lap = low + ((high - low) >> 1);
    if (high === 0 || high >= MAX_LAP_NS) {
      lap = MAX_LAP_NS;
      this.clipped = true;
    }
    this.lapsSinceAnchor++;
    let ns = this.remainderNs + lap;
    while (ns >= NS_PER_MS) {
      ns -= NS_PER_MS;
      this.wholeMs++;
    }
    this.remainderNs = ns;
    return lap;
  }

  /**
   * Writes the current time (ms, on performance.now()'s timebase) to `out[index]`; also ends a lap.
   * Computes doubles, so it allocates until V8 optimizes it: for occasional use (event timestamps).
   */
  readMs(out: Float64Array, index: number): void {
    this.lapNs();
    if (this.clipped || this.lapsSinceAnchor >= ANCHOR_LAPS) this.anchor();
    out[index] = this.anchorMs[0] + this.wholeMs + this.remainderNs / NS_PER_MS;
  }

  private anchor(): void {
    const reading = this.anchorMs[0] + this.wholeMs + this.remainderNs / NS_PER_MS;
    this.laps.reset();
    // The lap sum runs behind, if anything; never let a reading go backwards.
    this.anchorMs[0] = Math.max(reading, performance.now());
    this.laps.recordDelta();
    this.wholeMs = 0;
    this.remainderNs = 0;
    this.lapsSinceAnchor = 0;
    this.clipped = false;
  }
}

/** The clock shared by every cache in the process (a lap is the time since anyone's last read). */
export const gcClock = new MonotonicClock();
