/**
 * The serving sweep: `legato serve` (and, when it is built, llama.cpp's `llama-server -np 8` from
 * benchmarks/native-llamacpp.ts) measured by the same client, `legato bench serve --url`, at
 * several concurrencies, one table. Each server and each client runs in its own process.
 *   node --conditions=source --import tsx benchmarks/serve-sweep.ts --model /tmp/tl.gguf
 *        [--concurrency 1,4,8,16] [--input-len 32] [--output-len 64] [--threads 2] [--ctx-size 512]
 *        [--seqs 8] [--no-llama-server] [--json]
 * The model: e.g. `pnpm legato synth --shape tinyllama-1.1b --type Q4_0 -o /tmp/tl.gguf`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findNativeLlamaCpp } from './native-llamacpp.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    concurrency: { type: 'string', default: '1,4,8,16' },
    'input-len': { type: 'string', default: '32' },
    'output-len': { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
    'ctx-size': { type: 'string', default: '512' },
    seqs: { type: 'string', default: '8' },
    'no-llama-server': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const model = values.model;
if (!model || !existsSync(model)) throw new Error(`--model must name a GGUF file (got ${model ?? 'nothing'})`);
const levels = values.concurrency.split(',').map(Number);
const seqs = Number(values.seqs);
const ctx = Number(values['ctx-size']);
const cli = ['--conditions=source', '--import', 'tsx', join(root, 'packages/cli/src/bin.ts')];

interface Row {
  server: string;
  concurrency: number;
  completed: number;
  failed: number;
  request_throughput: number;
  output_throughput: number;
  ttft_ms: { p50: number; p99: number };
  tpot_ms: { mean: number };
  itl_ms: { p50: number; p99: number };
  smoothness: number;
}

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const s = await fetch(`${url}/health`).then((r) => r.status, () => 0);
    if (s === 200) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} never became healthy`);
}

async function sweep(name: string, port: number, start: () => ChildProcess): Promise<Row[]> {
  const url = `http://127.0.0.1:${port}`;
  const child = start();
  let err = '';
  child.stderr?.on('data', (b) => (err = (err + b).slice(-2000)));
  const rows: Row[] = [];
  try {
    await waitHealthy(url, child);
    for (const c of levels) {
      process.stderr.write(`${name}: concurrency ${c}…\n`);
      const out = spawnSync(process.execPath, [...cli, 'bench', 'serve', '--url', url, '--model', 'bench', '--concurrency', String(c),
        '--num-prompts', String(Math.max(4, 2 * c)), '--input-len', values['input-len'], '--output-len', values['output-len'], '--seed', String(c), '--json'],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (out.status !== 0) throw new Error(`bench serve failed (${out.status})`);
      rows.push({ server: name, concurrency: c, ...(JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Omit<Row, 'server' | 'concurrency'>) });
    }
  } catch (e) {
    process.stderr.write(`${name}: ${(e as Error).message}\n${err}\n`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.on('exit', r)));
  }
  return rows;
}

const rows: Row[] = [];
rows.push(...(await sweep('legato', 18431, () =>
  spawn(process.execPath, [...cli, 'serve', model, '--port', '18431', '--threads', values.threads, '--ctx-size', String(ctx), '--max-num-seqs', String(seqs), '--model-name', 'bench'],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] }))));
const native = values['no-llama-server'] ? undefined : findNativeLlamaCpp();
if (native) {
  rows.push(...(await sweep(`llama-server -np ${seqs}`, 18432, () =>
    spawn(native.server, ['-m', model, '--port', '18432', '--host', '127.0.0.1', '-t', values.threads, '-c', String(ctx * seqs), '-np', String(seqs), '--alias', 'bench', '--no-webui'],
      { stdio: ['ignore', 'ignore', 'pipe'] }))));
} else if (!values['no-llama-server']) process.stderr.write('llama-server is not built (node --conditions=source --import tsx benchmarks/native-llamacpp.ts builds it); Legato only\n');

if (values.json) {
  for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
} else {
  const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'nan');
  const head = ['server', 'conc', 'ok', 'req/s', 'out tok/s', 'vs c=1', 'TTFT P50', 'TTFT P99', 'TPOT mean', 'ITL P50', 'ITL P99', 'P99/P50', 'smooth'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const one = rows.find((x) => x.server === r.server && x.concurrency === levels[0]);
    lines.push(`| ${[r.server, r.concurrency, `${r.completed}/${r.completed + r.failed}`, f(r.request_throughput, 2), f(r.output_throughput), one ? `${f(r.output_throughput / one.output_throughput, 2)}×` : '',
      f(r.ttft_ms.p50, 0), f(r.ttft_ms.p99, 0), f(r.tpot_ms.mean, 0), f(r.itl_ms.p50, 0), f(r.itl_ms.p99, 0), f(r.itl_ms.p99 / r.itl_ms.p50, 2), f(r.smoothness, 2)].join(' | ')} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n(latencies in ms; input ${values['input-len']} / output ${values['output-len']} tokens, ${values.threads} threads, ${seqs} sequences)\n`);
}
