/**
 * Byte-level BPE (`tokenizer.ggml.model = gpt2`), after llama.cpp's `llm_tokenizer_bpe_session`:
 * pre-tokenize into words, spell each word's UTF-8 bytes with GPT-2's byte characters, then apply
 * merges by rank (lowest first) with a priority queue.
 */
import { BYTE_TO_CHAR } from './byte-unicode.js';
import { type PairScorer, SymbolMerger } from './merge.js';
import { PreTokenizer } from './pretokenize.js';
import { toCodepoints, writeUtf8 } from './unicode.js';
import type { Vocab } from './vocab.js';

export class BpeEncoder implements PairScorer {
  private readonly merger = new SymbolMerger();
  private readonly pre: PreTokenizer;
  private readonly utf8 = new Uint8Array(4);

  constructor(private readonly vocab: Vocab) {
    this.pre = new PreTokenizer(vocab.pre!.regexes);
  }

  /** Appends the ids of one raw-text fragment to `out`. */
  encode(text: string, out: number[]): void {
    const cpts = toCodepoints(text);
    let pos = 0;
    for (const len of this.pre.split(cpts)) {
      this.encodeWord(this.byteEncode(cpts, pos, pos + len), out);
      pos += len;
    }
  }

  pairPriority(text: string, start: number, leftLen: number, rightLen: number): number {
    const rank = this.vocab.mergeRanks.get(
      `${text.substr(start, leftLen)} ${text.substr(start + leftLen, rightLen)}`,
    );
    return rank === undefined ? NaN : rank;
  }

  private encodeWord(word: string, out: number[]): void {
    const { tokenToId } = this.vocab;
    if (this.vocab.ignoreMerges) {
      const id = tokenToId.get(word);
      if (id !== undefined) {
        out.push(id);
        return;
      }
    }
    const n = this.merger.merge(word, this);
    if (n === 0) return;
    const { start, len, next } = this.merger;
    for (let i = 0; i !== -1; i = next[i]) {
      const piece = word.substr(start[i], len[i]);
      const id = tokenToId.get(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      // llama.cpp looks each UTF-8 byte of the piece up as a one-byte token; only ASCII can match.
      for (let k = 0; k < piece.length; k++) {
        if (piece.charCodeAt(k) >= 0x80) continue;
        const byteId = tokenToId.get(piece[k]);
        if (byteId !== undefined) out.push(byteId);
      }
    }
  }

  /** The word's UTF-8 bytes, each spelt as its GPT-2 byte character. */
  private byteEncode(cpts: Uint32Array, from: number, to: number): string {
    let s = '';
    const buf = this.utf8;
    for (let i = from; i < to; i++) {
      const n = writeUtf8(cpts[i], buf, 0);
      for (let k = 0; k < n; k++) s += BYTE_TO_CHAR[buf[k]];
    }
    return s;
  }
}
