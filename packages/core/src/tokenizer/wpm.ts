/**
 * WordPiece (`tokenizer.ggml.model = bert`), after llama.cpp's `llm_tokenizer_wpm_session`: normalise
 * (first code point of NFD, lowercase, drop controls), split on whitespace and around punctuation and
 * CJK ideographs, then match each word greedily longest-first against tokens spelt with a leading `▁`.
 */
import { Cat, CAT_MASK, REPLACEMENT_CHAR, WHITESPACE_BIT, cptFlags, cptNfdFirst, cptToLower, toCodepoints } from './unicode.js';
import { SPM_SPACE } from './spm.js';
import type { Vocab } from './vocab.js';

export class WpmEncoder {
  constructor(private readonly vocab: Vocab) {}

  /** Appends the ids of one raw-text fragment to `out`. */
  encode(text: string, out: number[]): void {
    const { tokenToId, maxTokenLength } = this.vocab;
    for (const w of preprocess(text)) {
      const word = SPM_SPACE + w;
      const first = out.length;
      for (let i = 0; i < word.length; ) {
        let matched = false;
        for (let j = Math.min(word.length, i + maxTokenLength + 1); j > i; j--) {
          const id = tokenToId.get(word.slice(i, j));
          if (id !== undefined) {
            out.push(id);
            matched = true;
            i = j;
            break;
          }
        }
        if (!matched) {
          // One unmatched position discards the whole word.
          out.length = first;
          break;
        }
      }
      if (out.length === first) out.push(this.vocab.ids.unk);
    }
  }
}

function preprocess(text: string): string[] {
  const words: string[] = [];
  let current = '';
  for (const raw of toCodepoints(text)) {
    const cp = cptNfdFirst(raw);
    const flags = cptFlags(cp);
    if (flags & WHITESPACE_BIT) {
      if (current) words.push(current);
      current = '';
      continue;
    }
    const cat = flags & CAT_MASK;
    if (cp === 0 || cp === REPLACEMENT_CHAR || cat === Cat.Control) continue;
    const s = String.fromCodePoint(cptToLower(cp));
    if (cat === Cat.Punctuation || (cp < 0x7f && cat === Cat.Symbol) || isChineseChar(cp)) {
      if (current) words.push(current);
      words.push(s);
      current = '';
    } else {
      current += s;
    }
  }
  if (current) words.push(current);
  return words;
}

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) || // sic: Hugging Face's range, followed by llama.cpp
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
