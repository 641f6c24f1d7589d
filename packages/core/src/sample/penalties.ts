/**
 * Repetition, frequency and presence penalties over the last N accepted tokens, with
 * llama.cpp's semantics (`llama_sampler_penalties`): a ring buffer of the window plus a
 * per-token count table kept up to date on accept, so applying costs O(N), not O(vocab).
 */
/** Penalty strengths, passed as an object so no double crosses a call boundary (V8 would box it). */
export interface PenaltyParams {
  readonly repeatPenalty: number;
  readonly frequencyPenalty: number;
  readonly presencePenalty: number;
}

export class PenaltyWindow {
  private readonly ring: Int32Array;
  private readonly counts: Int32Array;
  /** stamp[id] === epoch marks a token already penalised in the current apply() pass. */
  private readonly stamp: Uint32Array;
  private epoch = 0;
  private head = 0;
  private filled = 0;

  constructor(
    readonly vocabSize: number,
    readonly lastN: number,
  ) {
    this.ring = new Int32Array(lastN);
    this.counts = new Int32Array(lastN > 0 ? vocabSize : 0);
    this.stamp = new Uint32Array(lastN > 0 ? vocabSize : 0);
  }

  /** Records a token; the oldest one leaves the window once it holds `lastN`. */
  accept(id: number): void {
    if (this.lastN === 0) return;
    if (this.filled === this.lastN) this.counts[this.ring[this.head]]--;
    else this.filled++;
    this.ring[this.head] = id;
    this.counts[id]++;
    this.head = this.head + 1 === this.lastN ? 0 : this.head + 1;
  }

  /** How many times `id` occurs in the window. */
  count(id: number): number {
    return this.lastN === 0 ? 0 : this.counts[id];
  }

  reset(): void {
    this.head = 0;
    this.filled = 0;
    this.counts.fill(0);
  }

  /**
   * Penalises, in place, the logits (indexed by token id) of every token in the window:
   * the repeat penalty divides a positive logit and multiplies a non-positive one, then
   * `count * frequencyPenalty + presencePenalty` is subtracted.
   */
  apply(logits: Float32Array, params: PenaltyParams): void {
    const repeat = params.repeatPenalty;
    const frequency = params.frequencyPenalty;
    const presence = params.presencePenalty;
    if (this.filled === 0 || (repeat === 1 && frequency === 0 && presence === 0)) return;
    if (++this.epoch === 0x1_0000_0000) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
    const epoch = this.epoch;
    for (let i = 0; i < this.filled; i++) {
      const id = this.ring[i];
      if (this.stamp[id] === epoch) continue;
      this.stamp[id] = epoch;
      const count = this.counts[id];
      let l = logits[id];
      l = l <= 0 ? l * repeat : l / repeat;
      logits[id] = l - (count * frequency + presence);
    }
  }
}
