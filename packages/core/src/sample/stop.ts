/**
 * Stop strings over streamed text. Text that might be the beginning of a stop string is held
 * back until the next piece decides it, so a stop string split across tokens is never emitted.
 */
import { SamplingOptionsError } from './options.js';

export class StopStringMatcher {
  private readonly stops: readonly string[];
  private readonly maxLength: number;
  private pending = '';
  private done = false;

  /** @throws SamplingOptionsError for an empty stop string (it would stop before any output). */
  constructor(stops: readonly string[]) {
    for (const s of stops) {
      if (typeof s !== 'string' || s.length === 0) {
        throw new SamplingOptionsError('stop strings must be non-empty strings');
      }
    }
    this.stops = [...stops];
    this.maxLength = this.stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  /** Whether a stop string has completed. */
  get stopped(): boolean {
    return this.done;
  }

  /**
   * Feeds the next piece. `emit` is the text now safe to show; once `stopped` is true it ends
   * exactly before the stop string, and later pushes emit nothing.
   */
  push(text: string): { emit: string; stopped: boolean } {
    if (this.done) return { emit: '', stopped: true };
    const buf = this.pending + text;
    let cut = -1;
    for (const s of this.stops) {
      const at = buf.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.done = true;
      this.pending = '';
      return { emit: buf.slice(0, cut), stopped: true };
    }
    const hold = this.partialSuffixStart(buf);
    this.pending = buf.slice(hold);
    return { emit: buf.slice(0, hold), stopped: false };
  }

  /** Releases the held-back text at the end of generation ('' after a stop). */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }

  /** Start of the longest suffix of `buf` that is a proper prefix of some stop string (buf.length if none). */
  private partialSuffixStart(buf: string): number {
    for (let start = Math.max(0, buf.length - this.maxLength + 1); start < buf.length; start++) {
      const tail = buf.slice(start);
      for (const s of this.stops) if (s.startsWith(tail)) return start;
    }
    return buf.length;
  }
}
