/**
 * The engine soak: thousands of requests with random prompt and output lengths through one
 * engine, a share of them aborted at random moments (queued, mid-prefill, mid-decode) and a share
 * with invalid options. It proves the lifecycle rather than the speed: afterwards no KV block is
 * leaked (the pool's full audit), every generation settled, memory did not grow, and the requests
 * that completed produced the same text as the same seeds run alone.
 */
import { DEFAULT_KV_TYPE, InferenceEngine, InvalidOptionError, kvBytesPerToken, type Generation, type GenerateOptions, type LlamaModel } from '@legato/core';
import { Rng } from './random.js';

export interface SoakOptions {
  /** Requests to submit. */
  requests: number;
  /** Requests in flight at once (the rest wait to be submitted). Default 24. */
  concurrency?: number;
  /** The engine's running-sequence limit. Default 8. */
  maxSequences?: number;
  /** Share of requests aborted at a random moment. Default 0.3. */
  abortShare?: number;
  /** Share of requests submitted with an invalid option. Default 0.05. */
  invalidShare?: number;
  /** Completed requests re-run alone to compare texts. Default 50. */
  verify?: number;
  seed?: number;
  /** KV pool bytes: small enough that preemption happens. Default: a quarter of every sequence at full context. */
  kvMemoryBytes?: number;
  contextSize?: number;
  /** Called every `progressEvery` settled requests. */
  onProgress?: (done: number, total: number) => void;
}

export type AbortMoment = 'queued' | 'prefill' | 'decode';

export interface SoakReport {
  requests: number;
  completed: number;
  aborted: Record<AbortMoment, number>;
  /** Aborted requests whose result said 'abort' (an abort may land after the request finished). */
  abortedResults: number;
  invalidRejected: number;
  /** Invalid requests that were not rejected with InvalidOptionError (must be 0). */
  invalidAccepted: number;
  /** Generations that rejected (must be 0: nothing here should fail). */
  failed: number;
  unsettled: number;
  preemptions: number;
  generatedTokens: number;
  kvBlocksLeaked: number;
  kvSequencesLeaked: number;
  kvAuditPassed: boolean;
  rssWarmMB: number;
  rssEndMB: number;
  rssGrowth: number;
  /** V8 heap in use after warm-up and at the end (after a collection when --expose-gc). */
  heapWarmMB: number;
  heapEndMB: number;
  verified: number;
  mismatches: number;
  seconds: number;
}

interface Plan {
  prompt: number[];
  options: GenerateOptions;
  abort: AbortMoment | undefined;
  abortAfter: number;
}

const INVALID: GenerateOptions[] = [
  { maxTokens: -1 },
  { maxTokens: Number.NaN },
  { maxTokens: 1.5 },
  { temperature: Number.NaN },
  { topP: 7 },
  { stop: [''] },
  { stop: 42 as never },
  { logprobs: 500 },
  { seed: 0.5 },
];

function plan(rng: Rng, vocab: number, bos: number, contextSize: number, abortShare: number): Plan {
  const promptLen = rng.int(1, Math.min(96, contextSize / 4));
  const prompt = [bos];
  for (let i = 1; i < promptLen; i++) prompt.push(rng.int(3, vocab - 1));
  const maxTokens = rng.int(1, 48);
  const roll = rng.next();
  const abort: AbortMoment | undefined = roll < abortShare ? rng.pick(['queued', 'prefill', 'decode'] as const) : undefined;
  return {
    prompt,
    options: { maxTokens, temperature: 0.8, seed: rng.int(0, 1 << 30), ignoreEos: rng.next() < 0.5 },
    abort,
    abortAfter: rng.int(1, Math.max(1, maxTokens - 1)),
  };
}

/** RSS after a full collection when the process allows one (`node --expose-gc`), so garbage not yet collected is not counted as growth. */
function rssMB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

