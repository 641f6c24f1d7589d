export { GGUFError, type GGUFErrorCode } from './errors.js';
export { GGUFValueType, type TypedValue } from './value-types.js';
export { type ModelSource } from './source.js';
export { readGGUFHeader, DEFAULT_ALIGNMENT, type GGUFHeader, type GGUFTensorInfo } from './header.js';
export { loadGGUF, f32View, type GGUFFile, type GGUFTensor, type LoadGGUFOptions, type LoadProgress } from './load.js';
export { writeGGUF, encodeGGUFHeader, gv, type GGUFWriteInput, type GGUFWriteTensor } from './write.js';
