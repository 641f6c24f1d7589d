/**
 * The vocabulary as llama.cpp builds it from GGUF metadata (`llama_vocab::impl::load`): token texts,
 * scores and attributes, BPE merge ranks, special ids, the add-BOS/EOS rules, and the token-text
 * heuristics llama.cpp applies on load (EOT/EOG detection, attribute fix-ups) since they change how
 * special tokens are split and rendered.
 */
import { TokenizerError } from './errors.js';
import {
  type GGUFMetadata,
  optBool,
  optInt,
  optNumberArray,
  optString,
  reqString,
  reqStringArray,
} from './metadata.js';
import { type PreTokenizerConfig, preTokenizerConfig } from './pretokenize.js';

/** Token attribute bits (llama.cpp's `llama_token_attr`). */
export const TokenAttr = {
  Undefined: 0,
  Unknown: 1 << 0,
  Unused: 1 << 1,
  Normal: 1 << 2,
  Control: 1 << 3,
  UserDefined: 1 << 4,
  Byte: 1 << 5,
  Normalized: 1 << 6,
  LStrip: 1 << 7,
  RStrip: 1 << 8,
  SingleWord: 1 << 9,
} as const;

/** GGUF `tokenizer.ggml.token_type` values → attributes. */
const TYPE_TO_ATTR = [
  TokenAttr.Undefined, // 0 undefined
  TokenAttr.Normal, // 1
  TokenAttr.Unknown, // 2
  TokenAttr.Control, // 3
  TokenAttr.UserDefined, // 4
  TokenAttr.Unused, // 5
  TokenAttr.Byte, // 6
];

/** spm = SentencePiece-style (`llama`), bpe = byte-level BPE (`gpt2`), wpm = WordPiece (`bert`). */
export type VocabKind = 'spm' | 'bpe' | 'wpm';

/** Token id that is absent. */
export const NO_TOKEN = -1;

const KEY = {
  model: 'tokenizer.ggml.model',
  pre: 'tokenizer.ggml.pre',
  tokens: 'tokenizer.ggml.tokens',
  scores: 'tokenizer.ggml.scores',
  types: 'tokenizer.ggml.token_type',
  merges: 'tokenizer.ggml.merges',
  addBos: 'tokenizer.ggml.add_bos_token',
  addEos: 'tokenizer.ggml.add_eos_token',
  addSep: 'tokenizer.ggml.add_sep_token',
  addSpacePrefix: 'tokenizer.ggml.add_space_prefix',
  name: 'general.name',
} as const;

const ID_KEYS = {
  bos: 'tokenizer.ggml.bos_token_id',
  eos: 'tokenizer.ggml.eos_token_id',
  eot: 'tokenizer.ggml.eot_token_id',
  eom: 'tokenizer.ggml.eom_token_id',
  unk: 'tokenizer.ggml.unknown_token_id',
  sep: 'tokenizer.ggml.seperator_token_id', // sic: the GGUF key is misspelt
  pad: 'tokenizer.ggml.padding_token_id',
  mask: 'tokenizer.ggml.mask_token_id',
  fimPre: 'tokenizer.ggml.fim_pre_token_id',
  fimSuf: 'tokenizer.ggml.fim_suf_token_id',
  fimMid: 'tokenizer.ggml.fim_mid_token_id',
  fimPad: 'tokenizer.ggml.fim_pad_token_id',
  fimRep: 'tokenizer.ggml.fim_rep_token_id',
  fimSep: 'tokenizer.ggml.fim_sep_token_id',
} as const;

export type SpecialIds = { -readonly [K in keyof typeof ID_KEYS]: number };

// Token texts llama.cpp recognises when the metadata does not name the ids (llama-vocab.cpp as
// bundled with node-llama-cpp 3.21.1, llama.cpp 80fb11a).
const AUTO_IDS: Partial<Record<keyof SpecialIds, readonly string[]>> = {
  eot: ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>', '<EOT>', '_<EOT>',
    '<｜end▁of▁sentence｜>', '[EOT]', '<end_of_utterance>'],
  eom: ['<|eom_id|>'],
  fimPre: ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>', '<|code_prefix|>', '<|prefix|>'],
  fimSuf: ['<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>', '<|code_suffix|>', '<|suffix|>'],
  fimMid: ['<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>', '<|code_middle|>', '<|middle|>'],
  fimPad: ['<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '[PAD]'],
  fimRep: ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>'],
  fimSep: ['<|file_sep|>'],
};

