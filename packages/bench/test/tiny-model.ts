/** A tiny random-weight model for the lab's tests: fast enough that GC pauses dwarf a decode step. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeModel, type ModelShape } from '@legato/core/synth';

export const TINY_SHAPE: ModelShape = {
  name: 'lab-tiny', dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 4, ffnDim: 128, vocabSize: 512, contextLength: 512, rmsEps: 1e-5, ropeFreqBase: 10000,
};

/** Writes the tiny model into a fresh temporary directory and returns its path. */
export async function tinyModelFile(): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'legato-lab-')), 'lab-tiny.gguf');
  await synthesizeModel(file, { shape: TINY_SHAPE, type: 'F32', seed: 3 });
  return file;
}
