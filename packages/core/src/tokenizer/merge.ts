/**
 * The symbol-merging loop shared by the SPM and BPE tokenizers (llama.cpp's `llm_tokenizer_spm_session`
 * and `llm_tokenizer_bpe_session`): split a word into code points, then repeatedly merge the adjacent
 * pair with the best priority until no pair qualifies. Scratch arrays are reused across calls.
 */
import { BigramHeap } from './heap.js';

/** Scores a candidate merge of two adjacent symbols of `text`. */
export interface PairScorer {
  /**
   * Priority of merging `text[start, start + leftLen)` with the `rightLen` units after it; lower is
   * merged first. NaN when the pair must not merge.
   */
  pairPriority(text: string, start: number, leftLen: number, rightLen: number): number;
}

export class SymbolMerger {
  /** UTF-16 start of each symbol in the text. */
  start = new Int32Array(64);
  /** UTF-16 length of each symbol; 0 once merged into its left neighbour. */
  len = new Int32Array(64);
  /** Next live symbol, -1 at the end; walk from 0 (when the text is not empty). */
  next = new Int32Array(64);
  private prev = new Int32Array(64);
  private readonly heap = new BigramHeap();

  /** Merges `text`'s symbols; afterwards walk `next` from symbol 0 to read the result. Returns the symbol count. */
  merge(text: string, scorer: PairScorer): number {
    const n = this.initSymbols(text);
    const { len, next, prev, heap } = this;
    heap.clear();
    for (let i = 1; i < n; i++) this.tryAdd(text, scorer, i - 1, i);
    const p = heap.popped;
    while (heap.pop()) {
      const left = p.left;
      const right = p.right;
      // Stale entry: one side has changed since the pair was queued.
      if (len[left] !== p.leftLen || len[right] !== p.rightLen || p.leftLen === 0 || p.rightLen === 0) continue;
      len[left] += len[right];
      len[right] = 0;
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      this.tryAdd(text, scorer, prev[left], left);
      this.tryAdd(text, scorer, left, next[left]);
    }
    return n;
  }

  private tryAdd(text: string, scorer: PairScorer, left: number, right: number): void {
    if (left < 0 || right < 0) return;
    const ll = this.len[left];
    const rl = this.len[right];
    const priority = scorer.pairPriority(text, this.start[left], ll, rl);
    if (priority === priority) this.heap.push(priority, left, right, ll, rl);
  }

  private initSymbols(text: string): number {
    if (this.start.length < text.length) this.grow(text.length);
    const { start, len, next, prev } = this;
    let n = 0;
    for (let i = 0; i < text.length; n++) {
      const c = text.charCodeAt(i);
      const units = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
      start[n] = i;
      len[n] = units;
      prev[n] = n - 1;
      next[n] = n + 1;
      i += units;
    }
    if (n > 0) next[n - 1] = -1;
    return n;
  }

  private grow(min: number): void {
    let cap = this.start.length;
    while (cap < min) cap *= 2;
    this.start = new Int32Array(cap);
    this.len = new Int32Array(cap);
    this.next = new Int32Array(cap);
    this.prev = new Int32Array(cap);
  }
}