// Texts that end generation wherever they occur in a vocabulary (llama.cpp's `special_eog_ids` list;
// `</s>` is there for PaddleOCR and so also ends generation in vocabularies that have it as a normal
// token, Qwen2's included — as llama.cpp does).
const EOG_TEXTS: readonly string[] = [
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<|flush|>', '<|calls|>', '<end_of_turn>',
  '<|endoftext|>', '</s>', '<|eom_id|>', '<EOT>', '_<EOT>', '[EOT]', '[EOS]', '<|end_of_text|>', '<end_of_utterance>',
  '<eos>', '<turn|>', '<|tool_response>', '<｜end▁of▁sentence｜>', '[e~[',
];

/** A tokenizer vocabulary built from GGUF metadata. Immutable once built. */
export class Vocab {
  readonly kind!: VocabKind;
  /** The `tokenizer.ggml.model` value. */
  readonly model!: string;
  /** BPE pre-tokenizer configuration (undefined for other kinds). */
  readonly pre!: PreTokenizerConfig | undefined;
  /** Token texts by id (empty texts replaced by `[EMPTY_<id>]`, as llama.cpp does). */
  readonly tokens!: readonly string[];
  readonly scores!: Float32Array;
  /** `TokenAttr` bits by id. */
  readonly attrs!: Uint16Array;
  readonly tokenToId!: ReadonlyMap<string, number>;
  /** BPE merges: `"left right"` → rank (empty for other kinds). */
  readonly mergeRanks!: ReadonlyMap<string, number>;
  /** Control, user-defined and unknown tokens, longest text first: the order special tokens are split out. */
  readonly specialTokens!: Int32Array;
  /** Byte → `<0xXX>` token (or the single-character token) for SPM byte fallback; -1 when absent. */
  readonly byteTokens!: Int32Array;
  /** Tokens that end generation. */
  readonly eog!: ReadonlySet<number>;
  /** Special token ids, `NO_TOKEN` when absent. */
  readonly ids!: Readonly<SpecialIds>;
  /** Longest token text in UTF-16 units. */
  readonly maxTokenLength!: number;
  readonly addBos!: boolean;
  readonly addEos!: boolean;
  readonly addSep!: boolean;
  /** Whether a space is prepended to SPM text (and stripped again when decoding). */
  readonly addSpacePrefix!: boolean;
  /** Whether decoding removes spaces before punctuation (`clean_up_tokenization_spaces`). */
  readonly cleanSpaces!: boolean;
  /** BPE: whether a word that is itself a token skips the merges. */
  readonly ignoreMerges!: boolean;

