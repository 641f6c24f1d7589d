/**
 * Token ids back to text, after llama.cpp's `token_to_piece` and `detokenize`: each token renders to
 * raw bytes (SPM `▁` → space, `<0xXX>` → that byte, byte-level BPE characters → their bytes), and
 * the bytes become a string only once complete UTF-8 sequences are available.
 */
import { CHAR_TO_BYTE } from './byte-unicode.js';
import { TokenizerError } from './errors.js';
import { SPM_SPACE } from './spm.js';
import { toCodepoints, utf8Bytes } from './unicode.js';
import { TokenAttr, type Vocab } from './vocab.js';

const EMPTY = new Uint8Array(0);
const SPACE = 0x20;

/** Renders token pieces (cached) and whole id sequences. */
export class Detokenizer {
  private readonly cache: (Uint8Array | undefined)[];
  private buf = new Uint8Array(256);
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(private readonly vocab: Vocab) {
    this.cache = new Array(vocab.size);
  }

  /**
   * Raw bytes of token `id`. Control and unknown tokens render as their text when `renderSpecial`,
   * else as nothing. The returned array is shared: do not modify it.
   */
  piece(id: number, renderSpecial: boolean): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocab.size) {
      throw new TokenizerError(`token id ${id} is out of range [0, ${this.vocab.size})`);
    }
    if (!renderSpecial && this.vocab.attrs[id] & (TokenAttr.Control | TokenAttr.Unknown)) return EMPTY;
    let p = this.cache[id];
    if (p === undefined) {
      p = this.render(id);
      this.cache[id] = p;
    }
    return p;
  }

  /**
   * Text of an id sequence. The BOS/EOS (and WordPiece SEP) that encoding adds by the vocabulary's
   * rules are dropped, and for SPM vocabularies the space prefixed at encoding is removed from the
   * first token, so `decode(encode(s)) === s` wherever the vocabulary can represent `s`. Other
   * control tokens render as their text unless `skipSpecial`. Vocabularies with
   * `clean_up_tokenization_spaces` also get llama.cpp's clean-up (" ." → "." and similar).
   */
  decode(ids: ArrayLike<number>, skipSpecial: boolean): string {
    const { vocab } = this;
    let first = 0;
    let end = ids.length;
    if (vocab.addBos && end > 0 && ids[0] === vocab.ids.bos) first = 1;
    if (vocab.addEos && end > first && ids[end - 1] === vocab.ids.eos) end--;
    if (vocab.kind === 'wpm' && vocab.addSep && end > first && ids[end - 1] === vocab.ids.sep) end--;
    // Deliberate difference from llama.cpp, which keeps the space when it drops a BOS: we strip it so
    // that decoding inverts encoding. WordPiece's word-initial `▁` is stripped likewise.
    let removeSpace = vocab.addSpacePrefix || vocab.kind === 'wpm';
    let n = 0;
    for (let i = first; i < end; i++) {
      let p = this.piece(ids[i], !skipSpecial);
      if (removeSpace && p.length > 0 && p[0] === SPACE) p = p.subarray(1);
      removeSpace = false;
      if (n + p.length > this.buf.length) this.grow(n + p.length);
      this.buf.set(p, n);
      n += p.length;
    }
    if (vocab.cleanSpaces) n = cleanSpaces(this.buf, n);
    return this.decoder.decode(this.buf.subarray(0, n));
  }

  private render(id: number): Uint8Array {
    const { vocab } = this;
    const text = vocab.tokens[id];
    const attr = vocab.attrs[id];
    if (attr & (TokenAttr.Control | TokenAttr.Unknown | TokenAttr.UserDefined)) return utf8Bytes(text);
    if (attr & TokenAttr.Normal) {
      if (vocab.kind === 'bpe') return byteLevelDecode(text);
      return utf8Bytes(text.replaceAll(SPM_SPACE, ' '));
    }
    if (attr & TokenAttr.Byte) return Uint8Array.of(parseInt(text.slice(3, 5), 16) & 0xff);
    // Unused and undefined tokens render as nothing, as in llama.cpp.
    return EMPTY;
  }

  private grow(min: number): void {
    let cap = this.buf.length * 2;
    while (cap < min) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf);
    this.buf = b;
  }
}

