/**
 * SentencePiece-style tokenization (`tokenizer.ggml.model = llama`), after llama.cpp's
 * `llm_tokenizer_spm_session`: merge adjacent symbols into the vocabulary token with the highest score
 * until none applies; symbols that are not tokens fall back to `<0xXX>` byte tokens.
 */
import { TokenizerError } from './errors.js';
import { type PairScorer, SymbolMerger } from './merge.js';
import { utf8Bytes } from './unicode.js';
import type { Vocab } from './vocab.js';

/** U+2581, SentencePiece's visible space. */
export const SPM_SPACE = '\u2581';

export class SpmEncoder implements PairScorer {
  private readonly merger = new SymbolMerger();

  constructor(private readonly vocab: Vocab) {}

  /**
   * Appends the ids of one raw-text fragment to `out`. `text` must already carry the space prefix
   * (if any); spaces are escaped here.
   */
  encode(text: string, out: number[]): void {
    const escaped = text.replaceAll(' ', SPM_SPACE);
    const n = this.merger.merge(escaped, this);
    if (n === 0) return;
    const { start, len, next } = this.merger;
    const { tokenToId, byteTokens } = this.vocab;
    for (let i = 0; i !== -1; i = next[i]) {
      const piece = escaped.substr(start[i], len[i]);
      const id = tokenToId.get(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      for (const b of utf8Bytes(piece)) {
        const byteId = byteTokens[b];
        if (byteId < 0) {
          throw new TokenizerError(
            `cannot encode ${JSON.stringify(piece)}: the vocabulary has no token for byte 0x${b.toString(16).padStart(2, '0')}`,
          );
        }
        out.push(byteId);
      }
    }
  }

  /** Bigrams merge by descending token score (the heap pops the lowest priority). */
  pairPriority(text: string, start: number, leftLen: number, rightLen: number): number {
    const id = this.vocab.tokenToId.get(text.substr(start, leftLen + rightLen));
    return id === undefined ? NaN : -this.vocab.scores[id];
  }
}
