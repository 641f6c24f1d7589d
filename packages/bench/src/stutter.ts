/**
 * The GC-stutter experiment: one chat workload, replayed under each KV-cache GC policy (and with
 * allocation-heavy decoding), over the same model and a KV pool large enough that a full sweep
 * costs a real pause. Each configuration runs several times, interleaved (A B C D A B C D …), so
 * a noisy second of a shared machine lands in one repeat rather than deciding a configuration;
 * decoding is paced to a chatbot's token time. Every run is measured with the metrics collector,
 * and the conclusion is computed from what was measured, with the spread across repeats.
 */
import { InferenceEngine, type EngineObserver, type LlamaModel } from '@legato/core';
import type { GcConfig, GcPolicy, KVCacheStats } from '@legato/kvcache';
import { MetricsCollector, type CollectedRun, type OutlierOptions } from '@legato/metrics';
import { AllocationChurn, type AllocationChurnOptions } from './alloc-churn.js';
import { longestSequence, playChat, type ChatTurnResult } from './chat.js';
import { GcLog, type GcRecord } from './gc-log.js';
import { collectorObserver, combineObservers } from './observers.js';
import { StepPacer, StepTimer, type Pacing } from './pacing.js';
import { calibrateSweep, kvBytesPerBlock, poolBytesForPause, type SweepCalibration } from './pool-sizing.js';
import { analyzeStutterRun, type AnalyzedRun, type StutterMode } from './stutter-analysis.js';
import { concludeStutter, type StutterConclusion } from './stutter-conclusion.js';
import { chatWorkload, type ChatWorkload } from './workloads.js';

/** The experiment cannot run as configured (a user's choice, not a bug). */
export class StutterConfigError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'StutterConfigError';
  }
}

/** One configuration of the experiment. */
export interface StutterRunConfig {
  policy: GcPolicy;
  mode: StutterMode;
}

/** The default runs: every policy, then 'off' with allocation-heavy decoding (V8 GC alone). */
export const DEFAULT_STUTTER_RUNS: readonly StutterRunConfig[] = [
  { policy: 'off', mode: 'normal' },
  { policy: 'eager', mode: 'normal' },
  { policy: 'periodic', mode: 'normal' },
  { policy: 'incremental', mode: 'normal' },
  { policy: 'off', mode: 'alloc-heavy' },
];

/** The quick version's runs: the baseline, the two schedules of the same cleanup, and V8 GC alone. */
export const QUICK_STUTTER_RUNS: readonly StutterRunConfig[] = [
  { policy: 'off', mode: 'normal' },
  { policy: 'periodic', mode: 'normal' },
  { policy: 'incremental', mode: 'normal' },
  { policy: 'off', mode: 'alloc-heavy' },
];

/**
 * The quick version (`--quick`, what `legato demo` runs): three users, two turns, four
 * configurations, three interleaved repeats. Each stream meets two or three sweeps per run.
 */
export const QUICK_STUTTER: Readonly<StutterLabOptions> = { users: 3, turns: 2, tokens: 60, repeats: 3, runs: QUICK_STUTTER_RUNS };

/** The default decode step time of the lab (ms): a chatbot's pace, ~25 tokens/s per stream. */
export const DEFAULT_STEP_MS = 40;

/**
 * The order runs execute in: every configuration once, then again, `repeats` times
 * (A B C D A B C D …), so slow drift and bursts of load spread over all configurations.
 */
export function interleavedSchedule<T>(configs: readonly T[], repeats: number): { config: T; repeat: number }[] {
  if (!Number.isInteger(repeats) || repeats < 1) throw new StutterConfigError(`repeats must be a positive integer, got ${repeats}`);
  const out: { config: T; repeat: number }[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) for (const config of configs) out.push({ config, repeat });
  return out;
}

