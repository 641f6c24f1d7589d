/**
 * The public tokenizer: text ↔ token ids for a GGUF vocabulary, reproducing llama.cpp's
 * `llama_tokenize` / `llama_detokenize` ids exactly.
 */
import { BpeEncoder } from './bpe.js';
import { Detokenizer, StreamingDetokenizer, type StreamingDetokenizerOptions } from './detokenize.js';
import type { GGUFMetadata } from './metadata.js';
import { partitionSpecial } from './special.js';
import { SpmEncoder } from './spm.js';
import { toWellFormed } from './unicode.js';
import { NO_TOKEN, Vocab } from './vocab.js';
import { WpmEncoder } from './wpm.js';

export interface EncodeOptions {
  /** Add BOS/EOS (and SEP for WordPiece) as the vocabulary's metadata says. Default true. */
  addSpecial?: boolean;
  /** Recognise control tokens such as `<s>` or `<|begin_of_text|>` in the text. Default false. */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Render control and unknown tokens as nothing instead of their text. Default false. */
  skipSpecial?: boolean;
}

interface FragmentEncoder {
  encode(text: string, out: number[]): void;
}

const orUndefined = (id: number) => (id === NO_TOKEN ? undefined : id);

export class Tokenizer {
  /** spm = SentencePiece-style (`llama`), bpe = byte-level BPE (`gpt2`), wpm = WordPiece (`bert`). */
  readonly kind: 'spm' | 'bpe' | 'wpm';
  readonly vocabSize: number;
  readonly bos: number | undefined;
  readonly eos: number | undefined;
  /** End-of-turn token, from metadata or recognised by its text (e.g. `<|eot_id|>`, `<|im_end|>`). */
  readonly eot?: number;
  /** Whether `encode` prepends BOS by default (`tokenizer.ggml.add_bos_token`, default true for SPM). */
  readonly addBos: boolean;
  /** Whether `encode` appends EOS by default (`tokenizer.ggml.add_eos_token`). */
  readonly addEos: boolean;
  /** The underlying vocabulary (token texts, attributes, merges). */
  readonly vocab: Vocab;

  private readonly encoder: FragmentEncoder;
  private readonly detokenizer: Detokenizer;

  private constructor(vocab: Vocab) {
    this.vocab = vocab;
    this.kind = vocab.kind;
    this.vocabSize = vocab.size;
    this.bos = orUndefined(vocab.ids.bos);
    this.eos = orUndefined(vocab.ids.eos);
    this.eot = orUndefined(vocab.ids.eot);
    this.addBos = vocab.addBos;
    this.addEos = vocab.addEos;
    this.encoder =
      vocab.kind === 'spm' ? new SpmEncoder(vocab) : vocab.kind === 'bpe' ? new BpeEncoder(vocab) : new WpmEncoder(vocab);
    this.detokenizer = new Detokenizer(vocab);
  }

  /**
   * Builds the tokenizer from GGUF metadata (`tokenizer.ggml.*`). Throws `TokenizerError` naming the
   * missing or malformed key, or the unsupported tokenizer model / pre-tokenizer.
   */
  static fromMetadata(meta: GGUFMetadata): Tokenizer {
    return new Tokenizer(Vocab.fromMetadata(meta));
  }

  /** Token ids of `text`, as llama.cpp's `llama_tokenize(text, add_special, parse_special)`. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const addSpecial = opts.addSpecial ?? true;
    const { vocab } = this;
    const fragments = partitionSpecial(vocab, toWellFormed(text), opts.parseSpecial ?? false);
    const out: number[] = [];
    if (addSpecial && vocab.addBos) out.push(vocab.ids.bos);
    // SPM prefixes a space to text at the start and after each special token.
    let prevSpecial = true;
    for (const fragment of fragments) {
      if (typeof fragment === 'number') {
        out.push(fragment);
        prevSpecial = true;
        continue;
      }
      const prefixed = vocab.kind === 'spm' && vocab.addSpacePrefix && prevSpecial ? ` ${fragment}` : fragment;
      this.encoder.encode(prefixed, out);
      prevSpecial = false;
    }
    if (addSpecial && vocab.addEos) out.push(vocab.ids.eos);
    if (addSpecial && vocab.kind === 'wpm' && vocab.addSep) out.push(vocab.ids.sep);
    return out;
  }

  /**
   * Text of `ids`. The BOS/EOS that `encode` adds are dropped and the SPM space prefix is removed, so
   * `decode(encode(s)) === s` wherever the vocabulary can represent `s` (BPE vocabularies with
   * `clean_up_tokenization_spaces` also tidy " ," and the like, as llama.cpp does). Bytes that do not
   * form valid UTF-8 become U+FFFD.
   */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    return this.detokenizer.decode(ids, opts.skipSpecial ?? false);
  }

  /** Raw bytes of one token's text (special tokens render as their text). A fresh copy. */
  tokenToPiece(id: number): Uint8Array {
    return this.detokenizer.piece(id, true).slice();
  }

  /** Whether `id` ends generation: EOS, EOT, EOM and the end tokens llama.cpp recognises by text. */
  isEog(id: number): boolean {
    return this.vocab.eog.has(id);
  }

  /** A detokenizer that turns ids into text one token at a time without splitting characters. */
  createStreamingDecoder(options?: StreamingDetokenizerOptions): StreamingDetokenizer {
    return new StreamingDetokenizer(this.detokenizer, options);
  }
}
