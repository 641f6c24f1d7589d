/** Node's Buffer, which the GGUF header reader uses for fast little-endian and UTF-8 reads (twin: buffer.browser.ts). */
export { Buffer } from 'node:buffer';