/** Options for {@link runStutterLab}. */
export interface StutterLabOptions {
  /** Users chatting at once. Default 3. */
  users?: number;
  /** Conversations per user, one after another. Default 1. */
  conversationsPerUser?: number;
  /** Turns per conversation. Default 2. */
  turns?: number;
  /** Mean output tokens per reply. Default 70. */
  tokens?: number;
  /** Engine steps (= tokens of each stream) between periodic sweeps and incremental passes. Default 50. */
  interval?: number;
  /** KV pool bytes. Default: sized by calibration so that a sweep takes about `pauseMs`. */
  kvMemoryBytes?: number;
  /** Target sweep pause when sizing the pool. Default 100 ms. */
  pauseMs?: number;
  blockSize?: number;
  /**
   * Engine token budget per step (decode tokens first, then prefill chunks). Default 8: small
   * chunks keep a new turn's prefill from stalling the other streams (on a compute-bound CPU a
   * step's time grows with its tokens), so what stalls them is the GC under test.
   */
  maxBatchTokens?: number;
  runs?: readonly StutterRunConfig[];
  /** Times each configuration runs, interleaved with the others. Default 3. */
  repeats?: number;
  /**
   * Time of a decode step (ms): every engine step idles for this minus the median compute time
   * of the recent steps, so tokens come at a chatbot's pace (see {@link StepPacer}). 0 = unpaced
   * (the model's own speed). Default {@link DEFAULT_STEP_MS}.
   */
  stepMs?: number;
  /** The allocation-heavy mode's garbage. */
  churn?: AllocationChurnOptions;
  /** Spike detection. */
  outliers?: OutlierOptions;
  seed?: number;
  /**
   * Run a short untimed generation first so JIT compilation does not land in the first run.
   * Default true. A paced lab always runs it: it measures the step time the pacing tops up.
   */
  warmup?: boolean;
  /** Called after every finished turn with the tokens done so far across all runs. */
  onProgress?: (p: { run: string; done: number; total: number }) => void;
}

/** Everything one run recorded. */
export interface StutterRunResult {
  /** The configuration's name (the same for each of its repeats). */
  name: string;
  /** Which repeat of the configuration (0-based). */
  repeat: number;
  /** Position in the execution order (0-based). */
  order: number;
  config: StutterRunConfig;
  gc: GcConfig;
  /** Mean idle time the pacing added per engine step (ms; 0 unpaced). */
  meanIdleMs: number;
  collected: CollectedRun;
  gcEvents: GcRecord[];
  kvStats: KVCacheStats;
  turns: ChatTurnResult[];
  analysis: AnalyzedRun;
}

/** The experiment's setup, as run. */
export interface StutterSetup {
  model: string;
  backend: string;
  users: number;
  conversations: number;
  turns: number;
  tokensPerReply: number;
  interval: number;
  blockSize: number;
  kvMemoryBytes: number;
  kvBlocks: number;
  bytesPerBlock: number;
  contextSize: number;
  maxBatchTokens: number;
  repeats: number;
  pacing: Pacing;
  pauseTargetMs?: number;
  calibration?: SweepCalibration;
  seed: number;
}

/** The experiment's result. */
export interface StutterLabResult {
  setup: StutterSetup;
  /** Every run, in execution order. */
  runs: StutterRunResult[];
  conclusion: StutterConclusion;
}

/** A run's display name, e.g. "periodic:50", "incremental", "off+alloc". */
export function stutterRunName(c: StutterRunConfig, interval: number): string {
  const base = c.policy === 'periodic' ? `periodic:${interval}` : c.policy;
  return c.mode === 'alloc-heavy' ? `${base}+alloc` : base;
}

/**
 * The GC configuration of a run. Incremental gets the periodic sweep's work spread over the
 * interval (pool blocks / interval per step, no time cap), so the two do the same verification
 * and differ only in how it is scheduled. `retainCachedBlocks` bounds the prefix cache, so the
 * blocks of finished conversations become garbage the GC evicts and scrubs.
 */
export function stutterGcConfig(policy: GcPolicy, interval: number, blocks: number, retainCachedBlocks?: number): GcConfig {
  const retain = retainCachedBlocks === undefined ? {} : { retainCachedBlocks };
  switch (policy) {
    case 'periodic':
      return { policy, intervalTokens: interval, ...retain };
    case 'incremental':
      return { policy, intervalTokens: interval, budget: { blocks: Math.max(1, Math.ceil(blocks / interval)), microseconds: 1e9 }, ...retain };
    default:
      return { policy, ...retain };
  }
}

