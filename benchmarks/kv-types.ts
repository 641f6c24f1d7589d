/**
 * What each KV cache type (`--kv-type f32|f16|q8_0`) costs: bytes per token of context and decode
 * tokens/s at given positions, on a synthetic TinyLlama-1.1B-shaped model (Q4_0 weights by default).
 *
 *   node --conditions=source --import tsx benchmarks/kv-types.ts [--positions 2048,8192]
 *        [--steps 16] [--kv-types f16,f32,q8_0] [--threads 2] [--type Q4_0] [--shape tinyllama-1.1b] [--json]
 *
 * Decode at position P needs P cached positions, not a P-token prefill: the cache is filled with
 * random rows (stored in the measured type, as the forward pass would store them) and the timed
 * steps decode at P, P+1, ... through the forward pass over that cache. Attention's cost depends on
 * how many rows it reads and how they are stored, not on what they hold, so this measures the same
 * work a real context at P does (the first step is a warm-up and is not counted). Synthetic
 * weights' outputs are meaningless; only time is measured.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KV_TYPES, kvBytesPerToken, loadModel, type KVType } from '@legato/core';
import { ContiguousKVCache, LlamaForward } from '@legato/core/internals';
import { SHAPES, type SynthType } from '@legato/core/synth';
import { ensureSynthModel } from '@legato/bench';
import { storeKVRow } from '@legato/quant';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    positions: { type: 'string', default: '2048,8192' },
    steps: { type: 'string', default: '16' },
    threads: { type: 'string', default: '2' },
    type: { type: 'string', default: 'Q4_0' },
    'kv-types': { type: 'string', default: KV_TYPES.join(',') },
    shape: { type: 'string', default: 'tinyllama-1.1b' },
    json: { type: 'boolean', default: false },
  },
});
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const positive = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} takes a positive integer, got ${v.slice(0, 40)}`);
  return n;
};
const shape = SHAPES[values.shape!];
if (!shape) throw new Error(`unknown shape ${values.shape!.slice(0, 40)}`);
const positions = values.positions!.split(',').map((p) => positive('positions', p));
const steps = positive('steps', values.steps!);
const threads = positive('threads', values.threads!);
const weightType = values.type! as SynthType;

const file = await ensureSynthModel({
  shape, type: weightType, dir: join(root, '.cache', 'legato'), onSynthesize: (f) => log(`synthesizing ${shape.name} ${weightType} → ${f}`),
});

const model = await loadModel(file, { threads });
const c = model.config;
const capacity = Math.max(...positions) + steps + 1;
log(`${shape.name} ${weightType}, ${model.backend.name}, ${c.nLayers} layers × ${c.nKVHeads} KV heads × ${c.headDim}`);

interface Row {
  kvType: KVType;
  bytesPerToken: number;
  position: number;
  tokensPerSecond: number;
}
const kvTypes = values['kv-types']!.split(',') as KVType[];
for (const t of kvTypes) if (!KV_TYPES.includes(t)) throw new Error(`--kv-types takes ${KV_TYPES.join(', ')}; got ${t}`);
const rows: Row[] = [];
const forward = new LlamaForward(c, model.weights, model.backend, model.arena, { maxBatch: 1, maxContext: capacity });
const token = new Int32Array(1);
for (const kvType of kvTypes) {
  const bytes = ContiguousKVCache.bytesNeeded(c.nLayers, capacity, c.kvDim, kvType);
  const at = model.arena.alloc(bytes);
  const cache = new ContiguousKVCache(model.arena.u8(at, bytes), c.nLayers, capacity, c.kvDim, kvType);
  // Random rows of the magnitudes a model's K/V have, stored in the type; one row per 64
  // positions is drawn and copied on (what the rows hold does not change the work).
  const row = new Float32Array(c.kvDim);
  let seed = 1;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  for (let l = 0; l < c.nLayers; l++) {
    for (let p = 0; p < capacity; p++) {
      for (const kind of ['k', 'v']) {
        const dst = kind === 'k' ? cache.kOffset(l, p) : cache.vOffset(l, p);
        if (p < 64) {
          for (let i = 0; i < c.kvDim; i++) row[i] = rand() * 2;
          storeKVRow(kvType, row, 0, cache.data, dst, c.kvDim);
        } else {
          const src = kind === 'k' ? cache.kOffset(l, p % 64) : cache.vOffset(l, p % 64);
          cache.data.copyWithin(dst, src, src + (cache.kOffset(0, 1) - cache.kOffset(0, 0)));
        }
      }
    }
  }
  for (const position of positions) {
    token[0] = 1;
    forward.run(token, 1, position, cache); // warm-up
    const t0 = performance.now();
    for (let s = 1; s <= steps; s++) {
      token[0] = (s * 7919) % c.vocabSize;
      forward.run(token, 1, position + s, cache);
    }
    const tokensPerSecond = (steps / (performance.now() - t0)) * 1000;
    const r: Row = { kvType, bytesPerToken: kvBytesPerToken(c.nLayers, c.kvDim, kvType), position, tokensPerSecond };
    rows.push(r);
    log(`${kvType} at ${position}: ${tokensPerSecond.toFixed(2)} tok/s`);
  }
  model.arena.free(at);
}
forward.dispose();
model.dispose();

if (values.json) {
  for (const r of rows) process.stdout.write(`${JSON.stringify({ model: shape.name, weights: weightType, threads, ...r })}\n`);
} else {
  const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
  const lines = [
    `KV cache types, ${shape.name} ${weightType}, ${threads} threads (decode tok/s over ${steps} steps after a warm-up)`,
    `| KV type | bytes/token | KV at ${positions.map((p) => `${p}`).join(' / ')} | ${positions.map((p) => `tok/s @${p}`).join(' | ')} |`,
    `|---|---|---|${positions.map(() => '---').join('|')}|`,
  ];
  for (const t of kvTypes) {
    const mine = rows.filter((r) => r.kvType === t);
    const bpt = mine[0].bytesPerToken;
    lines.push(
      `| ${t} | ${kib(bpt)} | ${positions.map((p) => `${((bpt * p) / 1024 ** 2).toFixed(0)} MiB`).join(' / ')} | ${mine.map((r) => r.tokensPerSecond.toFixed(2)).join(' | ')} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
