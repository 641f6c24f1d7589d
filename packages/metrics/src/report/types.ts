/** The input of every report writer. */
import type { MetricsSummary } from '../summary.js';
import type { RequestTimeline } from '../timeline.js';
import type { GaugeColumns } from '../gauges.js';
import type { KvGcEvent } from '../event-logs.js';
import type { V8GcEvent } from '../v8gc.js';
import type { Spike } from '../attribution.js';

/** One run (a configuration, a policy, a load level) to report side by side with others. */
export interface ReportRun {
  name: string;
  summary: MetricsSummary;
  /** Per-request timelines, the raw per-token data. */
  timeline: readonly RequestTimeline[];
  gauges?: GaugeColumns;
  kvGcEvents?: readonly KvGcEvent[];
  v8GcEvents?: readonly V8GcEvent[];
  spikes?: readonly Spike[];
}

/** A report: a title and the runs it compares. */
export interface ReportInput {
  title: string;
  /** A paragraph shown under the title (plain text). */
  description?: string;
  runs: readonly ReportRun[];
  /** Free-form facts about the setup (model, machine, flags), written to the JSON and shown as a table. */
  meta?: Record<string, string | number | boolean>;
}
