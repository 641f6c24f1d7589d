/**
 * The single place where tokenizer tests read GGUF metadata, through the project's own GGUF reader.
 * Async so that the source can change (it started out as @huggingface/gguf) without touching tests.
 */
import { readGGUFHeader } from '../../src/gguf/index.js';
import type { GGUFMetadata } from '../../src/tokenizer/index.js';
import { modelPath } from '../../../../testing/models.js';

const cache = new Map<string, GGUFMetadata>();

/** Metadata of a GGUF under the shared models directory, e.g. `vocab/ggml-vocab-gpt-2.gguf`. */
export async function loadMetadata(relativePath: string): Promise<GGUFMetadata> {
  let meta = cache.get(relativePath);
  if (!meta) {
    meta = readGGUFHeader(modelPath(relativePath)).metadata;
    cache.set(relativePath, meta);
  }
  return meta;
}