/** Runs the experiment on `model`. */
export async function runStutterLab(model: LlamaModel, opts: StutterLabOptions = {}): Promise<StutterLabResult> {
  const interval = opts.interval ?? 50;
  if (!Number.isInteger(interval) || interval < 1) throw new StutterConfigError(`interval must be a positive integer, got ${interval}`);
  const blockSize = opts.blockSize ?? 16;
  const seed = opts.seed ?? 1;
  const workload = chatWorkload({
    users: opts.users ?? 3,
    conversationsPerUser: opts.conversationsPerUser ?? 1,
    turns: opts.turns ?? 2,
    replyTokens: opts.tokens ?? 70,
    seed,
  });
  const longest = longestSequence(model.tokenizer, workload);
  const contextSize = Math.ceil((longest + 1) / blockSize) * blockSize;
  let calibration: SweepCalibration | undefined;
  let kvMemoryBytes = opts.kvMemoryBytes;
  if (kvMemoryBytes === undefined) {
    // Sweep cost per byte grows a little with the pool (caches, TLB): estimate from a probe, then
    // measure at the estimated size and correct once.
    const target = opts.pauseMs ?? 100;
    const first = calibrateSweep(model, { blockSize });
    calibration = calibrateSweep(model, { blockSize, probeBytes: poolBytesForPause(model, target, first, blockSize) });
    kvMemoryBytes = poolBytesForPause(model, target, calibration, blockSize);
  }
  const bytesPerBlock = kvBytesPerBlock(model, blockSize);
  const kvBlocks = Math.floor(kvMemoryBytes / bytesPerBlock);
  const needed = workload.users * Math.ceil(contextSize / blockSize);
  if (kvBlocks < needed) {
    throw new StutterConfigError(`a KV pool of ${kvBlocks} blocks cannot hold ${workload.users} conversations of up to ${longest} tokens (${needed} blocks)`);
  }
  const maxBatchTokens = opts.maxBatchTokens ?? 8;
  const configs = opts.runs ?? DEFAULT_STUTTER_RUNS;
  const schedule = interleavedSchedule(configs, opts.repeats ?? 3);
  const stepMs = opts.stepMs ?? DEFAULT_STEP_MS;
  if (!(Number.isFinite(stepMs) && stepMs >= 0)) throw new StutterConfigError(`the step time must be a finite number ≥ 0 ms, got ${stepMs}`);
  let computeStepMs = NaN;
  if ((opts.warmup ?? true) || stepMs > 0) computeStepMs = await warmup(model, { blockSize, users: workload.users, maxBatchTokens });
  const pacing: Pacing = { targetStepMs: stepMs, computeStepMs };
  const setup: StutterSetup = {
    model: model.config.name || model.path,
    backend: model.backend.name,
    users: workload.users,
    conversations: workload.conversations.length,
    turns: opts.turns ?? 2,
    tokensPerReply: opts.tokens ?? 70,
    interval,
    blockSize,
    kvMemoryBytes: kvBlocks * bytesPerBlock,
    kvBlocks,
    bytesPerBlock,
    contextSize,
    maxBatchTokens,
    repeats: opts.repeats ?? 3,
    pacing,
    pauseTargetMs: calibration ? (opts.pauseMs ?? 100) : undefined,
    calibration,
    seed,
  };

  const perRun = workload.conversations.reduce((a, c) => a + c.turns.reduce((b, t) => b + t.replyTokens, 0), 0);
  const total = perRun * schedule.length;
  const runs: StutterRunResult[] = [];
  for (let k = 0; k < schedule.length; k++) {
    const { config, repeat } = schedule[k];
    const name = stutterRunName(config, interval);
    // Room for every user's whole conversation between turns; finished conversations are evicted.
    const gc = stutterGcConfig(config.policy, interval, kvBlocks, needed);
    let done = perRun * k;
    const label = setup.repeats > 1 ? `${name} #${repeat + 1}` : name;
    const r = await runOnce(model, workload, {
      config, name, repeat, order: k, gc, interval, contextSize, blockSize, maxBatchTokens, kvMemoryBytes: setup.kvMemoryBytes, seed,
      pacing, churn: opts.churn, outliers: opts.outliers,
      onTurn: (tokens) => {
        done += tokens;
        opts.onProgress?.({ run: label, done, total });
      },
    });
    runs.push(r);
  }
  const conclusion = concludeStutter(runs.map((r) => r.analysis), { interval });
  return { setup, runs, conclusion };
}

