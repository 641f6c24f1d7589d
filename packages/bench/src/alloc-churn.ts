/**
 * The allocation-heavy decode mode: per emitted token, create the small JavaScript objects a
 * naive engine would (per-token records, block-table entries as objects, strings) and keep a
 * rolling window of them alive. Objects that survive a scavenge are promoted, so the old
 * generation fills and V8 runs real scavenges and mark-compacts while tokens stream: the pauses
 * come from V8's own garbage collector, not from a sleep.
 */

/** Options for {@link AllocationChurn}. */
export interface AllocationChurnOptions {
  /** Objects allocated per token. Default 25 000. */
  objectsPerToken?: number;
  /** Objects kept alive (a ring; older ones become garbage). Default 2 000 000 (~150 MB of heap). */
  retained?: number;
}

interface Garbage {
  id: number;
  slot: number;
  tag: string;
  prev: Garbage | null;
}

/** Allocates garbage on every token it is told about. */
export class AllocationChurn {
  readonly objectsPerToken: number;
  private ring: (Garbage | null)[];
  private at = 0;
  private made = 0;

  constructor(opts: AllocationChurnOptions = {}) {
    this.objectsPerToken = opts.objectsPerToken ?? 25_000;
    const retained = opts.retained ?? 2_000_000;
    if (!(this.objectsPerToken >= 1) || !(retained >= 1)) throw new RangeError('objectsPerToken and retained must be ≥ 1');
    this.ring = new Array<Garbage | null>(retained).fill(null);
  }

  /** Objects allocated so far. */
  get allocated(): number {
    return this.made;
  }

  /** Allocates this token's objects (the point of the mode: this allocates on purpose). */
  onToken(): void {
    const ring = this.ring;
    let prev: Garbage | null = null;
    for (let i = 0; i < this.objectsPerToken; i++) {
      const id = this.made++;
      const g: Garbage = { id, slot: id & 15, tag: `blk-${id & 4095}`, prev };
      prev = i % 8 === 7 ? null : g; // short chains: survivors drag a few neighbours along
      ring[this.at] = g;
      this.at = this.at + 1 === ring.length ? 0 : this.at + 1;
    }
  }

  /** Drops every retained object (after the run, so later runs start clean). */
  release(): void {
    this.ring.fill(null);
    this.at = 0;
  }
}