/** GPT-2 byte characters → bytes; a character that stands for no byte is spelt out as llama.cpp does. */
function byteLevelDecode(text: string): Uint8Array {
  const out: number[] = [];
  for (const cp of toCodepoints(text)) {
    const b = cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp] : -1;
    if (b >= 0) {
      out.push(b);
      continue;
    }
    const hex = [...utf8Bytes(String.fromCodePoint(cp))].map((x) => x.toString(16).padStart(2, '0')).join('');
    out.push(...utf8Bytes(`[UNK_BYTE_0x${hex}${text}]`));
  }
  return Uint8Array.from(out);
}

const Q = 0x3f; // ?
const EXCL = 0x21;
const DOT = 0x2e;
const COMMA = 0x2c;
const APOS = 0x27;

/** llama.cpp's `clean_spaces` passes over the first `n` bytes of `t`, in place; returns the new length. */
export function cleanSpaces(t: Uint8Array, n: number): number {
  // " ?", " !", " .", " ," lose the space.
  let total = n > 0 ? 1 : 0;
  for (let i = 1; i < n; i++) {
    const x = t[i];
    if (t[i - 1] === SPACE && (x === Q || x === EXCL || x === DOT || x === COMMA)) total--;
    t[total++] = x;
  }
  // " ' " loses both spaces.
  const n2 = total;
  total = n2 > 0 ? 1 : 0;
  for (let i = 1; i < n2; i++) {
    const x = t[i];
    if (x === APOS && i + 1 < n2 && t[i - 1] === SPACE && t[i + 1] === SPACE) {
      total--;
      t[++i] = 0;
    }
    t[total++] = x;
  }
  // " 's", " 'm", " 're", " 've" lose the space.
  const n3 = total;
  total = n3 > 0 ? 1 : 0;
  for (let i = 1; i < n3; i++) {
    const x = t[i];
    if (t[i - 1] === SPACE && x === APOS && i + 1 < n3) {
      const x1 = t[i + 1];
      if (x1 === 0x73 || x1 === 0x6d) total--; // s m
      else if (x1 !== 0x74 && x1 !== 0x64 && i + 2 < n3) { // not t d
        const x2 = t[i + 2];
        if ((x1 === 0x72 || x1 === 0x76) && x2 === 0x65) total--; // re ve
      }
    }
    t[total++] = x;
  }
  return total;
}

/** Options of a `StreamingDetokenizer`. */
export interface StreamingDetokenizerOptions {
  /** Render control and unknown tokens (e.g. `</s>`) as nothing. Default true. */
  skipSpecial?: boolean;
  /** Drop one leading space from the first token, as `decode` does for SPM vocabularies. Default false. */
  stripLeadingSpace?: boolean;
}

/**
 * Incremental detokenizer for generation: feed ids one at a time and receive only complete
 * characters. A character whose UTF-8 bytes span several tokens (byte-fallback emoji, CJK) is held
 * back until its last byte arrives, so no broken character is ever emitted.
 */
export class StreamingDetokenizer {
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly skipSpecial: boolean;
  private readonly stripLeadingSpace: boolean;
  private first = true;

  constructor(
    private readonly pieces: Detokenizer,
    options: StreamingDetokenizerOptions = {},
  ) {
    this.skipSpecial = options.skipSpecial ?? true;
    this.stripLeadingSpace = options.stripLeadingSpace ?? false;
  }

  /** Adds one token; returns the text completed by it (possibly empty). */
  push(id: number): string {
    let p = this.pieces.piece(id, !this.skipSpecial);
    if (this.first) {
      this.first = false;
      if (this.stripLeadingSpace && p.length > 0 && p[0] === SPACE) p = p.subarray(1);
    }
    return this.decoder.decode(p, { stream: true });
  }

  /** Ends the stream: returns what is held back, with U+FFFD for an incomplete character, and resets. */
  flush(): string {
    this.first = true;
    return this.decoder.decode();
  }
}
