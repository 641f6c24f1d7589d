export {
  quantizeFile,
  QuantizeError,
  type QuantizeFileOptions,
  type QuantizeProgress,
  type QuantizeFileResult,
  type QuantizedTensor,
} from './quantize-file.js';
