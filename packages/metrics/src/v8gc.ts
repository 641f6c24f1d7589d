/**
 * Records V8 garbage collections as they happen, from Node's `gc` performance entries,
 * into a preallocated ring so a long run keeps the most recent `capacity` collections.
 *
 * Entries reach the observer asynchronously: V8 reports a collection after it ends and
 * Node delivers the entries on a later macrotask. Before attributing spikes, let the event
 * loop turn once ({@link V8GcRecorder.settle}). Entry times are on the `performance.now()`
 * clock, like token times.
 */
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { IntervalLog, type IntervalSnapshot } from './intervals.js';

/** Kind of a V8 collection: scavenge (minor), mark-sweep-compact (major), incremental marking, weak callbacks. */
export type V8GcKind = 'minor' | 'major' | 'incremental' | 'weakcb' | 'other';

/** Names the kind flag of a `gc` entry (`entry.detail.kind`). */
export function v8GcKindName(flag: number): V8GcKind {
  switch (flag) {
    case constants.NODE_PERFORMANCE_GC_MINOR:
      return 'minor';
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return 'major';
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return 'incremental';
    case constants.NODE_PERFORMANCE_GC_WEAKCB:
      return 'weakcb';
    default:
      return 'other';
  }
}

/** One recorded collection. */
export interface V8GcEvent {
  startTime: number;
  durationMs: number;
  kind: V8GcKind;
}

/** Observes V8 collections into a ring of `capacity` entries (start, duration, kind flag). */
export class V8GcRecorder {
  /** The ring; `value` holds the kind flag. */
  readonly log: IntervalLog;
  private observer: PerformanceObserver | null = null;

  constructor(capacity = 1024) {
    this.log = new IntervalLog(capacity, { overwrite: true });
  }

  /** Whether the observer is connected. */
  get observing(): boolean {
    return this.observer !== null;
  }

  /** Starts observing (idempotent). */
  start(): this {
    if (this.observer) return this;
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.recordEntry(e);
    });
    this.observer.observe({ entryTypes: ['gc'] });
    return this;
  }

  /** Stops observing, first taking any entries still queued. */
  stop(): void {
    if (!this.observer) return;
    for (const e of this.observer.takeRecords()) this.recordEntry(e);
    this.observer.disconnect();
    this.observer = null;
  }

  /**
   * Resolves after one timer turn of the event loop, by which time Node has delivered the
   * entries of collections that already ended.
   */
  settle(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  /** Records a collection directly (replayed data, or an engine with its own GC hooks). */
  record(startTime: number, durationMs: number, kindFlag: number): void {
    this.log.record(startTime, durationMs, kindFlag);
  }

  /** Recorded collections, oldest first. */
  events(): V8GcEvent[] {
    const out: V8GcEvent[] = [];
    this.log.forEach((startTime, durationMs, flag) => out.push({ startTime, durationMs, kind: v8GcKindName(flag) }));
    return out;
  }

  /** Chronological copy for interval queries. */
  snapshot(): IntervalSnapshot {
    return this.log.snapshot();
  }

  private recordEntry(e: PerformanceEntry): void {
    const detail = (e as PerformanceEntry & { detail?: { kind?: number } }).detail;
    this.log.record(e.startTime, e.duration, detail?.kind ?? 0);
  }
}