/** Runs the soak on `model` (use the engine's defaults otherwise) and returns its figures. */
export async function runSoak(model: LlamaModel, o: SoakOptions): Promise<SoakReport> {
  const t0 = performance.now();
  const rng = new Rng(o.seed ?? 1);
  const concurrency = o.concurrency ?? 24;
  const abortShare = o.abortShare ?? 0.3;
  const invalidShare = o.invalidShare ?? 0.05;
  const contextSize = o.contextSize ?? 256;
  const maxSequences = o.maxSequences ?? 8;
  const c = model.config;
  const bytesPerToken = kvBytesPerToken(c.nLayers, c.kvDim, DEFAULT_KV_TYPE); // the engine's cache type
  const controllers = new Map<number, AbortController>();
  const engine = new InferenceEngine(model, {
    contextSize,
    maxSequences,
    maxBatchTokens: 64,
    blockSize: 16,
    kvMemoryBytes: o.kvMemoryBytes ?? Math.floor((maxSequences * contextSize * bytesPerToken) / 4),
    // An abort planned for prefill fires when the request is admitted: its prompt is then being computed.
    observer: { onAdmission: (id) => controllers.get(id)?.abort() },
  });
  const vocab = c.vocabSize;
  const bos = model.tokenizer.vocab.ids.bos >= 0 ? model.tokenizer.vocab.ids.bos : 1;
  const report: SoakReport = {
    requests: o.requests, completed: 0, aborted: { queued: 0, prefill: 0, decode: 0 }, abortedResults: 0,
    invalidRejected: 0, invalidAccepted: 0, failed: 0, unsettled: 0, preemptions: 0, generatedTokens: 0,
    kvBlocksLeaked: 0, kvSequencesLeaked: 0, kvAuditPassed: false, rssWarmMB: 0, rssEndMB: 0, rssGrowth: 0, heapWarmMB: 0, heapEndMB: 0,
    verified: 0, mismatches: 0, seconds: 0,
  };
  const completed: { plan: Plan; text: string; ids: number[] }[] = [];
  let settled = 0;
  let submitted = 0;
  const warmAt = Math.max(1, Math.floor(o.requests / 5));
  // Keep only the completions to verify, so the harness's own memory does not grow with the run.
  const verifyTarget = o.verify ?? 50;
  const keepEvery = Math.max(1, Math.floor((o.requests * 0.6) / Math.max(1, verifyTarget)));
  let completedCount = 0;

  const one = async (p: Plan): Promise<void> => {
    const ac = p.abort ? new AbortController() : undefined;
    let g: Generation;
    g = engine.submit(p.prompt, { ...p.options, signal: ac?.signal });
    if (p.abort === 'queued') ac!.abort();
    else if (p.abort === 'prefill') controllers.set(g.id, ac!);
    if (p.abort) report.aborted[p.abort]++;
    try {
      let n = 0;
      for await (const t of g) {
        if (t.id >= 0) n++;
        if (p.abort === 'decode' && n === p.abortAfter) ac!.abort();
      }
      const r = await g.result();
      report.preemptions += r.preemptions;
      report.generatedTokens += r.ids.length;
      if (r.finishReason === 'abort') report.abortedResults++;
      else if (!p.abort) {
        report.completed++;
        if (completedCount++ % keepEvery === 0) completed.push({ plan: p, text: r.text, ids: r.ids });
      }
    } catch {
      report.failed++;
    } finally {
      controllers.delete(g.id);
    }
  };

  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const next = (): void => {
      while (inFlight < concurrency && submitted < o.requests) {
        submitted++;
        if (rng.next() < invalidShare) {
          try {
            engine.submit([bos], rng.pick(INVALID));
            report.invalidAccepted++;
          } catch (e) {
            if (e instanceof InvalidOptionError) report.invalidRejected++;
            else report.invalidAccepted++;
          }
          settled++;
          continue;
        }
        inFlight++;
        void one(plan(rng, vocab, bos, contextSize, abortShare)).finally(() => {
          inFlight--;
          settled++;
          if (settled === warmAt) {
            report.rssWarmMB = rssMB();
            report.heapWarmMB = process.memoryUsage().heapUsed / 2 ** 20;
          }
          if (o.onProgress && settled % 500 === 0) o.onProgress(settled, o.requests);
          if (settled >= o.requests) resolve();
          else next();
        });
      }
      if (settled >= o.requests) resolve();
    };
    next();
  });
  await engine.idle();
  report.unsettled = o.requests - settled;
  const stats = engine.kvStats();
  report.kvBlocksLeaked = stats.blocksUsed;
  report.kvSequencesLeaked = stats.sequencesResident + stats.sequencesSwapped;
  try {
    engine.pool.checkInvariants();
    report.kvAuditPassed = true;
  } catch {
    report.kvAuditPassed = false;
  }
  engine.dispose();
  report.rssEndMB = rssMB();
  report.heapEndMB = process.memoryUsage().heapUsed / 2 ** 20;
  if (report.rssWarmMB === 0) report.rssWarmMB = report.rssEndMB;
  report.rssGrowth = report.rssEndMB / report.rssWarmMB - 1;

  // The same seeds alone: one sequence, a fresh context each, so nothing is shared with the soak.
  const verify = Math.min(o.verify ?? 50, completed.length);
  const step = completed.length / Math.max(1, verify);
  for (let i = 0; i < verify; i++) {
    const c1 = completed[Math.floor(i * step)];
    const ctx = model.createContext({ contextSize, blockSize: 16 });
    const alone = await ctx.generate(c1.plan.prompt, c1.plan.options).result();
    ctx.dispose();
    report.verified++;
    if (alone.text !== c1.text || alone.ids.join() !== c1.ids.join()) report.mismatches++;
  }
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

/** The report as the lines `pnpm soak` prints. */
export function formatSoak(r: SoakReport): string {
  const a = r.aborted;
  return [
    `requests            ${r.requests} in ${r.seconds.toFixed(1)} s (${r.generatedTokens} tokens generated, ${r.preemptions} preemptions)`,
    `completed           ${r.completed}`,
    `aborted             queued ${a.queued}, prefill ${a.prefill}, decode ${a.decode} (${r.abortedResults} ended with finishReason abort)`,
    `invalid options     ${r.invalidRejected} rejected with InvalidOptionError, ${r.invalidAccepted} accepted`,
    `failed / unsettled  ${r.failed} / ${r.unsettled}`,
    `KV leaked           ${r.kvBlocksLeaked} blocks, ${r.kvSequencesLeaked} sequences; audit ${r.kvAuditPassed ? 'passed' : 'FAILED'}`,
    `RSS                 ${r.rssWarmMB.toFixed(1)} MB after warm-up → ${r.rssEndMB.toFixed(1)} MB at the end (${(r.rssGrowth * 100).toFixed(1)} %); V8 heap ${r.heapWarmMB.toFixed(1)} → ${r.heapEndMB.toFixed(1)} MB`,
    `alone vs batched    ${r.verified - r.mismatches}/${r.verified} identical`,
  ].join('\n');
}
