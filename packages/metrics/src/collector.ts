/**
 * The engine-facing entry point: receives lifecycle callbacks, records them without
 * per-token allocation, fans them out to subscribers and computes summaries on demand.
 */
import { RequestRecorder, type RequestEndReason, type RequestTimeline } from './timeline.js';
import { GaugeRecorder, type GaugeColumns, type StepGauges } from './gauges.js';
import { EventLogs, type KvGcEvent } from './event-logs.js';
import { analyzeRun, type MetricsSummary, type RunData, type SummaryOptions } from './summary.js';
import type { Spike } from './attribution.js';
import type { V8GcEvent } from './v8gc.js';

/** Event delivered to subscribers. The objects are reused: read them in the callback, copy what you keep. */
export type MetricsEvent =
  | { type: 'arrival'; requestId: string | number; time: number; promptTokens: number | undefined }
  | { type: 'admission'; requestId: string | number; time: number }
  | { type: 'prefill'; requestId: string | number | undefined; start: number; end: number; tokens: number }
  | {
      type: 'token';
      requestId: string | number;
      time: number;
      /** Tokens in this chunk. */
      tokens: number;
      /** Output tokens of the request so far, this chunk included. */
      count: number;
      /** Gap since the request's previous chunk (ms); TTFT for the first. */
      gapMs: number;
    }
  | { type: 'finish'; requestId: string | number; time: number; reason: RequestEndReason; tokens: number }
  | { type: 'step'; gauges: Readonly<StepGauges> }
  | { type: 'kv-gc'; event: Readonly<KvGcEvent> };

/** A subscriber. Runs synchronously on the engine's thread: keep it cheap and don't throw. */
export type MetricsListener = (event: MetricsEvent) => void;

/** Options for {@link MetricsCollector}. */
export interface MetricsCollectorOptions extends SummaryOptions {
  /** Initial token capacity per request; set it to max_tokens to never grow. Default 256. */
  tokensPerRequest?: number;
  /** Initial step capacity of the gauge columns. Default 4096. */
  gaugeCapacity?: number;
  /** Initial capacity of the KV-GC and prefill logs. Default 1024. */
  eventCapacity?: number;
  /** V8 collections kept (ring). Default 4096. */
  v8GcCapacity?: number;
  /** Observe V8 garbage collections between start() and stop(). Default true. */
  observeV8Gc?: boolean;
  /** Clock for callbacks called without a time. Default `performance.now`. */
  now?: () => number;
}

/** Everything a report needs about one run. */
export interface CollectedRun {
  summary: MetricsSummary;
  timeline: RequestTimeline[];
  gauges: GaugeColumns;
  kvGcEvents: KvGcEvent[];
  v8GcEvents: V8GcEvent[];
  spikes: Spike[];
}

/**
 * Collects a run's metrics from engine callbacks.
 *
 * The per-token path (`onToken`) does a Map lookup, two typed-array stores and, if anyone
 * subscribed, fills one reused event object: nothing is allocated per token. Requests
 * unknown to the collector are ignored and counted in `ignoredEvents` rather than
 * thrown on, so a metrics bug can't break decoding.
 */
export class MetricsCollector {
  private readonly opts: MetricsCollectorOptions;
  private readonly now: () => number;
  private readonly byId = new Map<string | number, RequestRecorder>();
  private readonly order: RequestRecorder[] = [];
  private readonly gauges: GaugeRecorder;
  private readonly events: EventLogs;
  private listeners: MetricsListener[] = [];
  private ignored = 0;

  // One reusable object per event type.
  private readonly evArrival = { type: 'arrival' as const, requestId: '' as string | number, time: 0, promptTokens: undefined as number | undefined };
  private readonly evAdmission = { type: 'admission' as const, requestId: '' as string | number, time: 0 };
  private readonly evPrefill = { type: 'prefill' as const, requestId: undefined as string | number | undefined, start: 0, end: 0, tokens: 0 };
  private readonly evToken = { type: 'token' as const, requestId: '' as string | number, time: 0, tokens: 0, count: 0, gapMs: 0 };
  private readonly evFinish = { type: 'finish' as const, requestId: '' as string | number, time: 0, reason: '' as RequestEndReason, tokens: 0 };
  private readonly evStep = { type: 'step' as const, gauges: null as unknown as StepGauges };
  private readonly evKvGc = { type: 'kv-gc' as const, event: null as unknown as KvGcEvent };

  constructor(opts: MetricsCollectorOptions = {}) {
    this.opts = opts;
    this.now = opts.now ?? (() => performance.now());
    this.gauges = new GaugeRecorder(opts.gaugeCapacity ?? 4096);
    this.events = new EventLogs({ capacity: opts.eventCapacity, v8GcCapacity: opts.v8GcCapacity });
  }

  /** Starts observing V8 collections (unless `observeV8Gc` is false). */
  start(): this {
    if (this.opts.observeV8Gc !== false) this.events.v8Gc.start();
    return this;
  }

  /** Stops observing V8 collections. Call {@link settle} first to catch the last ones. */
  stop(): void {
    this.events.v8Gc.stop();
  }