interface RunOnceOptions {
  config: StutterRunConfig;
  name: string;
  repeat: number;
  order: number;
  pacing: Pacing;
  gc: GcConfig;
  interval: number;
  contextSize: number;
  blockSize: number;
  maxBatchTokens: number;
  kvMemoryBytes: number;
  seed: number;
  churn?: AllocationChurnOptions;
  outliers?: OutlierOptions;
  onTurn: (tokens: number) => void;
}

async function runOnce(model: LlamaModel, workload: ChatWorkload, o: RunOnceOptions): Promise<StutterRunResult> {
  const maxReply = Math.max(...workload.conversations.flatMap((c) => c.turns.map((t) => t.replyTokens)));
  const metrics = new MetricsCollector({ tokensPerRequest: maxReply + 1, outliers: o.outliers });
  const gcLog = new GcLog();
  let steps = 0;
  const hooks: EngineObserver = {
    onStep: () => void steps++,
    // The cycle runs inside step `steps + 1`, before its gauges are reported.
    onKvGc: (e) => gcLog.record(e, steps),
  };
  const churn = o.config.mode === 'alloc-heavy' ? new AllocationChurn(o.churn) : undefined;
  const observers = [collectorObserver(metrics), hooks];
  if (churn) observers.push({ onToken: () => churn.onToken() });
  // Last, so the collector and the GC log have seen the step before the idle time starts.
  const pacer = o.pacing.targetStepMs > 0 ? new StepPacer(o.pacing.targetStepMs, o.pacing.computeStepMs) : undefined;
  if (pacer) observers.push(pacer.observer);
  const engine = new InferenceEngine(model, {
    contextSize: o.contextSize,
    maxSequences: workload.users,
    maxBatchTokens: o.maxBatchTokens,
    blockSize: o.blockSize,
    kvMemoryBytes: o.kvMemoryBytes,
    // The pool was sized and its sweep calibrated in f32 blocks (pool-sizing.ts): keep that type,
    // so the engine's pool is the one the setup describes.
    kvType: 'f32',
    gc: o.gc,
    prefixCaching: true,
    observer: combineObservers(...observers),
  });
  metrics.start();
  try {
    const turns = await playChat(engine, workload, { seed: o.seed, onTurn: (t) => o.onTurn(t.outputTokens) });
    await engine.idle();
    await metrics.settle();
    metrics.stop();
    const collected = metrics.collect();
    const kvStats = engine.kvStats();
    const gcEvents = gcLog.records();
    const analysis = analyzeStutterRun({
      name: o.name,
      repeat: o.repeat,
      policy: o.config.policy,
      mode: o.config.mode,
      interval: o.interval,
      collected,
      gc: gcEvents,
      kvStats,
    });
    return { name: o.name, repeat: o.repeat, order: o.order, config: o.config, gc: o.gc, meanIdleMs: pacer?.meanIdleMs() ?? 0, collected, gcEvents, kvStats, turns, analysis };
  } finally {
    metrics.stop();
    engine.dispose();
    churn?.release();
  }
}

/**
 * A short untimed chat through the same engine code paths, with the lab's batch shape; resolves
 * with its median step time (the model's own time per decode step on this machine).
 */
async function warmup(model: LlamaModel, o: { blockSize: number; users: number; maxBatchTokens: number }): Promise<number> {
  const w = chatWorkload({ users: o.users, conversationsPerUser: 1, turns: 2, replyTokens: 16, seed: 99 });
  const contextSize = Math.ceil((longestSequence(model.tokenizer, w) + 1) / o.blockSize) * o.blockSize;
  const timer = new StepTimer();
  const engine = new InferenceEngine(model, { contextSize, maxSequences: o.users, blockSize: o.blockSize, maxBatchTokens: o.maxBatchTokens, kvType: 'f32', observer: timer.observer });
  try {
    await playChat(engine, w);
  } finally {
    engine.dispose();
  }
  return timer.median();
}
