export { SHAPES, parseShape, type ModelShape } from './shapes.js';
export { synthesizeVocab, type SynthVocab } from './vocab.js';
export { synthesizeModel, SYNTH_TYPES, type SynthType, type SynthesizeOptions } from './synthesize.js';
