/** The quantize pool on Node: piscina worker threads (quantize/quantize-pool.ts). */
export * from '../quantize/quantize-pool.js';
