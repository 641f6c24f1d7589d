export { SHAPES, parseShape, type ModelShape } from './shapes.js';
export { synthesizeVocab, type SynthVocab } from './vocab.js';
export { synthesizeModel, SYNTH_TYPES, type SynthType, type SynthesizeOptions } from './synthesize.js';
export { ARCH_SHAPES, archShapesOf, DEFAULT_INIT, type ArchShape, type VocabSource, type WeightInit } from './arch-shapes.js';
