/**
 * The GC's monotonic clock in a browser (the twin of clock.node.ts, same API): `performance.now()`
 * laps. Browsers coarsen it (5 µs to 100 µs, depending on cross-origin isolation), so pauses
 * shorter than that read as 0 or one tick; and unlike Node's histogram clock a read may allocate.
 */

/** Longest lap reported (~1.07 s), as on Node. */
export const MAX_LAP_NS = 2 ** 30 - 1;

export class MonotonicClock {
  private last = performance.now();

  /** Nanoseconds since the previous `lapNs()` or `readMs()` (by any caller), at most MAX_LAP_NS. */
  lapNs(): number {
    const now = performance.now();
    const ns = Math.round((now - this.last) * 1e6);
    this.last = now;
    return ns > MAX_LAP_NS ? MAX_LAP_NS : ns < 0 ? 0 : ns;
  }

  /** Writes the current time (ms, on performance.now()'s timebase) to `out[index]`; also ends a lap. */
  readMs(out: Float64Array, index: number): void {
    this.lapNs();
    out[index] = this.last;
  }
}

/** The clock shared by every cache (a lap is the time since anyone's last read). */
export const gcClock = new MonotonicClock();