  /** Waits one event-loop turn so GC entries of collections that already ended are delivered. */
  settle(): Promise<void> {
    return this.events.v8Gc.settle();
  }

  /** Number of callbacks ignored because their request id was unknown. */
  get ignoredEvents(): number {
    return this.ignored;
  }

  /** Subscribes to events; returns the unsubscribe function. */
  subscribe(listener: MetricsListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** A request arrived. */
  onRequestArrival(requestId: string | number, time = this.now(), promptTokens?: number): void {
    const r = new RequestRecorder(requestId, time, this.opts.tokensPerRequest ?? 256, promptTokens);
    this.byId.set(requestId, r);
    this.order.push(r);
    if (this.listeners.length === 0) return;
    const e = this.evArrival;
    e.requestId = requestId;
    e.time = time;
    e.promptTokens = promptTokens;
    this.emit(e);
  }

  /** The scheduler admitted the request (it left the waiting queue). */
  onAdmission(requestId: string | number, time = this.now()): void {
    const r = this.byId.get(requestId);
    if (!r) return void this.ignored++;
    r.admission = time;
    if (this.listeners.length === 0) return;
    const e = this.evAdmission;
    e.requestId = requestId;
    e.time = time;
    this.emit(e);
  }

  /**
   * A prefill chunk of `tokens` tokens ran over [start, end]. Pass the request id to also
   * set that request's prefill start/end.
   */
  onPrefill(start: number, end: number, tokens: number, requestId?: string | number): void {
    this.events.recordPrefill(start, end, tokens);
    if (requestId !== undefined) this.byId.get(requestId)?.recordPrefill(start, end);
    if (this.listeners.length === 0) return;
    const e = this.evPrefill;
    e.requestId = requestId;
    e.start = start;
    e.end = end;
    e.tokens = tokens;
    this.emit(e);
  }

  /** `tokens` output tokens (one streamed chunk, usually 1) of a request were emitted at `time`. */
  onToken(requestId: string | number, time = this.now(), tokens = 1): void {
    const r = this.byId.get(requestId);
    if (!r) return void this.ignored++;
    const prev = r.tokenCount > 0 ? r.lastTokenTime : r.arrival;
    r.recordTokens(time, tokens);
    if (this.listeners.length === 0) return;
    const e = this.evToken;
    e.requestId = requestId;
    e.time = time;
    e.tokens = tokens;
    e.count = r.tokenCount;
    e.gapMs = time - prev;
    this.emit(e);
  }

  /** The request finished. */
  onFinish(requestId: string | number, time = this.now(), reason: RequestEndReason = 'stop'): void {
    const r = this.byId.get(requestId);
    if (!r) return void this.ignored++;
    r.recordFinish(time, reason);
    if (this.listeners.length === 0) return;
    const e = this.evFinish;
    e.requestId = requestId;
    e.time = time;
    e.reason = reason;
    e.tokens = r.tokenCount;
    this.emit(e);
  }

  /** An engine step ended with these gauges (the object is not kept). */
  onStep(gauges: StepGauges): void {
    this.gauges.record(gauges);
    if (this.listeners.length === 0) return;
    this.evStep.gauges = gauges;
    this.emit(this.evStep);
  }

  /** A KV-cache GC cycle ran. */
  onKvGc(ev: KvGcEvent): void {
    this.events.recordKvGc(ev);
    if (this.listeners.length === 0) return;
    this.evKvGc.event = ev;
    this.emit(this.evKvGc);
  }

  /** Same as {@link onKvGc}. */
  recordKvGc(ev: KvGcEvent): void {
    this.onKvGc(ev);
  }

  /** Same as {@link onPrefill} without a request id. */
  recordPrefill(start: number, end: number, tokens: number): void {
    this.onPrefill(start, end, tokens);
  }

  /** Timelines of every request so far, in arrival order (views of the recorders' buffers). */
  timelines(): RequestTimeline[] {
    return this.order.map((r) => r.toTimeline());
  }

  /** The recorded data, as {@link analyzeRun} takes it. */
  runData(): RunData {
    return { timelines: this.timelines(), gauges: this.gauges.columns(), ...this.events.sources() };
  }

  /** Computes every metric over what was recorded so far. */
  summary(): MetricsSummary {
    return analyzeRun(this.runData(), this.opts).summary;
  }

  /** Summary, spikes and raw data, ready for `writeReport`. */
  collect(): CollectedRun {
    const run = this.runData();
    const { summary, spikes } = analyzeRun(run, this.opts);
    return {
      summary,
      timeline: run.timelines as RequestTimeline[],
      gauges: run.gauges!,
      kvGcEvents: this.events.kvGcEvents(),
      v8GcEvents: this.events.v8Gc.events(),
      spikes,
    };
  }

  /** Forgets all requests, gauges and events (listeners and the GC observer stay). */
  reset(): void {
    this.byId.clear();
    this.order.length = 0;
    this.gauges.clear();
    this.events.clear();
    this.ignored = 0;
  }

  private emit(e: MetricsEvent): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i](e);
  }
}
