/**
 * Code point classification and UTF-8 helpers, mirroring llama.cpp's unicode.cpp.
 *
 * llama.cpp classifies every code point into one general-category group plus a separate White_Space
 * bit; its pre-tokenizers test those flags rather than a regex engine's notion of `\s`. We derive the
 * same groups from JS's Unicode property escapes and cache them per code point.
 */

/** Category group (low 4 bits of a flags value), as in llama.cpp's `unicode_cpt_flags`. */
export const Cat = {
  /** Outside any fragment: llama.cpp's zero-initialised flags. */
  None: 0,
  Undefined: 1,
  Number: 2,
  Letter: 3,
  Separator: 4,
  Mark: 5,
  Punctuation: 6,
  Symbol: 7,
  Control: 8,
} as const;
export type Cat = (typeof Cat)[keyof typeof Cat];

export const CAT_MASK = 0x0f;
export const WHITESPACE_BIT = 0x10;
const COMPUTED_BIT = 0x80;

const MAX_CODEPOINT = 0x10ffff;
/** U+FFFD, what llama.cpp substitutes for undecodable input. */
export const REPLACEMENT_CHAR = 0xfffd;

// Filled lazily: classifying all 1.1M code points up front would cost ~0.5 s for nothing.
const flagTable = new Uint8Array(MAX_CODEPOINT + 1);
const categoryRe = /(\p{N})|(\p{L})|(\p{Z})|(\p{M})|(\p{P})|(\p{S})|(\p{Cn})/u;

/** The Unicode White_Space property, which llama.cpp uses for `\s` (unlike JS, it includes U+0085 and excludes U+FEFF). */
function isWhitespaceCodepoint(cp: number): boolean {
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    cp === 0x20 ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

function classify(cp: number): number {
  const m = categoryRe.exec(String.fromCodePoint(cp));
  let cat: number = Cat.Control; // Cc, Cf, Co, Cs
  if (m) {
    if (m[1] !== undefined) cat = Cat.Number;
    else if (m[2] !== undefined) cat = Cat.Letter;
    else if (m[3] !== undefined) cat = Cat.Separator;
    else if (m[4] !== undefined) cat = Cat.Mark;
    else if (m[5] !== undefined) cat = Cat.Punctuation;
    else if (m[6] !== undefined) cat = Cat.Symbol;
    else cat = Cat.Undefined;
  }
  return cat | (isWhitespaceCodepoint(cp) ? WHITESPACE_BIT : 0) | COMPUTED_BIT;
}

/** Flags of a code point: a `Cat` in the low bits, plus `WHITESPACE_BIT`. Never 0 for a valid code point. */
export function cptFlags(cp: number): number {
  if (cp > MAX_CODEPOINT || cp < 0) return Cat.Undefined;
  let f = flagTable[cp];
  if (f === 0) {
    f = classify(cp);
    flagTable[cp] = f;
  }
  return f & ~COMPUTED_BIT;
}

/** Simple (single code point) lowercase mapping, like llama.cpp's `unicode_tolower`. */
export function cptToLower(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  return String.fromCodePoint(cp).toLowerCase().codePointAt(0)!;
}

/** First code point of the NFD decomposition, like llama.cpp's `unicode_cpts_normalize_nfd`. */
export function cptNfdFirst(cp: number): number {
  if (cp < 0xc0) return cp;
  return String.fromCodePoint(cp).normalize('NFD').codePointAt(0)!;
}

/**
 * Code points of a JS string. Lone surrogates become U+FFFD, which is what llama.cpp sees after the
 * string's UTF-8 encoding replaced them.
 */
export function toCodepoints(text: string): Uint32Array {
  const out = new Uint32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out[n++] = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    out[n++] = c >= 0xd800 && c <= 0xdfff ? REPLACEMENT_CHAR : c;
  }
  return out.subarray(0, n);
}

/** Replaces lone surrogates by U+FFFD so that a string has a faithful UTF-8 form. */
export function toWellFormed(text: string): string {
  // Fast path: most strings have no surrogates at all.
  if (!/[\ud800-\udfff]/.test(text)) return text;
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Writes the UTF-8 bytes of `cp` at `out[pos]`, returns the position after them. */
export function writeUtf8(cp: number, out: Uint8Array | number[], pos: number): number {
  if (cp < 0x80) {
    out[pos++] = cp;
  } else if (cp < 0x800) {
    out[pos++] = 0xc0 | (cp >> 6);
    out[pos++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    out[pos++] = 0xe0 | (cp >> 12);
    out[pos++] = 0x80 | ((cp >> 6) & 0x3f);
    out[pos++] = 0x80 | (cp & 0x3f);
  } else {
    out[pos++] = 0xf0 | (cp >> 18);
    out[pos++] = 0x80 | ((cp >> 12) & 0x3f);
    out[pos++] = 0x80 | ((cp >> 6) & 0x3f);
    out[pos++] = 0x80 | (cp & 0x3f);
  }
  return pos;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a (well-formed) string. */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}
