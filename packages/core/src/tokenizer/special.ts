/**
 * Splitting text on special tokens before tokenization, after llama.cpp's `tokenizer_st_partition`.
 * User-defined tokens are always split out; control and unknown tokens only when `parseSpecial` is
 * set. Tokens are tried longest first, and a token's LSTRIP/RSTRIP attribute eats the ASCII
 * whitespace beside it.
 */
import { TokenAttr, type Vocab } from './vocab.js';

/** A piece of input: raw text to tokenize, or the id of a special token found in it. */
export type Fragment = string | number;

const isAsciiSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

export function partitionSpecial(vocab: Vocab, text: string, parseSpecial: boolean): Fragment[] {
  let fragments: Fragment[] = text.length > 0 ? [text] : [];
  const { tokens, attrs } = vocab;
  for (const id of vocab.specialTokens) {
    const attr = attrs[id];
    if (!parseSpecial && attr & (TokenAttr.Control | TokenAttr.Unknown)) continue;
    const tokenText = tokens[id];
    if (!fragments.some((f) => typeof f === 'string' && f.includes(tokenText))) continue;

    const next: Fragment[] = [];
    for (const fragment of fragments) {
      if (typeof fragment === 'number') {
        next.push(fragment);
        continue;
      }
      let rest = fragment;
      for (;;) {
        const at = rest.indexOf(tokenText);
        if (at < 0) {
          if (rest.length > 0) next.push(rest);
          break;
        }
        let leftEnd = at;
        if (attr & TokenAttr.LStrip) while (leftEnd > 0 && isAsciiSpace(rest.charCodeAt(leftEnd - 1))) leftEnd--;
        if (leftEnd > 0) next.push(rest.slice(0, leftEnd));
        next.push(id);
        let rightStart = at + tokenText.length;
        if (attr & TokenAttr.RStrip) while (rightStart < rest.length && isAsciiSpace(rest.charCodeAt(rightStart))) rightStart++;
        rest = rest.slice(rightStart);
        if (rest.length === 0) break;
      }
    }
    fragments = next;
  }
  return fragments;
}
