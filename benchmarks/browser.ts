/**
 * `pnpm bench:browser`: Legato in headless Chromium next to Legato on Node, in the same run, on
 * the same file (default: the synthetic TinyLlama-1.1B Q4_0 that `pnpm bench:peer` makes):
 * prefill (pp) and decode (tg) tokens/s with 1 and 2 threads. The browser side is the example
 * page (examples/browser, cross-origin isolated) driving its Legato worker; the model is streamed
 * from the example's static server. Node and browser alternate per thread count. When the
 * devDependency @wllama/wllama (llama.cpp compiled to WebAssembly) is installed, it runs the same
 * file in the same Chromium page as a third column (its own llama-server timings; its prompt is
 * text of about --pp tokens, as its API takes no token ids).
 *   node --conditions=source --import tsx benchmarks/browser.ts [--model f.gguf] [--pp 128] [--tg 32]
 *        [--reps 2] [--threads 1,2] [--json]
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { loadModel } from '@legato/core';
import { ensureSynthModel } from '@legato/bench';
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
    wllama: { type: 'boolean', default: true },
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

const file = values.model ?? await ensureSynthModel({
  shape: 'tinyllama-1.1b', type: 'Q4_0', dir: join(root, '.cache', 'legato'), onSynthesize: (f) => log(`synthesizing tinyllama-1.1b Q4_0 → ${f}`),
});

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
const wllamaDir = join(root, 'node_modules/@wllama/wllama');
const withWllama = values.wllama! && existsSync(join(wllamaDir, 'esm/index.js'));
const served = await serveExample({ port: 0, models: dirname(file), mounts: withWllama ? { '/wllama/': wllamaDir } : {} });
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

/**
 * wllama in the same page: loads the file as a Blob, sizes a text prompt to about `pp` tokens
 * (one calibration completion, which is also its warm-up), then `reps` completions of `tg`
 * tokens; its llama-server timings give prefill and decode tokens/s.
 */
const WLLAMA_SIDE = `async ({ url, threads, pp, tg, reps }) => {
  const { Wllama } = await import('/wllama/esm/index.js');
  const w = new Wllama({ default: '/wllama/esm/wasm/wllama.wasm' }, { suppressNativeLog: true });
  try {
    const blob = await (await fetch(url)).blob();
    await w.loadModel([blob], { n_threads: threads, n_ctx: pp * 2 + tg + 64, n_gpu_layers: 0 });
    const text = (n) => Array.from({ length: n }, (_, i) => ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'then'][i % 8]).join(' ');
    const complete = (prompt, n) => w.createCompletion({ prompt, max_tokens: n, temperature: 0, ignore_eos: true, cache_prompt: false });
    let words = pp;
    const first = await complete(text(words), 1);
    words = Math.max(1, Math.round((words * pp) / first.timings.prompt_n));
    const rs = [];
    for (let i = 0; i < reps; i++) rs.push((await complete(text(words), tg)).timings);
    return {
      backend: 'wllama ' + (threads > 1 ? threads + ' threads' : '1 thread'),
      promptTokens: rs[0].prompt_n,
      prefillTokensPerSecond: Math.max(...rs.map((t) => t.prompt_per_second)),
      decodeTokensPerSecond: Math.max(...rs.map((t) => t.predicted_per_second)),
    };
  } finally {
    await w.exit().catch(() => {});
  }
}`;

/** wllama's multi-threaded build can crawl on a busy machine (its threads spin): give up after this. */
const WLLAMA_TIMEOUT_S = 600;

async function wllamaSide(threads: number): Promise<(BenchResult & { promptTokens: number }) | { error: string }> {
  const args = { url: `${served.url}models/${basename(file!)}`, threads, pp, tg, reps };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const run = page.evaluate(`(${WLLAMA_SIDE})(${JSON.stringify(args)})`) as Promise<BenchResult & { promptTokens: number }>;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result within ${WLLAMA_TIMEOUT_S} s`)), WLLAMA_TIMEOUT_S * 1000);
    });
    return await Promise.race([run, limit]);
  } catch (e) {
    // A fresh page ends whatever wllama still runs, so it does not slow the next measurements.
    await page.goto(served.url, { waitUntil: 'load' }).catch(() => {});
    return { error: String((e as Error).message).split('\n')[0].slice(0, 120) };
  } finally {
    clearTimeout(timer);
  }
}

const rows: {
  threads: number; node: BenchResult; browser: BenchResult & { loadMs: number };
  wllama?: (BenchResult & { promptTokens: number }) | { error: string };
}[] = [];
try {
  for (const threads of threadCounts) {
    log(`${threads} thread(s): Node…`);
    const node = await nodeSide(threads);
    log(`${threads} thread(s): Chromium…`);
    const b = await browserSide(threads);
    let wl;
    if (withWllama) {
      log(`${threads} thread(s): wllama in Chromium…`);
      wl = await wllamaSide(threads);
    }
    rows.push({ threads, node, browser: b, wllama: wl });
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
  if (rows.some((r) => r.wllama)) {
    console.log('\nwllama (llama.cpp in WebAssembly) in the same Chromium page, and Legato-in-Chromium over it:\n');
    console.log('| threads | wllama pp | Legato pp ÷ wllama | wllama tg | Legato tg ÷ wllama | wllama prompt tokens |');
    console.log('|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      const w = r.wllama;
      if (!w) continue;
      if ('error' in w) console.log(`| ${r.threads} | failed: ${w.error} | | | | |`);
      else console.log(`| ${r.threads} | ${f(w.prefillTokensPerSecond)} | ${f(r.browser.prefillTokensPerSecond / w.prefillTokensPerSecond)}× | ${f(w.decodeTokensPerSecond)} | ${f(r.browser.decodeTokensPerSecond / w.decodeTokensPerSecond)}× | ${w.promptTokens} |`);
    }
  }
}
