/**
 * @legato/metrics — the latency lab's measurements: what users feel, not averages.
 *
 * Mean latency and tokens/s can look fine while users see a slow start and stutter. This
 * package records every token's time, then reports TTFT distributions, ITL histograms and
 * their tails under each benchmark tool's definition, a smoothness score, KV-cache pressure
 * and prefill queue depth per step, and labels every ITL spike with what overlapped it
 * (a V8 GC, a KV-cache GC cycle, a prefill chunk, or nothing known).
 *
 * @example
 * ```ts
 * import { MetricsCollector, writeReport } from '@legato/metrics';
 *
 * const metrics = new MetricsCollector({ tokensPerRequest: 512 }).start(); // start() observes V8 GC
 * const off = metrics.subscribe((e) => {
 *   // e is reused: copy what you keep
 *   if (e.type === 'token' && e.gapMs > 100) dashboard.flagStall(e.requestId, e.gapMs);
 * });
 *
 * // In the engine (times default to performance.now()):
 * metrics.onRequestArrival('r1');
 * metrics.onAdmission('r1');
 * metrics.onPrefill(t0, t1, 512, 'r1');
 * metrics.onToken('r1');                       // once per emitted token (or chunk: onToken(id, t, n))
 * metrics.onStep({ time: performance.now(), kvBlocksUsed: 120, kvBlocksCached: 8, kvBlocksFree: 128,
 *                  waiting: 3, running: 8, stepTokens: 8 });
 * metrics.onKvGc({ startTime, durationMs, blocksFreed: 16 });
 * metrics.onFinish('r1', performance.now(), 'stop');
 *
 * await metrics.settle();                      // let pending GC entries arrive
 * metrics.stop();
 * console.log(metrics.summary().itl.p99, metrics.summary().smoothness.score);
 *
 * const run = metrics.collect();
 * await writeReport('out/lab', { title: 'Chunked prefill on/off', runs: [{ name: 'chunked', ...run }] });
 * // → out/lab/report.json, report.md, report.html, itl-histogram.svg, itl-by-position.svg, …
 * off();
 * ```
 */
export * from './timeline.js';
export * from './stats.js';
export * from './histogram.js';
export * from './definitions.js';
export * from './smoothness.js';
export * from './gauges.js';
export * from './intervals.js';
export * from './v8gc.js';
export * from './event-logs.js';
export * from './attribution.js';
export * from './summary.js';
export * from './collector.js';
export * from './report/types.js';
export * from './report/tables.js';
export * from './report/json.js';
export * from './report/markdown.js';
export * from './report/html.js';
export * from './report/charts.js';
export * from './report/svg.js';
export * from './report/write.js';
