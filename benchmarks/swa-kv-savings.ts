/**
 * What Gemma's sliding-window KV pool saves (issue 10): KV bytes one sequence holds at a given
 * position with every layer in one pool, and with the sliding-window layers in their own pool
 * that releases blocks fallen out of the window (at most ceil(W / blockSize) + 1 blocks held).
 *
 *   node --conditions=source --import tsx benchmarks/swa-kv-savings.ts [--positions 8192,32768] [--block 16]
 *
 * Computed from the real shapes (gemma-2-2b, gemma-3-1b; f32 KV as Legato stores it), then
 * measured on the tiny test models: one greedy generation through the engine with the pool on and
 * off, the blocks the sequence holds in each pool read from the pools' stats at its last step.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InferenceEngine, loadModel } from '@legato/core';
import { ARCH_SHAPES, synthesizeModel, type ArchShape } from '@legato/core/synth';
import { ARCHITECTURES } from '../packages/core/src/model/architectures.js';
import { modelPath } from '../testing/models.js';

const { values } = parseArgs({ options: { positions: { type: 'string', default: '8192,32768' }, block: { type: 'string', default: '16' } } });
const positions = values.positions.split(',').map(Number);
const bs = Number(values.block);
const MiB = 1 << 20;

/** Sliding-window layers of a shape, by the rule config.ts applies (`l % period < period − 1`). */
function windowLayers(s: ArchShape): number {
  const swa = ARCHITECTURES[s.arch as 'gemma2'].swa;
  const period = s.slidingWindowPattern ?? (typeof swa === 'object' ? swa.defaultPeriod : 0);
  let n = 0;
  for (let l = 0; l < s.nLayers; l++) if (period === 0 || l % period < period - 1) n++;
  return n;
}

console.log(`KV bytes per sequence (f32, block ${bs}), computed from the shapes:`);
console.log('shape        positions  one pool (MiB)  hybrid (MiB)  saved');
for (const name of ['gemma-2-2b', 'gemma-3-1b']) {
  const s = ARCH_SHAPES[name];
  const headDim = s.headDim ?? s.dim / s.nHeads;
  const perLayerToken = 2 * s.nKVHeads * headDim * 4;
  const nWindow = windowLayers(s);
  const W = s.slidingWindow!;
  for (const n of positions) {
    const held = Math.ceil(n / bs) * bs;
    const one = s.nLayers * held * perLayerToken;
    const windowHeld = Math.min(held, (Math.ceil(W / bs) + 1) * bs);
    const hybrid = (s.nLayers - nWindow) * held * perLayerToken + nWindow * windowHeld * perLayerToken;
    console.log(
      `${name.padEnd(12)} ${String(n).padStart(9)}  ${(one / MiB).toFixed(1).padStart(14)}  ${(hybrid / MiB).toFixed(1).padStart(12)}  ${(100 * (1 - hybrid / one)).toFixed(1)} %` +
        `   (${nWindow}/${s.nLayers} window layers, W ${W})`,
    );
  }
}

console.log('\nMeasured on the tiny models (W 16, block 8, one sequence, 24-token prompt + 216 tokens):');
console.log('shape        positions  one pool (bytes)  hybrid (bytes)  saved   window blocks held');
const dir = mkdtempSync(join(tmpdir(), 'legato-swa-'));
for (const name of ['tiny-gemma2', 'tiny-gemma3']) {
  const path = join(dir, `${name}.gguf`);
  await synthesizeModel(path, { shape: ARCH_SHAPES[name], type: 'F32', threads: 1, seed: 7, vocabDir: modelPath('vocab') });
  const model = await loadModel(path, { threads: 1 });
  const prompt = [1, ...Array.from({ length: 23 }, (_, i) => 3 + ((i * 7919) % 500))];
  const measure = async (hybrid: boolean): Promise<{ bytes: number; window: number; ids: number[] }> => {
    let bytes = 0;
    let window = 0;
    const e: InferenceEngine = new InferenceEngine(model, {
      contextSize: 256, blockSize: 8, maxBatchTokens: 16, maxSequences: 1, slidingWindowPool: hybrid,
      observer: {
        onStep: () => {
          if (e.runningCount === 0) return;
          const g = e.pool.stats();
          const w = e.swaPool?.stats();
          bytes = g.blocksUsed * g.bytesPerBlock + (w ? w.blocksUsed * w.bytesPerBlock : 0);
          window = w?.blocksUsed ?? 0;
        },
      },
    });
    const r = await e.submit(prompt, { maxTokens: 216, temperature: 0, ignoreEos: true }).result();
    e.dispose();
    return { bytes, window, ids: r.ids };
  };
  const one = await measure(false);
  const hyb = await measure(true);
  if (one.ids.join() !== hyb.ids.join()) throw new Error(`${name}: greedy ids differ with the window pool`);
  console.log(
    `${name.padEnd(12)} ${String(prompt.length + 215).padStart(9)}  ${String(one.bytes).padStart(16)}  ${String(hyb.bytes).padStart(14)}  ${(100 * (1 - hyb.bytes / one.bytes)).toFixed(1)} %   ${hyb.window}`,
  );
  model.dispose();
}
