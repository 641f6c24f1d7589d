/**
 * Pre-tokenization for byte-level BPE: splitting text into words before merges, as chosen by
 * `tokenizer.ggml.pre`. This reproduces llama.cpp's `unicode_regex_split` rather than the original
 * Hugging Face regexes, because llama.cpp's ids are the reference:
 *
 * - Each pre-type has a list of regexes applied in turn; every regex splits the pieces left by the
 *   previous one, and the text between matches survives as pieces of its own.
 * - The GPT-2 and Llama 3 regexes run as hand-written scanners over code point flags (llama.cpp's
 *   `unicode_regex_split_custom_*`), ported here line for line, including their quirks.
 * - Other regexes that use `\p{…}` run on a "collapsed" text where each code point ≥ 128 becomes one
 *   byte naming its category (non-ASCII whitespace becomes \v), and `\p{X}` becomes a class of that
 *   byte plus the ASCII members of X. This is why, for example, `\p{S}` there omits `~`.
 * - Regexes without `\p{…}` run on code points (llama.cpp's `std::wregex`), with `\s` meaning ASCII
 *   whitespace and non-ASCII whitespace replaced by \v.
 */
import { Cat, CAT_MASK, WHITESPACE_BIT, cptFlags, cptToLower } from './unicode.js';
import { TokenizerError } from './errors.js';

