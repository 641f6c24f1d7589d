export { Tokenizer, type EncodeOptions, type DecodeOptions } from './tokenizer.js';
export { TokenizerError } from './errors.js';
export type { GGUFMetadata } from './metadata.js';
export { StreamingDetokenizer, type StreamingDetokenizerOptions } from './detokenize.js';
export { Vocab, TokenAttr, type VocabKind } from './vocab.js';
