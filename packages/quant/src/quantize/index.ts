/** Model quantization: per-tensor type rules (llama.cpp's mixes) and parallel row conversion. */
export * from './mix.js';
export * from './convert-rows.js';
export * from '#platform/quantize-pool';
