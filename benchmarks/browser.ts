/**
 * `pnpm bench:browser`: Legato in headless Chromium next to Legato on Node, in the same run, on
 * the same file (default: the synthetic TinyLlama-1.1B Q4_0 that `pnpm bench:peer` makes):
 * prefill (pp) and decode (tg) tokens/s with 1 and 2 threads. The browser side is the example
 * page (examples/browser, cross-origin isolated) driving its Legato worker; the model is streamed
 * from the example's static server. Node and browser alternate per thread count.
 *   node --conditions=source --import tsx benchmarks/browser.ts [--model f.gguf] [--pp 128] [--tg 32]
 *        [--reps 2] [--threads 1,2] [--json]
 */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { loadModel } from '@legato/core';
import { SHAPES, synthesizeModel } from '@legato/core/synth';
import { benchOnce, type BenchResult } from '../examples/browser/bench.js';
// @ts-expect-error plain JavaScript scripts without types
import { buildExample } from '../examples/browser/build.mjs';
// @ts-expect-error plain JavaScript scripts without types
import { serveExample } from '../examples/browser/serve.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    pp: { type: 'string', default: '128' },
    tg: { type: 'string', default: '32' },
    reps: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1,2' },
    json: { type: 'boolean', default: false },
  },
});
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const pp = Number(values.pp);
const tg = Number(values.tg);
const reps = Number(values.reps);
const threadCounts = values.threads!.split(',').map(Number);
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let file = values.model;
if (!file) {
  const dir = join(root, '.cache', 'legato');
  mkdirSync(dir, { recursive: true });
  file = join(dir, 'synth-tinyllama-1.1b-Q4_0.gguf');
  if (!existsSync(file)) {
    log(`synthesizing tinyllama-1.1b Q4_0 → ${file}`);
    await synthesizeModel(file, { shape: SHAPES['tinyllama-1.1b'], type: 'Q4_0', seed: 1 });
  }
}

/** Best of `reps` passes after a short warm-up (best: the machine is shared, slow passes are noise). */
function best(rs: BenchResult[]): BenchResult {
  return {
    backend: rs[0].backend,
    prefillTokensPerSecond: Math.max(...rs.map((r) => r.prefillTokensPerSecond)),
    decodeTokensPerSecond: Math.max(...rs.map((r) => r.decodeTokensPerSecond)),
  };
}

async function nodeSide(threads: number): Promise<BenchResult> {
  const model = await loadModel(file!, { threads });
  try {
    await benchOnce(model, 8, 4);
    const rs: BenchResult[] = [];
    for (let i = 0; i < reps; i++) rs.push(await benchOnce(model, pp, tg));
    return best(rs);
  } finally {
    model.dispose();
  }
}

await buildExample({ minify: true });
const served = await serveExample({ port: 0, models: dirname(file) });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
const page = await browser.newPage();
await page.goto(served.url, { waitUntil: 'load' });
if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error('the example page is not cross-origin isolated');

/**
 * The page starts a fresh Legato worker, loads the model by URL, and runs the same passes. Plain
 * JavaScript text: a function compiled by tsx would carry its helpers (__name) into the page.
 */
const BROWSER_SIDE = `async ({ url, threads, pp, tg, reps }) => {
  const w = new Worker('dist/worker.js', { type: 'module' });
  const ask = (m, want) => new Promise((res, rej) => {
    w.onmessage = (e) => {
      if (e.data.type === want) res(e.data);
      else if (e.data.type === 'error') rej(new Error(e.data.message));
    };
    w.postMessage(m);
  });
  try {
    const loaded = await ask({ type: 'load', source: url, threads }, 'loaded');
    await ask({ type: 'bench', promptTokens: 8, genTokens: 4 }, 'bench');
    const rs = [];
    for (let i = 0; i < reps; i++) rs.push(await ask({ type: 'bench', promptTokens: pp, genTokens: tg }, 'bench'));
    return {
      backend: rs[0].backend,
      prefillTokensPerSecond: Math.max(...rs.map((r) => r.prefillTokensPerSecond)),
      decodeTokensPerSecond: Math.max(...rs.map((r) => r.decodeTokensPerSecond)),
      loadMs: loaded.loadMs,
    };
  } finally {
    w.terminate();
  }
}`;

async function browserSide(threads: number): Promise<BenchResult & { loadMs: number }> {
  const args = { url: `${served.url}models/${basename(file!)}`, threads, pp, tg, reps };
  return page.evaluate(`(${BROWSER_SIDE})(${JSON.stringify(args)})`) as Promise<BenchResult & { loadMs: number }>;
}

const rows: { threads: number; node: BenchResult; browser: BenchResult & { loadMs: number } }[] = [];
try {
  for (const threads of threadCounts) {
    log(`${threads} thread(s): Node…`);
    const node = await nodeSide(threads);
    log(`${threads} thread(s): Chromium…`);
    const b = await browserSide(threads);
    rows.push({ threads, node, browser: b });
  }
} finally {
  await browser.close();
  await served.close();
}

const f = (x: number): string => x.toFixed(2);
if (values.json) {
  for (const r of rows) console.log(JSON.stringify({ model: basename(file), pp, tg, ...r }));
} else {
  console.log(`\n${basename(file)}: pp${pp} and tg${tg} tokens/s (best of ${reps}), Chromium ${browser.version()} vs Node ${process.version}\n`);
  console.log('| threads | Node backend | Node pp | Chromium pp | ratio | Node tg | Chromium tg | ratio | Chromium backend | Chromium load s |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---|---:|');
  for (const r of rows) {
    console.log(`| ${r.threads} | ${r.node.backend} | ${f(r.node.prefillTokensPerSecond)} | ${f(r.browser.prefillTokensPerSecond)} | ${f(r.browser.prefillTokensPerSecond / r.node.prefillTokensPerSecond)}× | ${f(r.node.decodeTokensPerSecond)} | ${f(r.browser.decodeTokensPerSecond)} | ${f(r.browser.decodeTokensPerSecond / r.node.decodeTokensPerSecond)}× | ${r.browser.backend} | ${(r.browser.loadMs / 1000).toFixed(1)} |`);
  }
}
