/**
 * The events spikes are attributed to, kept while the engine runs: V8 collections
 * (observed), KV-cache GC cycles and prefill chunks (fed in by the engine).
 */
import { IntervalLog } from './intervals.js';
import { V8GcRecorder } from './v8gc.js';
import type { AttributionSources } from './attribution.js';

/** A KV-cache GC cycle as the engine reports it. Extra fields are accepted and ignored. */
export interface KvGcEvent {
  /** Start (ms, `performance.now()` clock). */
  startTime: number;
  durationMs: number;
  /** Blocks the cycle freed, if known. */
  blocksFreed?: number;
  [extra: string]: unknown;
}

/** Options for {@link EventLogs}. */
export interface EventLogsOptions {
  /** Initial capacity of the KV-GC and prefill logs (they grow by doubling). Default 1024. */
  capacity?: number;
  /** V8 collections kept (a ring: the oldest are overwritten). Default 4096. */
  v8GcCapacity?: number;
}

/** Logs of attributable events, stored in preallocated typed arrays. */
export class EventLogs {
  readonly v8Gc: V8GcRecorder;
  readonly kvGc: IntervalLog;
  readonly prefill: IntervalLog;

  constructor(opts: EventLogsOptions = {}) {
    const capacity = opts.capacity ?? 1024;
    this.v8Gc = new V8GcRecorder(opts.v8GcCapacity ?? 4096);
    this.kvGc = new IntervalLog(capacity);
    this.prefill = new IntervalLog(capacity);
  }

  /** Records a KV-cache GC cycle. */
  recordKvGc(ev: KvGcEvent): void {
    this.kvGc.record(ev.startTime, ev.durationMs, ev.blocksFreed ?? 0);
  }

  /** Records a prefill chunk of `tokens` tokens computed over [start, end]. */
  recordPrefill(start: number, end: number, tokens: number): void {
    this.prefill.record(start, end - start, tokens);
  }

  /** KV GC cycles recorded, oldest first. */
  kvGcEvents(): KvGcEvent[] {
    const out: KvGcEvent[] = [];
    this.kvGc.forEach((startTime, durationMs, blocksFreed) => {
      out.push(blocksFreed > 0 ? { startTime, durationMs, blocksFreed } : { startTime, durationMs });
    });
    return out;
  }

  /** Chronological snapshots for {@link findSpikes}. */
  sources(): AttributionSources {
    return { v8Gc: this.v8Gc.snapshot(), kvGc: this.kvGc.snapshot(), prefill: this.prefill.snapshot() };
  }

  /** Forgets every event (the V8 observer keeps running if started). */
  clear(): void {
    this.v8Gc.log.clear();
    this.kvGc.clear();
    this.prefill.clear();
  }
}
