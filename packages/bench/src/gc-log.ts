/**
 * Keeps every KV-cache GC cycle of a run with all its fields (the metrics collector keeps only
 * start, duration and blocks freed): how much each pause scrubbed and verified is the evidence
 * that a pause came from real cleanup work. Columns in typed arrays, grown by doubling.
 */
import type { GcEvent, GcPolicy, GcReason } from '@legato/kvcache';

/** One recorded cycle: the kvcache's event (less the free-list flag) and when in the run it ran. */
export interface GcRecord extends Omit<GcEvent, 'freeListCompacted'> {
  /** Engine steps completed before the cycle ran (the cycle runs at the end of step `step + 1`). */
  step: number;
}

const REASONS: readonly GcReason[] = ['free', 'interval', 'watermark', 'slice', 'manual'];

/** A growable column log of GC cycles. */
export class GcLog {
  private n = 0;
  private policy: GcPolicy = 'eager';
  private start = new Float64Array(256);
  private duration = new Float64Array(256);
  private evicted = new Float64Array(256);
  private scrubbed = new Float64Array(256);
  private bytes = new Float64Array(256);
  private verified = new Float64Array(256);
  private steps = new Float64Array(256);
  private reasons = new Uint8Array(256);

  get length(): number {
    return this.n;
  }

  /** Records a cycle that ran after `step` completed engine steps. */
  record(e: Readonly<GcEvent>, step: number): void {
    if (this.n === this.start.length) this.grow();
    const i = this.n++;
    this.policy = e.policy;
    this.start[i] = e.startTime;
    this.duration[i] = e.durationMs;
    this.evicted[i] = e.blocksEvicted;
    this.scrubbed[i] = e.blocksScrubbed;
    this.bytes[i] = e.bytesScrubbed;
    this.verified[i] = e.blocksVerified;
    this.steps[i] = step;
    this.reasons[i] = REASONS.indexOf(e.reason);
  }

  /** Pause durations (ms), in order. */
  durations(): Float64Array {
    return this.duration.slice(0, this.n);
  }

  /** Every cycle as a plain object. */
  records(): GcRecord[] {
    const out: GcRecord[] = [];
    for (let i = 0; i < this.n; i++) {
      out.push({
        policy: this.policy,
        reason: REASONS[this.reasons[i]],
        startTime: this.start[i],
        durationMs: this.duration[i],
        blocksEvicted: this.evicted[i],
        blocksScrubbed: this.scrubbed[i],
        bytesScrubbed: this.bytes[i],
        blocksVerified: this.verified[i],
        step: this.steps[i],
      });
    }
    return out;
  }

  private grow(): void {
    const cap = this.start.length * 2;
    const g = <T extends Float64Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.start = g(this.start);
    this.duration = g(this.duration);
    this.evicted = g(this.evicted);
    this.scrubbed = g(this.scrubbed);
    this.bytes = g(this.bytes);
    this.verified = g(this.verified);
    this.steps = g(this.steps);
    this.reasons = g(this.reasons);
  }
}
