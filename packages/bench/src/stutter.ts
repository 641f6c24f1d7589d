/**
 * The GC-stutter experiment: one chat workload, replayed under each KV-cache GC policy (and once
 * with allocation-heavy decoding), over the same model and a KV pool large enough that a full
 * sweep costs a real pause. Every run is measured with the metrics collector, and the conclusion
 * is computed from what was measured.
 */
import { InferenceEngine, type EngineObserver, type LlamaModel } from '@legato/core';
import type { GcConfig, GcPolicy, KVCacheStats } from '@legato/kvcache';
import { MetricsCollector, type CollectedRun, type OutlierOptions } from '@legato/metrics';
import { AllocationChurn, type AllocationChurnOptions } from './alloc-churn.js';
import { longestSequence, playChat, type ChatTurnResult } from './chat.js';
import { GcLog, type GcRecord } from './gc-log.js';
import { collectorObserver, combineObservers } from './observers.js';
import { calibrateSweep, kvBytesPerBlock, poolBytesForPause, type SweepCalibration } from './pool-sizing.js';
import {
  analyzeStutterRun,
  concludeStutter,
  type AnalyzedRun,
  type StutterConclusion,
  type StutterMode,
} from './stutter-analysis.js';
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
 * The quick version (`--quick`, what `legato demo` runs): three users, two short turns, four runs.
 * Each stream still meets a couple of sweeps, so the shape shows in about 15 s.
 */
export const QUICK_STUTTER: Readonly<StutterLabOptions> = { users: 3, turns: 2, tokens: 50, runs: QUICK_STUTTER_RUNS };

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
  /** The allocation-heavy mode's garbage. */
  churn?: AllocationChurnOptions;
  /** Spike detection. */
  outliers?: OutlierOptions;
  seed?: number;
  /** Run a short untimed generation first so JIT compilation does not land in the first run. Default true. */
  warmup?: boolean;
  /** Called after every finished turn with the tokens done so far across all runs. */
  onProgress?: (p: { run: string; done: number; total: number }) => void;
}

/** Everything one run recorded. */
export interface StutterRunResult {
  name: string;
  config: StutterRunConfig;
  gc: GcConfig;
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
  pauseTargetMs?: number;
  calibration?: SweepCalibration;
  seed: number;
}

/** The experiment's result. */
export interface StutterLabResult {
  setup: StutterSetup;
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
    pauseTargetMs: calibration ? (opts.pauseMs ?? 100) : undefined,
    calibration,
    seed,
  };

  if (opts.warmup ?? true) await warmup(model, blockSize);

  const configs = opts.runs ?? DEFAULT_STUTTER_RUNS;
  const perRun = workload.conversations.reduce((a, c) => a + c.turns.reduce((b, t) => b + t.replyTokens, 0), 0);
  const total = perRun * configs.length;
  const runs: StutterRunResult[] = [];
  for (let k = 0; k < configs.length; k++) {
    const config = configs[k];
    const name = stutterRunName(config, interval);
    // Room for every user's whole conversation between turns; finished conversations are evicted.
    const gc = stutterGcConfig(config.policy, interval, kvBlocks, needed);
    let done = perRun * k;
    const r = await runOnce(model, workload, {
      config, name, gc, interval, contextSize, blockSize, maxBatchTokens, kvMemoryBytes: setup.kvMemoryBytes, seed,
      churn: opts.churn, outliers: opts.outliers,
      onTurn: (tokens) => {
        done += tokens;
        opts.onProgress?.({ run: name, done, total });
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
  const engine = new InferenceEngine(model, {
    contextSize: o.contextSize,
    maxSequences: workload.users,
    maxBatchTokens: o.maxBatchTokens,
    blockSize: o.blockSize,
    kvMemoryBytes: o.kvMemoryBytes,
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
      policy: o.config.policy,
      mode: o.config.mode,
      interval: o.interval,
      collected,
      gc: gcEvents,
      kvStats,
    });
    return { name: o.name, config: o.config, gc: o.gc, collected, gcEvents, kvStats, turns, analysis };
  } finally {
    metrics.stop();
    engine.dispose();
    churn?.release();
  }
}

/** A short untimed generation through the same engine code paths. */
async function warmup(model: LlamaModel, blockSize: number): Promise<void> {
  const w = chatWorkload({ users: 2, conversationsPerUser: 1, turns: 2, replyTokens: 12, seed: 99 });
  const contextSize = Math.ceil((longestSequence(model.tokenizer, w) + 1) / blockSize) * blockSize;
  const engine = new InferenceEngine(model, { contextSize, maxSequences: 2, blockSize, maxBatchTokens: 64 });
  try {
    await playChat(engine, w);
  } finally {
    engine.dispose();
  }
}
