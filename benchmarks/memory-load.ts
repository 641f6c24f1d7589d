/**
 * `pnpm bench:memory`: load time against a cold sequential read of the same file, and peak RSS
 * against file size + KV budget, for synthetic models in real shapes.
 *   node --conditions=source --import tsx benchmarks/memory-load.ts [--shape tinyllama-1.1b]
 *        [--types Q4_0,Q4_K_M,Q8_0] [--ctx 2048] [--rounds 2] [--json]
 * Per round and file: the file is dropped from the page cache (GNU dd's iflag=nocache, which asks
 * the kernel to forget the file's clean pages; no root needed), then read start to end in 16 MiB
 * reads (the cold read); dropped again, then a fresh process runs `loadModel(path)` with default
 * options (the cold load), opens a context of --ctx tokens, prefills 512 tokens and decodes 32, and
 * reports its peak RSS. The warm read (page cache full) is printed too, to show the drop worked.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SynthType } from '@legato/core/synth';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface ChildResult { loadMs: number; kvBytes: number; maxRssMb: number; rssAfterLoadMb: number }

if (process.argv[2] === '--child') {
  // The measured process: nothing loaded before the model but the library itself.
  const [, , , path, ctxArg] = process.argv;
  const { loadModel } = await import('@legato/core');
  const t0 = performance.now();
  const model = await loadModel(path);
  const loadMs = performance.now() - t0;
  const rssAfterLoadMb = process.memoryUsage.rss() / 2 ** 20;
  const ctx = model.createContext({ contextSize: Number(ctxArg) });
  const s = ctx.engine.kvStats();
  const kvBytes = s.blocksTotal * s.bytesPerBlock;
  const prompt = Array.from({ length: 512 }, (_, i) => (i === 0 ? (model.tokenizer.bos ?? 1) : 300 + ((i * 7919) % 20000)));
  await ctx.generate(prompt, { maxTokens: 32, temperature: 0, ignoreEos: true }).result();
  ctx.dispose();
  model.dispose();
  const r: ChildResult = { loadMs, kvBytes, maxRssMb: process.resourceUsage().maxRSS / 1024, rssAfterLoadMb };
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 'tinyllama-1.1b' },
    types: { type: 'string', default: 'Q4_0,Q4_K_M,Q8_0' },
    ctx: { type: 'string', default: '2048' },
    rounds: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
});
const log = (s: string): void => void process.stderr.write(`${s}\n`);

function dropFromPageCache(file: string): void {
  const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
  if (r.status !== 0) throw new Error(`dd iflag=nocache failed: ${r.stderr}`);
}

/** Milliseconds to read `file` start to end in 16 MiB reads into one reused buffer. */
function sequentialReadMs(file: string): number {
  const buf = Buffer.allocUnsafe(16 << 20);
  const fd = openSync(file, 'r');
  const t0 = performance.now();
  try {
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return performance.now() - t0;
}

function child(file: string): ChildResult {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', file, values.ctx!], {
    encoding: 'utf8', maxBuffer: 1 << 24, cwd: root,
  });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

// Imported here, not at the top: the child (the measured process) loads only @legato/core.
const { SHAPES } = await import('@legato/core/synth');
const { ensureSynthModel } = await import('@legato/bench');
const shape = SHAPES[values.shape!];
if (!shape) throw new Error(`unknown shape ${values.shape}`);
const dir = join(root, '.cache', 'legato');
const MB = 2 ** 20;
const lines: string[] = [];
for (const type of values.types!.split(',')) {
  const file = await ensureSynthModel({ shape, type: type as SynthType, dir, onSynthesize: (f) => log(`synthesizing ${shape.name} ${type} → ${f}`) });
  const size = statSync(file).size;
  const best = { cold: Infinity, warm: Infinity, load: Infinity, rss: Infinity, rssLoad: Infinity, kv: 0 };
  for (let round = 0; round < Number(values.rounds); round++) {
    dropFromPageCache(file);
    const cold = sequentialReadMs(file);
    const warm = sequentialReadMs(file);
    dropFromPageCache(file);
    const c = child(file);
    log(`${type} round ${round + 1}: cold read ${cold.toFixed(0)} ms, warm ${warm.toFixed(0)} ms, cold load ${c.loadMs.toFixed(0)} ms, peak RSS ${c.maxRssMb.toFixed(0)} MB`);
    best.cold = Math.min(best.cold, cold);
    best.warm = Math.min(best.warm, warm);
    best.load = Math.min(best.load, c.loadMs);
    best.rss = Math.min(best.rss, c.maxRssMb);
    best.rssLoad = Math.min(best.rssLoad, c.rssAfterLoadMb);
    best.kv = c.kvBytes;
  }
  const budgetMb = (size + best.kv) / MB;
  const row = {
    shape: shape.name, type, file_mb: size / MB, kv_mb: best.kv / MB,
    cold_read_ms: best.cold, warm_read_ms: best.warm, cold_load_ms: best.load, load_ratio: best.load / best.cold,
    rss_after_load_mb: best.rssLoad, peak_rss_mb: best.rss, rss_ratio: best.rss / budgetMb,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(row)}\n`);
  lines.push(`| ${shape.name} | ${type} | ${row.file_mb.toFixed(0)} | ${row.kv_mb.toFixed(0)} | ${best.cold.toFixed(0)} | ${best.warm.toFixed(0)} | ${best.load.toFixed(0)} | ${row.load_ratio.toFixed(2)} | ${best.rssLoad.toFixed(0)} | ${best.rss.toFixed(0)} | ${row.rss_ratio.toFixed(3)} |`);
  log(lines[lines.length - 1]);
}
if (!values.json) {
  process.stdout.write(`Best of ${values.rounds} rounds; context ${values.ctx} tokens, default options (KV type, threads). Targets: load ÷ cold read ≤ 1.5, peak RSS ÷ (file + KV) ≤ 1.10.\n\n`);
  process.stdout.write('| shape | type | file MB | KV MB | cold read ms | warm read ms | cold load ms | load ÷ cold read | RSS after load MB | peak RSS MB | RSS ÷ (file + KV) |\n|---|---|---|---|---|---|---|---|---|---|---|\n');
  process.stdout.write(`${lines.join('\n')}\n`);
}
