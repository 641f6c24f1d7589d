/**
 * The JSON report: the raw per-token timeline of every request, gauges, events, spikes and
 * summaries, in the spirit of `vllm bench serve --save-result`, so a run can be re-analysed
 * later without re-running it. Typed arrays become plain arrays; NaN becomes null.
 */
import type { ReportInput } from './types.js';
import { GAUGE_COLUMNS } from '../gauges.js';

/** Identifies the layout of the JSON report; bumped when it changes incompatibly. */
export const REPORT_SCHEMA = 'legato.metrics.report/1';

/** The JSON-ready report object. */
export function reportJson(input: ReportInput, createdAt = new Date()): unknown {
  return {
    schema: REPORT_SCHEMA,
    title: input.title,
    description: input.description,
    createdAt: createdAt.toISOString(),
    clock: 'ms, performance.now() of the recording process',
    meta: input.meta ?? {},
    runs: input.runs.map((r) => ({
      name: r.name,
      summary: r.summary,
      timeline: r.timeline.map((t) => ({
        id: t.id,
        arrival: t.arrival,
        admission: t.admission,
        prefillStart: t.prefillStart,
        prefillEnd: t.prefillEnd,
        promptTokens: t.promptTokens,
        finish: t.finish,
        finishReason: t.finishReason,
        tokenTimes: Array.from(t.tokenTimes),
        chunkTokens: t.chunkTokens ? Array.from(t.chunkTokens) : undefined,
      })),
      gauges: r.gauges
        ? Object.fromEntries([['length', r.gauges.length], ...GAUGE_COLUMNS.map((c) => [c, Array.from(r.gauges![c])])])
        : undefined,
      kvGcEvents: r.kvGcEvents ?? [],
      v8GcEvents: r.v8GcEvents ?? [],
      spikes: r.spikes ?? [],
    })),
  };
}

/** The JSON report as text. */
export function reportJsonText(input: ReportInput, createdAt = new Date()): string {
  return JSON.stringify(reportJson(input, createdAt));
}
