/**
 * @legato/bench — benchmarks and experiments over the engine: the GC-stutter lab, llama-bench's
 * pp/tg tests, and a serving load generator with vLLM's arrival model and goodput. Every result
 * carries the metrics package's per-token timelines, so it can be written as a report.
 *
 * @example
 * ```ts
 * import { loadBenchModel, runStutterLab, formatStutterTable, formatConclusion, writeStutterReport } from '@legato/bench';
 *
 * const model = await loadBenchModel();                  // synthesized stories42M, cached
 * const lab = await runStutterLab(model, { interval: 50, pauseMs: 100 });
 * console.log(formatStutterTable(lab));                  // one row per GC policy / mode
 * console.log(formatConclusion(lab.conclusion));         // each claim checked against the data
 * await writeStutterReport('reports/stutter', lab);      // JSON, Markdown, SVG plots, HTML
 *
 * // llama-bench's tests, and a serving load with goodput:
 * const lb = await runLlamaBench(model, { nPrompt: [128, 512], nGen: [128], repetitions: 3 });
 * console.log(formatLlamaBenchTable(lb.model, lb.tests));
 * const requests = randomRequests({ count: 64, inputLen: 128, outputLen: 64, vocabSize: model.config.vocabSize });
 * const served = await serveEngine(model, requests, { rate: 4, burstiness: 0.5, slo: { ttftMs: 500, tpotMs: 50 } });
 * console.log(formatServeSummary(served.summary));
 * model.dispose();
 * ```
 */
export * from './random.js';
export * from './arrivals.js';
export * from './workloads.js';
export * from './chat.js';
export * from './observers.js';
export * from './gc-log.js';
export * from './alloc-churn.js';
export * from './pool-sizing.js';
export * from './stutter-analysis.js';
export * from './stutter-conclusion.js';
export * from './pacing.js';
export * from './stutter.js';
export * from './stutter-format.js';
export * from './text-table.js';
export * from './reports.js';
export * from './progress.js';
export * from './bench-model.js';
export * from './llama-bench.js';
export * from './goodput.js';
export * from './serve.js';
export * from './http-target.js';
export * from './dataset.js';
export * from './soak.js';