const GPT2 = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`;
const LLAMA3_ORIGINAL = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const LLAMA3 = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const QWEN2 = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const PORO = String.raw` ?[^(\s|.,!?…。，、।۔،)]+`;
const GPT4O = String.raw`[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const DEEPSEEK3 = [
  String.raw`\p{N}{1,3}`,
  String.raw`[一-龥぀-ゟ゠-ヿ]+`,
  String.raw`[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_` + '`' + String.raw`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
];
const STARCODER = [String.raw`\p{N}`, GPT2];

const REGEXES = {
  default: [String.raw`[\p{P}\$\+<=>\^~\|]+`, GPT2, String.raw`\p{N}+`, '[0-9][0-9][0-9]'],
  gpt2: [GPT2],
  llama3: [LLAMA3],
  qwen2: [QWEN2],
  deepseekLlm: [
    '[\r\n]',
    String.raw`\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u{1F7D}ᾀ-ᾴᾶ-ᾼ\u{1FBE}ῂ-ῄῆ-ῌῐ-\u{1FD3}ῖ-\u{1FDB}ῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u{2126}ℨ\u{212A}-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+`,
    String.raw`\s?[!-/:-~！-／：-～‘-‟　-。]+`,
    String.raw`\s+$`,
    '[一-龥ࠀ-一가-퟿]+',
    String.raw`\p{N}+`,
  ],
  deepseekCoder: ['[\r\n]', String.raw`\s?\p{L}+`, String.raw`\s?\p{P}+`, '[一-龥ࠀ-一가-퟿]+', String.raw`\p{N}`],
  deepseek3: DEEPSEEK3,
  falcon: [String.raw`[\p{P}\$\+<=>\^~\|` + '`' + ']+', GPT2, '[0-9][0-9][0-9]'],
  starcoder: STARCODER,
  poro: [PORO],
  viking: [PORO, String.raw`\p{N}`],
  tekken: [
    String.raw`[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
  ],
  chameleon: [
    '<sentinel:[0-9]+>',
    '(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z',
    String.raw`([\t\n]|    |  )`,
    String.raw`\p{N}`,
    String.raw`[\p{P}!-/:-@\[-` + '`' + '{-~]',
    GPT2,
  ],
  gpt4o: [GPT4O],
  bailingmoe: [String.raw`'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+`],
  seedCoder: [String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+`],
} satisfies Record<string, string[]>;

/** How a `tokenizer.ggml.pre` value configures a BPE vocabulary (llama.cpp's `llama_vocab::impl::load`). */
export interface PreTokenizerConfig {
  /** llama.cpp's regex list, in its own spelling. */
  readonly regexes: readonly string[];
  /** Whether detokenization removes spaces before punctuation (`clean_up_tokenization_spaces`). */
  readonly cleanSpaces: boolean;
  /** Whether a word that is itself a token skips the merges. */
  readonly ignoreMerges: boolean;
  /** Default for `add_bos_token` when the metadata does not say. */
  readonly addBos: boolean;
  /** Whether the pre-type disables the default BOS id. */
  readonly noBos: boolean;
}

type ConfigOpts = Partial<Omit<PreTokenizerConfig, 'regexes'>>;
const cfg = (regexes: readonly string[], o: ConfigOpts = {}): PreTokenizerConfig => ({
  regexes,
  cleanSpaces: o.cleanSpaces ?? true,
  ignoreMerges: o.ignoreMerges ?? false,
  addBos: o.addBos ?? false,
  noBos: o.noBos ?? false,
});
const noClean = { cleanSpaces: false };

const PRE_TYPES: ReadonlyMap<string, PreTokenizerConfig> = new Map([
  ...alias(['default'], cfg(REGEXES.default)),
  ...alias(['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'falcon-h1', 'pixtral', 'midm-2.0', 'lfm2'],
    cfg(REGEXES.llama3, { ignoreMerges: true, addBos: true })),
  ...alias(['dbrx', 'smaug-bpe'], cfg(REGEXES.llama3)),
  ...alias(['deepseek-llm'], cfg(REGEXES.deepseekLlm, noClean)),
  ...alias(['deepseek-coder'], cfg(REGEXES.deepseekCoder, noClean)),
  ...alias(['deepseek-v3', 'hunyuan-dense'], cfg(REGEXES.deepseek3, noClean)),
  ...alias(['falcon'], cfg(REGEXES.falcon)),
  ...alias(['mpt', 'olmo', 'jais', 'exaone4', 'gpt-2', 'phi-2', 'jina-es', 'jina-de', 'gigachat', 'jina-v2-es', 'jina-v2-de',
    'a.x-4.0', 'mellum', 'modern-bert', 'jina-v1-en', 'jina-v2-code', 'roberta-bpe'], cfg(REGEXES.gpt2)),
  ...alias(['trillion', 'granite-docling'], cfg(REGEXES.gpt2, noClean)),
  ...alias(['starcoder', 'refact', 'codeshell', 'exaone', 'minerva-7b', 'mellum2'], cfg(REGEXES.starcoder)),
  ...alias(['command-r', 'smollm'], cfg(REGEXES.starcoder, noClean)),
  ...alias(['qwen2', 'deepseek-r1-qwen', 'kormo', 'hunyuan', 'solar-open'], cfg(REGEXES.qwen2, noClean)),
  ...alias(['stablelm2', 'megrez'], cfg(REGEXES.qwen2)),
  ...alias(['poro-chat'], cfg(REGEXES.poro, noClean)),
  ...alias(['bloom', 'gpt3-finnish'], cfg(REGEXES.poro)),
  ...alias(['viking'], cfg(REGEXES.viking, noClean)),
  ...alias(['chatglm-bpe', 'glm4'], cfg(REGEXES.llama3, { noBos: true })),
  ...alias(['tekken'], cfg(REGEXES.tekken, { cleanSpaces: false, ignoreMerges: true, addBos: true })),
  ...alias(['chameleon'], cfg(REGEXES.chameleon, { cleanSpaces: false, addBos: true })),
  ...alias(['gpt-4o', 'llama4', 'minimax-m2'], cfg(REGEXES.gpt4o, noClean)),
  ...alias(['bailingmoe', 'bailingmoe2', 'llada-moe'], cfg(REGEXES.bailingmoe, noClean)),
  ...alias(['seed-coder'], cfg(REGEXES.seedCoder, noClean)),
  ...alias(['grok-2'], cfg(REGEXES.qwen2, noClean)),
]);

function alias(names: string[], config: PreTokenizerConfig): [string, PreTokenizerConfig][] {
  return names.map((n) => [n, config]);
}

/** The configuration for a `tokenizer.ggml.pre` value (missing means llama.cpp's `default`). */
export function preTokenizerConfig(pre: string | undefined): PreTokenizerConfig {
  const config = PRE_TYPES.get(pre === undefined || pre === '' ? 'default' : pre);
  if (!config) {
    throw new TokenizerError(
      `unsupported pre-tokenizer 'tokenizer.ggml.pre' = '${pre}' (supported: ${[...PRE_TYPES.keys()].join(', ')})`,
    );
  }
  return config;
}

// ---------------------------------------------------------------------------------------------------
// Splitting

const OUT_OF_RANGE = -1;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const APOSTROPHE = 0x27;

type Step =
  | { readonly kind: 'gpt2' }
  | { readonly kind: 'llama3' }
  | { readonly kind: 'collapsed'; readonly re: RegExp }
  | { readonly kind: 'codepoints'; readonly re: RegExp };

/** Splits text into pre-tokenizer words, given llama.cpp's regex list. */
export class PreTokenizer {
  private readonly steps: readonly Step[];

  constructor(regexes: readonly string[]) {
    this.steps = regexes.map(compileStep);
  }

  /** Lengths, in code points, of the consecutive words of `cpts` (no empty words). */
  split(cpts: Uint32Array): number[] {
    let offsets = cpts.length > 0 ? [cpts.length] : [];
    let collapsed: string | undefined;
    let wide: WideText | undefined;
    for (const step of this.steps) {
      switch (step.kind) {
        case 'gpt2':
          offsets = splitGpt2(cpts, offsets);
          break;
        case 'llama3':
          offsets = splitLlama3(cpts, offsets);
          break;
        case 'collapsed':
          collapsed ??= collapseText(cpts);
          offsets = splitCollapsed(collapsed, step.re, offsets);
          break;
        case 'codepoints':
          wide ??= wideText(cpts);
          offsets = splitCodepoints(wide, step.re, offsets);
          break;
      }
    }
    return offsets;
  }
}

const CATEGORY_ESCAPES: ReadonlyMap<string, number> = new Map([
  [String.raw`\p{N}`, Cat.Number],
  [String.raw`\p{L}`, Cat.Letter],
  [String.raw`\p{P}`, Cat.Punctuation],
  [String.raw`\p{M}`, Cat.Mark],
  [String.raw`\p{S}`, Cat.Symbol],
  [String.raw`\p{Lu}`, Cat.Letter],
  [String.raw`\p{Ll}`, Cat.Letter],
  [String.raw`\p{Lt}`, Cat.Letter],
  [String.raw`\p{Lm}`, Cat.Letter],
  [String.raw`\p{Lo}`, Cat.Letter],
]);

/** The byte a collapsed code point becomes, per category (llama.cpp's `k_ucat_cpt`); others become 0xD0. */
const COLLAPSED_CHAR: Readonly<Record<number, string>> = {
  [Cat.Number]: '\u00d1',
  [Cat.Letter]: '\u00d2',
  [Cat.Punctuation]: '\u00d3',
  [Cat.Mark]: '\u00d4',
  [Cat.Symbol]: '\u00d5',
};
const COLLAPSED_OTHER = '\u00d0';

/** ASCII members of each category as class contents (llama.cpp's `k_ucat_map`; note: no `~` in symbols). */
const COLLAPSED_ASCII: Readonly<Record<number, string>> = {
  [Cat.Number]: '0-9',
  [Cat.Letter]: 'A-Za-z',
  [Cat.Punctuation]: String.raw`!-#%-*,-/:-;?-@\[-\]_\{\}`,
  [Cat.Mark]: '',
  [Cat.Symbol]: String.raw`\$\+<->^` + '`' + String.raw`\|`,
};

function compileStep(expr: string): Step {
  if (expr === GPT2) return { kind: 'gpt2' };
  if (expr === LLAMA3 || expr === LLAMA3_ORIGINAL) return { kind: 'llama3' };
  const usesCategories = [...CATEGORY_ESCAPES.keys()].some((k) => expr.includes(k));
  try {
    if (usesCategories) {
      for (const ch of expr) {
        if (ch.codePointAt(0)! >= 128) {
          throw new TokenizerError(`pre-tokenizer regex mixes \\p{…} with non-ASCII characters: ${expr}`);
        }
      }
      return { kind: 'collapsed', re: new RegExp(collapseRegex(expr), 'g') };
    }
    return { kind: 'codepoints', re: new RegExp(asciiWhitespaceRegex(expr), 'gu') };
  } catch (e) {
    if (e instanceof TokenizerError) throw e;
    throw new TokenizerError(`cannot compile pre-tokenizer regex ${expr}: ${(e as Error).message}`);
  }
}

/** Rewrites `\p{X}` for the collapsed text, as llama.cpp does (including its handling of `[`/`]`). */
function collapseRegex(expr: string): string {
  let out = '';
  let inside = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '[' && (i === 0 || expr[i - 1] !== '\\')) {
      out += '[';
      inside = true;
      continue;
    }
    if (inside && c === ']' && expr[i - 1] !== '\\') {
      out += ']';
      inside = false;
      continue;
    }
    if (c === '\\' && i + 3 < expr.length && expr[i + 1] === 'p' && expr[i + 2] === '{') {
      const close = expr.indexOf('}', i + 3);
      if (close !== -1 && close <= i + 10) {
        const cat = CATEGORY_ESCAPES.get(expr.slice(i, close + 1));
        if (cat !== undefined) {
          const body = COLLAPSED_CHAR[cat] + COLLAPSED_ASCII[cat];
          out += inside ? body : `[${body}]`;
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

/** `\s`/`\S` of C++'s std::wregex in the "C" locale match only ASCII whitespace. */
function asciiWhitespaceRegex(expr: string): string {
  let out = '';
  let inside = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '\\' && i + 1 < expr.length) {
      const n = expr[i + 1];
      i++;
      if (n === 's') out += inside ? String.raw`\t-\r ` : String.raw`[\t-\r ]`;
      else if (n === 'S' && !inside) out += String.raw`[^\t-\r ]`;
      else if (n === 'S') throw new TokenizerError(`unsupported \\S inside a class in pre-tokenizer regex ${expr}`);
      else out += c + n;
      continue;
    }
    if (c === '[') inside = true;
    else if (c === ']') inside = false;
    out += c;
  }
  return out;
}

function collapseText(cpts: Uint32Array): string {
  let s = '';
  for (let i = 0; i < cpts.length; i++) {
    const cp = cpts[i];
    if (cp < 128) {
      s += String.fromCharCode(cp);
      continue;
    }
    const f = cptFlags(cp);
    // llama.cpp maps non-ASCII whitespace to \v so that std::regex's ASCII-only \s still matches it.
    s += f & WHITESPACE_BIT ? '\v' : (COLLAPSED_CHAR[f & CAT_MASK] ?? COLLAPSED_OTHER);
  }
  return s;
}

interface WideText {
  readonly text: string;
  /** Code point index of each UTF-16 index of `text` (and of its end). */
  readonly cpIndex: Int32Array;
  /** UTF-16 index of each code point index (and of the end). */
  readonly utf16Index: Int32Array;
}

function wideText(cpts: Uint32Array): WideText {
  let text = '';
  const utf16Index = new Int32Array(cpts.length + 1);
  for (let i = 0; i < cpts.length; i++) {
    utf16Index[i] = text.length;
    const cp = cpts[i];
    text += cp > 0x7f && cptFlags(cp) & WHITESPACE_BIT ? '\v' : String.fromCodePoint(cp);
  }
  utf16Index[cpts.length] = text.length;
  const cpIndex = new Int32Array(text.length + 1);
  for (let i = 0; i < cpts.length; i++) {
    for (let u = utf16Index[i]; u < utf16Index[i + 1]; u++) cpIndex[u] = i;
  }
  cpIndex[text.length] = cpts.length;
  return { text, cpIndex, utf16Index };
}

/**
 * Runs `re` over each fragment; matches and the gaps between them become the new fragments.
 * Zero-length matches are dropped: llama.cpp records them as empty words, which tokenize to nothing.
 */
function splitByRegex(
  text: string,
  re: RegExp,
  offsets: number[],
  toUnit: (cp: number) => number,
  toCp: (unit: number) => number,
): number[] {
  const out: number[] = [];
  let start = 0;
  for (const len of offsets) {
    const end = start + len;
    const fragment = text.slice(toUnit(start), toUnit(end));
    const base = toUnit(start);
    let last = start;
    re.lastIndex = 0;
    for (let m = re.exec(fragment); m !== null; m = re.exec(fragment)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      const mStart = toCp(base + m.index);
      const mEnd = toCp(base + m.index + m[0].length);
      if (mStart > last) out.push(mStart - last);
      out.push(mEnd - mStart);
      last = mEnd;
    }
    if (last < end) out.push(end - last);
    start = end;
  }
  return out;
}

const identity = (i: number) => i;

function splitCollapsed(collapsed: string, re: RegExp, offsets: number[]): number[] {
  // One UTF-16 unit per code point, so indices coincide.
  return splitByRegex(collapsed, re, offsets, identity, identity);
}

function splitCodepoints(wide: WideText, re: RegExp, offsets: number[]): number[] {
  return splitByRegex(wide.text, re, offsets, (cp) => wide.utf16Index[cp], (u) => wide.cpIndex[u]);
}

const isLetter = (f: number) => (f & CAT_MASK) === Cat.Letter;
const isNumber = (f: number) => (f & CAT_MASK) === Cat.Number;
const isSpace = (f: number) => (f & WHITESPACE_BIT) !== 0;

/** llama.cpp's `unicode_regex_split_custom_gpt2`: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`. */
function splitGpt2(cpts: Uint32Array, offsets: number[]): number[] {
  const out: number[] = [];
  let start = 0;
  for (const len of offsets) {
    const ini = start;
    const end = start + len;
    start = end;
    const cptAt = (p: number) => (p >= ini && p < end ? cpts[p] : OUT_OF_RANGE);
    const flagsAt = (p: number) => (p >= ini && p < end ? cptFlags(cpts[p]) : Cat.None);
    let prevEnd = ini;
    const addToken = (e: number): number => {
      const n = e - prevEnd;
      if (n > 0) out.push(n);
      prevEnd = e;
      return n;
    };

    for (let pos = ini; pos < end; ) {
      const cpt = cptAt(pos);
      const flags = flagsAt(pos);

      if (cpt === APOSTROPHE && pos + 1 < end) {
        const next = cptAt(pos + 1);
        if (next === 0x73 || next === 0x74 || next === 0x6d || next === 0x64) { // s t m d
          pos += addToken(pos + 2);
          continue;
        }
        if (pos + 2 < end) {
          const next2 = cptAt(pos + 2);
          if ((next === 0x72 && next2 === 0x65) || (next === 0x76 && next2 === 0x65) || (next === 0x6c && next2 === 0x6c)) { // re ve ll
            pos += addToken(pos + 3);
            continue;
          }
        }
      }

      let flags2 = cpt === SPACE ? flagsAt(pos + 1) : flags;
      if (isLetter(flags2)) {
        pos += cpt === SPACE ? 1 : 0;
        while (isLetter(flags2)) flags2 = flagsAt(++pos);
        addToken(pos);
        continue;
      }
      if (isNumber(flags2)) {
        pos += cpt === SPACE ? 1 : 0;
        while (isNumber(flags2)) flags2 = flagsAt(++pos);
        addToken(pos);
        continue;
      }
      if (!(isSpace(flags2) || isLetter(flags2) || isNumber(flags2)) && flags2 !== Cat.None) {
        pos += cpt === SPACE ? 1 : 0;
        while (!(isSpace(flags2) || isLetter(flags2) || isNumber(flags2)) && flags2 !== Cat.None) flags2 = flagsAt(++pos);
        addToken(pos);
        continue;
      }

      let numSpaces = 0;
      while (isSpace(flagsAt(pos + numSpaces))) numSpaces++;
      if (numSpaces > 1 && cptAt(pos + numSpaces) !== OUT_OF_RANGE) {
        pos += numSpaces - 1;
        addToken(pos);
        continue;
      }
      if (numSpaces > 0) {
        pos += numSpaces;
        addToken(pos);
        continue;
      }
      addToken(++pos);
    }
  }
  return out;
}

/**
 * llama.cpp's `unicode_regex_split_custom_llama3`:
 * `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
 */
function splitLlama3(cpts: Uint32Array, offsets: number[]): number[] {
  const out: number[] = [];
  let start = 0;
  for (const len of offsets) {
    const ini = start;
    const end = start + len;
    start = end;
    const cptAt = (p: number) => (p >= ini && p < end ? cpts[p] : OUT_OF_RANGE);
    const flagsAt = (p: number) => (p >= ini && p < end ? cptFlags(cpts[p]) : Cat.None);
    let prevEnd = ini;
    const addToken = (e: number): number => {
      const n = e - prevEnd;
      if (n > 0) out.push(n);
      prevEnd = e;
      return n;
    };

    for (let pos = ini; pos < end; ) {
      const cpt = cptAt(pos);
      const flags = flagsAt(pos);

      if (cpt === APOSTROPHE && pos + 1 < end) {
        const next = cptToLower(cptAt(pos + 1));
        if (next === 0x73 || next === 0x74 || next === 0x6d || next === 0x64) {
          pos += addToken(pos + 2);
          continue;
        }
        if (pos + 2 < end) {
          const next2 = cptToLower(cptAt(pos + 2));
          if ((next === 0x72 && next2 === 0x65) || (next === 0x76 && next2 === 0x65) || (next === 0x6c && next2 === 0x6c)) {
            pos += addToken(pos + 3);
            continue;
          }
        }
      }

      // [^\r\n\p{L}\p{N}]?\p{L}+
      if (!(cpt === CR || cpt === LF || isNumber(flags))) {
        if (isLetter(flags) || isLetter(flagsAt(pos + 1))) {
          pos++;
          while (isLetter(flagsAt(pos))) pos++;
          addToken(pos);
          continue;
        }
      }

      // \p{N}{1,3}
      if (isNumber(flags)) {
        let first = pos;
        while (isNumber(flagsAt(pos))) {
          if (++pos - first >= 3) {
            addToken(pos);
            first = pos;
          }
        }
        addToken(pos);
        continue;
      }

      // <space>?[^\s\p{L}\p{N}]+[\r\n]*  — llama.cpp tests the current code point's flags for "any",
      // not those of the one after the space; kept as is.
      let flags2 = cpt === SPACE ? flagsAt(pos + 1) : flags;
      if (!(isSpace(flags2) || isLetter(flags2) || isNumber(flags2)) && flags !== Cat.None) {
        pos += cpt === SPACE ? 1 : 0;
        while (!(isSpace(flags2) || isLetter(flags2) || isNumber(flags2)) && flags2 !== Cat.None) flags2 = flagsAt(++pos);
        let c2 = cptAt(pos);
        while (c2 === CR || c2 === LF) c2 = cptAt(++pos);
        addToken(pos);
        continue;
      }

      let numSpaces = 0;
      let lastEndRN = 0;
      while (isSpace(flagsAt(pos + numSpaces))) {
        const c2 = cptAt(pos + numSpaces);
        if (c2 === CR || c2 === LF) lastEndRN = pos + numSpaces + 1;
        numSpaces++;
      }
      // \s*[\r\n]+
      if (lastEndRN > 0) {
        pos = lastEndRN;
        addToken(pos);
        continue;
      }
      // \s+(?!\S)
      if (numSpaces > 1 && cptAt(pos + numSpaces) !== OUT_OF_RANGE) {
        pos += numSpaces - 1;
        addToken(pos);
        continue;
      }
      // \s+
      if (numSpaces > 0) {
        pos += numSpaces;
        addToken(pos);
        continue;
      }
      addToken(++pos);
    }
  }
  return out;
}