  private constructor(fields: Omit<Vocab, 'size'>) {
    Object.assign(this, fields);
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Builds the vocabulary; throws `TokenizerError` naming the missing or malformed key. */
  static fromMetadata(meta: GGUFMetadata): Vocab {
    const model = reqString(meta, KEY.model);
    const kind = vocabKind(model);
    const pre = kind === 'bpe' ? preTokenizerConfig(optString(meta, KEY.pre)) : undefined;
    const t = readTokens(meta);
    const n = t.tokens.length;
    const mergeRanks = kind === 'bpe' ? readMergeRanks(meta) : new Map<string, number>();

    const rules = defaultRules(kind, pre, meta, n);
    readSpecialIds(meta, rules.ids, n);
    const addBos = optBool(meta, KEY.addBos) ?? rules.addBos;
    const addEos = optBool(meta, KEY.addEos) ?? rules.addEos;
    const addSep = optBool(meta, KEY.addSep) ?? rules.addSep;
    requireId(addBos, KEY.addBos, rules.ids.bos, ID_KEYS.bos);
    requireId(addEos, KEY.addEos, rules.ids.eos, ID_KEYS.eos);
    requireId(addSep, KEY.addSep, rules.ids.sep, ID_KEYS.sep);

    const eog = detectSpecialTokens(t.tokens, t.tokenToId, t.attrs, rules.ids);
    const specialTokens = sortedSpecialTokens(t.tokens, t.attrs);
    applyModelAttrOverrides(meta, t.tokenToId, t.attrs, specialTokens, optString(meta, KEY.pre) ?? '');

    return new Vocab({
      kind,
      model,
      pre,
      ...t,
      mergeRanks,
      specialTokens,
      byteTokens: kind === 'spm' ? spmByteTokens(t.tokenToId) : new Int32Array(256).fill(NO_TOKEN),
      eog,
      ids: rules.ids,
      addBos,
      addEos,
      addSep,
      addSpacePrefix: optBool(meta, KEY.addSpacePrefix) ?? rules.addSpacePrefix,
      cleanSpaces: rules.cleanSpaces,
      ignoreMerges: pre?.ignoreMerges ?? false,
    });
  }
}

function readTokens(meta: GGUFMetadata) {
  const rawTokens = reqStringArray(meta, KEY.tokens);
  const n = rawTokens.length;
  if (n === 0) throw new TokenizerError(`GGUF metadata key '${KEY.tokens}' is empty`);
  const scores = optNumberArray(meta, KEY.scores, n, (k) => new Float32Array(k)) ?? new Float32Array(n);
  const types = optNumberArray(meta, KEY.types, n, (k) => new Int32Array(k));

  const tokens = rawTokens.slice();
  const attrs = new Uint16Array(n);
  const tokenToId = new Map<string, number>();
  let maxTokenLength = 0;
  for (let i = 0; i < n; i++) {
    if (tokens[i] === '') tokens[i] = `[EMPTY_${i}]`;
    // A later duplicate wins, as in llama.cpp's map assignment.
    tokenToId.set(tokens[i], i);
    if (tokens[i].length > maxTokenLength) maxTokenLength = tokens[i].length;
    attrs[i] = types ? (TYPE_TO_ATTR[types[i]] ?? TokenAttr.Undefined) : TokenAttr.Normal;
  }
  return { tokens, scores, attrs, tokenToId, maxTokenLength };
}

function readMergeRanks(meta: GGUFMetadata): Map<string, number> {
  const merges = reqStringArray(meta, KEY.merges);
  const ranks = new Map<string, number>();
  for (let i = 0; i < merges.length; i++) {
    const m = merges[i];
    // llama.cpp splits at the first space after position 0; a merge without one pairs "" with "".
    const key = m.indexOf(' ', 1) === -1 ? ' ' : m;
    if (!ranks.has(key)) ranks.set(key, i);
  }
  return ranks;
}

/** llama.cpp's defaults per tokenizer model and pre-type, before the metadata overrides them. */
function defaultRules(kind: VocabKind, pre: PreTokenizerConfig | undefined, meta: GGUFMetadata, n: number) {
  const ids = Object.fromEntries(Object.keys(ID_KEYS).map((k) => [k, NO_TOKEN])) as SpecialIds;
  const rules = { ids, addBos: false, addEos: false, addSep: false, addSpacePrefix: false, cleanSpaces: false };
  if (kind === 'spm') {
    Object.assign(ids, { bos: 1, eos: 2, unk: 0 });
    rules.addSpacePrefix = true;
    rules.addBos = true;
  } else if (kind === 'bpe') {
    Object.assign(ids, { bos: pre!.noBos ? NO_TOKEN : 11, eos: 11 });
    rules.cleanSpaces = pre!.cleanSpaces;
    rules.addBos = pre!.addBos;
  } else {
    Object.assign(ids, { bos: 101, unk: 100, sep: 102, pad: 0, mask: 103 });
    rules.addBos = true;
    rules.addSep = true;
    rules.cleanSpaces = true;
    // Older BERT conversions name the [CLS] id, which serves as BOS.
    const cls = optInt(meta, 'tokenizer.ggml.cls_token_id');
    if (cls !== undefined && cls >= 0 && cls < n) ids.bos = cls;
  }
  for (const name of Object.keys(ids) as (keyof SpecialIds)[]) if (ids[name] >= n) ids[name] = NO_TOKEN;
  return rules;
}

function readSpecialIds(meta: GGUFMetadata, ids: SpecialIds, n: number): void {
  for (const [name, key] of Object.entries(ID_KEYS) as [keyof SpecialIds, string][]) {
    const v = optInt(meta, key);
    // Out-of-range ids (e.g. 0xFFFFFFFF for "none") leave the default, as llama.cpp does.
    if (v !== undefined && v >= 0 && v < n) ids[name] = v;
  }
}

function requireId(flag: boolean, flagKey: string, id: number, idKey: string): void {
  if (flag && id === NO_TOKEN) throw new TokenizerError(`GGUF metadata says '${flagKey}' is true, but '${idKey}' is not set`);
}

/**
 * llama.cpp's load-time heuristics: name unnamed special tokens by their text, mark end-of-generation
 * tokens, and make them control tokens (which changes how they split and render). Returns the EOG set.
 */
function detectSpecialTokens(
  tokens: readonly string[],
  tokenToId: ReadonlyMap<string, number>,
  attrs: Uint16Array,
  ids: SpecialIds,
): Set<number> {
  // Where several texts are present the earlier one in the list wins (llama.cpp takes whichever its
  // hash map yields first), so that Qwen's EOT is <|im_end|> rather than <|endoftext|>.
  for (const [name, texts] of Object.entries(AUTO_IDS) as [keyof SpecialIds, readonly string[]][]) {
    if (ids[name] !== NO_TOKEN) continue;
    for (const t of texts) {
      const id = tokenToId.get(t);
      if (id === undefined) continue;
      ids[name] = id;
      attrs[id] |= TokenAttr.Control;
      break;
    }
  }

  for (let i = 0; i < tokens.length; i++) {
    if (attrs[i] & TokenAttr.Control && tokens[i].includes('unused')) attrs[i] |= TokenAttr.Unused;
  }

  const eog = new Set<number>();
  for (const id of [ids.fimPad, ids.fimRep, ids.fimSep]) if (id !== NO_TOKEN) eog.add(id);
  for (const t of EOG_TEXTS) {
    const id = tokenToId.get(t);
    if (id === undefined) continue;
    eog.add(id);
    attrs[id] |= TokenAttr.Control;
  }
  // gpt-oss: these always render, so they become user-defined.
  for (const t of ['<|channel|>', '<|message|>', '<|start|>', '<|constrain|>']) {
    const id = tokenToId.get(t);
    if (id !== undefined) attrs[id] = TokenAttr.UserDefined;
  }
  for (const id of [ids.eos, ids.eot, ids.eom]) if (id !== NO_TOKEN) eog.add(id);

  // o200k_harmony and solar-open end a message with <|end|> but a turn with <|return|>/<|call|>
  // (or <|calls|>/<|flush|>): there <|end|> is not EOG.
  const eogHas = (t: string) => {
    const id = tokenToId.get(t);
    return id !== undefined && eog.has(id) ? id : undefined;
  };
  const end = eogHas('<|end|>');
  const call = eogHas('<|call|>') ?? eogHas('<|calls|>');
  if (end !== undefined && call !== undefined && (eogHas('<|return|>') !== undefined || eogHas('<|flush|>') !== undefined)) {
    eog.delete(end);
    attrs[end] = TokenAttr.UserDefined;
  }
  // Gemma 4 and PaddleOCR: with <|tool_response> present, </s> is an ordinary token.
  const s = eogHas('</s>');
  if (s !== undefined && eogHas('<|tool_response>') !== undefined) {
    eog.delete(s);
    attrs[s] = TokenAttr.Normal;
  }
  return eog;
}

/** Byte → `<0xXX>` token, else the one-character token (llama.cpp's `byte_to_token` for SPM). */
function spmByteTokens(tokenToId: ReadonlyMap<string, number>): Int32Array {
  const byteTokens = new Int32Array(256).fill(NO_TOKEN);
  for (let b = 0; b < 256; b++) {
    const hex = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
    byteTokens[b] = tokenToId.get(hex) ?? (b < 0x80 ? tokenToId.get(String.fromCharCode(b)) : undefined) ?? NO_TOKEN;
  }
  return byteTokens;
}

function vocabKind(model: string): VocabKind {
  switch (model) {
    case 'llama':
      return 'spm';
    case 'gpt2':
      return 'bpe';
    case 'bert':
      return 'wpm';
    case 'no_vocab':
    case 'none':
      throw new TokenizerError(`GGUF metadata key '${KEY.model}' = '${model}': the model has no vocabulary`);
    default:
      throw new TokenizerError(
        `unsupported tokenizer model '${KEY.model}' = '${model}' (supported: llama = SentencePiece, gpt2 = byte-level BPE, bert = WordPiece)`,
      );
  }
}

function sortedSpecialTokens(tokens: readonly string[], attrs: Uint16Array): Int32Array {
  const special: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (attrs[i] & (TokenAttr.Control | TokenAttr.UserDefined | TokenAttr.Unknown)) special.push(i);
  }
  // Longest first so that a token is never split out of a longer one; ties keep id order (stable sort).
  special.sort((a, b) => tokens[b].length - tokens[a].length);
  return Int32Array.from(special);
}

/** llama.cpp's per-model strip attributes, which GGUF does not carry. */
function applyModelAttrOverrides(
  meta: GGUFMetadata,
  tokenToId: ReadonlyMap<string, number>,
  attrs: Uint16Array,
  specialTokens: Int32Array,
  pre: string,
): void {
  const name = (optString(meta, KEY.name) ?? '').toLowerCase();
  const set = (text: string, bit: number, on: boolean) => {
    const id = tokenToId.get(text);
    if (id !== undefined) attrs[id] = on ? attrs[id] | bit : attrs[id] & ~bit;
  };
  if (['jina-v2-de', 'jina-v2-es', 'jina-v2-code'].some((p) => pre.includes(p))) {
    set('<mask>', TokenAttr.LStrip, true);
  } else if (name.includes('phi-3') || name.includes('phi3')) {
    for (const id of specialTokens) attrs[id] |= TokenAttr.RStrip;
    set('</s>', TokenAttr.RStrip, true);
    for (const t of ['<unk>', '<s>', '<|endoftext|>']) set(t, TokenAttr.RStrip, false);
  }
}
