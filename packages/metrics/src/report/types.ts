/** The input of every report writer. */
import type { MetricsSummary } from '../summary.js';
import type { RequestTimeline } from '../timeline.js';
import type { GaugeColumns } from '../gauges.js';
import type { KvGcEvent } from '../event-logs.js';
import type { V8GcEvent } from '../v8gc.js';
import type { Spike } from '../attribution.js';
import type { Table } from './tables.js';

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

/** A claim the report's data was checked against, shown first with its mark. */
export interface ReportConclusion {
  /** ✓ holds, ✗ fails, ? could not be decided. */
  mark: '✓' | '✗' | '?';
  claim: string;
  /** The numbers behind the mark (plain text). */
  evidence?: string;
}

/** A report: a title and the runs it compares. */
export interface ReportInput {
  title: string;
  /** Claims checked against the data, shown first as a ✓/✗ list. */
  conclusions?: readonly ReportConclusion[];
  /** A paragraph shown under the title and the conclusions (plain text). */
  description?: string;
  /** The report's own tables (e.g. a spread over repeats), shown before the plots and the standard tables. */
  leadTables?: readonly Table[];
  /** Panels per row of the per-run ITL-by-position plot. Default 2. */
  panelColumns?: number;
  runs: readonly ReportRun[];
  /** Free-form facts about the setup (model, machine, flags), written to the JSON and shown as a table. */
  meta?: Record<string, string | number | boolean>;
}
