/**
 * The long GGUF fuzz run: mutates every shared model (top level, legacy/, random/, vocab/) with the
 * structural mutations of test/gguf/mutations.ts and loads each result from memory. Every case must
 * end in a GGUFError or a load; anything else (another exception, a case slower than the limit, a
 * hang) is reported with the mutation that caused it and fails the run.
 *
 * Cases run in a worker thread so a hang is caught: the main thread watches the worker's progress
 * and terminates it when one case runs past --hang-ms.
 *
 *   pnpm fuzz:gguf --cases 100000 [--seed 1] [--limit-ms 2000] [--hang-ms 10000]
 *
 * Prints: cases run, errors by code, loads that succeeded, the slowest case (ms and its mutation),
 * peak RSS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { Arena } from '@legato/quant';
import { modelsDir } from '../../../testing/models.js';
import { applyMutations, mutationsArb, runCase, scanLayout } from '../test/gguf/mutations.js';

interface Job {
  cases: number;
  seed: number;
}

type Msg =
  | { t: 'start'; i: number; label: string }
  | { t: 'done'; i: number; outcome: string; ms: number }
  | { t: 'bad'; i: number; label: string; error: string }
  | { t: 'end' };

/** Every .gguf file of the shared models: top level and one folder down. */
function corpus(): string[] {
  const root = modelsDir();
  const files: string[] = [];
  for (const d of ['', 'legacy', 'random', 'vocab']) {
    for (const f of readdirSync(join(root, d))) if (f.endsWith('.gguf')) files.push(join(root, d, f));
  }
  return files.sort();
}

async function worker(job: Job): Promise<void> {
  const port = parentPort!;
  const files = corpus().map((path) => {
    const bytes = new Uint8Array(readFileSync(path));
    return { name: relative(modelsDir(), path), bytes, layout: scanLayout(bytes) };
  });
  const arena = new Arena({ initialBytes: 16 << 20 });
  const BATCH = 1000;
  for (let start = 0; start < job.cases; start += BATCH) {
    const n = Math.min(BATCH, job.cases - start);
    const batch = fc.sample(mutationsArb, { numRuns: n, seed: job.seed + start });
    for (let k = 0; k < n; k++) {
      const i = start + k;
      const f = files[i % files.length];
      let full = `${f.name}: ${JSON.stringify(batch[k], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`;
      port.postMessage({ t: 'start', i, label: full } satisfies Msg);
      try {
        const { bytes, label } = applyMutations(f.bytes, f.layout, batch[k]);
        full = `${f.name}: ${label}`;
        port.postMessage({ t: 'start', i, label: full } satisfies Msg);
        const r = await runCase(bytes, arena);
        port.postMessage({ t: 'done', i, outcome: r.outcome, ms: r.ms } satisfies Msg);
      } catch (e) {
        port.postMessage({ t: 'bad', i, label: full, error: String((e as Error)?.stack ?? e).slice(0, 2000) } satisfies Msg);
      }
    }
  }
  port.postMessage({ t: 'end' } satisfies Msg);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      'limit-ms': { type: 'string', default: '2000' },
      'hang-ms': { type: 'string', default: '10000' },
    },
  });
  const cases = Number(values.cases);
  const seed = Number(values.seed);
  const limitMs = Number(values['limit-ms']);
  const hangMs = Number(values['hang-ms']);
  for (const [k, v] of Object.entries({ cases, seed, limitMs, hangMs })) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${k} must be a non-negative integer`);
  }
  const files = corpus();
  console.log(`fuzzing ${files.length} GGUF files from ${modelsDir()}: ${cases} cases, seed ${seed}`);

  const byCode = new Map<string, number>();
  const bad: { label: string; error: string }[] = [];
  const slow: { label: string; ms: number }[] = [];
  let slowest = { ms: 0, label: '' };
  let done = 0;
  let current = { i: -1, label: '', since: performance.now() };
  const t0 = performance.now();
  let lastReport = t0;

  // A worker does not inherit the tsx loader: register it, then load this file as the worker.
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const w = new Worker(boot, { eval: true, workerData: { cases, seed } satisfies Job, execArgv: ['--conditions=source'] });
  let finished = false;
  const finish = (hang?: string): void => {
    if (finished) return;
    finished = true;
    clearInterval(watch);
    const secs = (performance.now() - t0) / 1000;
    const loaded = byCode.get('loaded') ?? 0;
    console.log(`\ncases run: ${done} in ${secs.toFixed(1)} s (${(done / secs).toFixed(0)} cases/s)`);
    console.log(`loads that succeeded: ${loaded}`);
    console.log('errors by code:');
    for (const [code, n] of [...byCode].filter(([c]) => c !== 'loaded').sort((a, b) => b[1] - a[1])) {
      console.log(`  ${code.padEnd(22)} ${n}`);
    }
    console.log(`slowest case: ${slowest.ms.toFixed(1)} ms — ${slowest.label}`);
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (main thread and worker)`);
    const problems = bad.length + slow.length + (hang ? 1 : 0);
    if (hang) console.log(`HANG: no progress for ${hangMs} ms in case ${current.i}: ${hang}`);
    for (const s of slow.slice(0, 20)) console.log(`SLOW (> ${limitMs} ms): ${s.ms.toFixed(0)} ms — ${s.label}`);
    for (const b of bad.slice(0, 20)) console.log(`MISBEHAVED (not a GGUFError, a message over 400 chars, or a tensor outside the file): ${b.label}\n  ${b.error.split('\n').slice(0, 4).join('\n  ')}`);
    console.log(problems === 0 ? 'OK: every case ended in a GGUFError or a load within the limit' : `FAILED: ${problems} problem case(s)`);
    process.exitCode = problems === 0 ? 0 : 1;
  };
  const watch = setInterval(() => {
    if (current.i >= 0 && performance.now() - current.since > hangMs) {
      const label = current.label;
      void w.terminate().then(() => finish(label));
    }
    if (process.stderr.isTTY) process.stderr.write(`\r${done}/${cases}`);
    else if (performance.now() - lastReport > 30_000) {
      lastReport = performance.now();
      console.log(`${done}/${cases} cases after ${((lastReport - t0) / 1000).toFixed(0)} s`);
    }
  }, 250);
  w.on('message', (m: Msg) => {
    if (m.t === 'start') current = { i: m.i, label: m.label, since: performance.now() };
    else if (m.t === 'done') {
      done++;
      byCode.set(m.outcome, (byCode.get(m.outcome) ?? 0) + 1);
      if (m.ms > slowest.ms) slowest = { ms: m.ms, label: current.label };
      if (m.ms > limitMs) slow.push({ ms: m.ms, label: current.label });
      current = { i: -1, label: '', since: performance.now() };
    } else if (m.t === 'bad') {
      done++;
      byCode.set('MISBEHAVED', (byCode.get('MISBEHAVED') ?? 0) + 1);
      bad.push({ label: m.label, error: m.error });
      current = { i: -1, label: '', since: performance.now() };
    } else {
      void w.terminate().then(() => finish());
    }
  });
  w.on('error', (e) => {
    bad.push({ label: current.label, error: String(e?.stack ?? e) });
    finish();
  });
}

if (isMainThread) main();
else await worker(workerData as Job);
