/**
 * Wiring engine callbacks to what listens to them: the metrics collector (whose callbacks take
 * almost the engine's shape), and any number of extra hooks, fanned out without allocating.
 */
import type { EngineObserver, EngineStepGauges } from '@legato/core';
import type { GcEvent } from '@legato/kvcache';
import type { KvGcEvent, MetricsCollector } from '@legato/metrics';

/** An engine observer that feeds a {@link MetricsCollector}. */
export function collectorObserver(m: MetricsCollector): EngineObserver {
  // One reused event: the collector copies the fields into its log.
  const kv: KvGcEvent & { blocksFreed: number } = { startTime: 0, durationMs: 0, blocksFreed: 0 };
  return {
    onRequestArrival: (id, time, promptTokens) => m.onRequestArrival(id, time, promptTokens),
    onAdmission: (id, time) => m.onAdmission(id, time),
    // The engine batches prefill chunks of several requests and passes -1 for "not one request".
    onPrefill: (start, end, tokens, id) => m.onPrefill(start, end, tokens, id >= 0 ? id : undefined),
    onToken: (id, time, tokens) => m.onToken(id, time, tokens),
    onFinish: (id, time, reason) => m.onFinish(id, time, reason),
    onStep: (g) => m.onStep(g),
    onKvGc: (e) => {
      kv.startTime = e.startTime;
      kv.durationMs = e.durationMs;
      kv.blocksFreed = e.blocksScrubbed;
      m.onKvGc(kv);
    },
  };
}

type Hook = keyof EngineObserver;

/** One observer calling each given observer's callbacks in order. */
export function combineObservers(...observers: EngineObserver[]): EngineObserver {
  const list = <K extends Hook>(k: K): NonNullable<EngineObserver[K]>[] =>
    observers.map((o) => o[k]?.bind(o)).filter((f): f is NonNullable<EngineObserver[K]> => f !== undefined);
  const arrival = list('onRequestArrival');
  const admission = list('onAdmission');
  const prefill = list('onPrefill');
  const token = list('onToken');
  const finish = list('onFinish');
  const step = list('onStep');
  const kvGc = list('onKvGc');
  return {
    onRequestArrival: (id, t, p) => { for (let i = 0; i < arrival.length; i++) arrival[i](id, t, p); },
    onAdmission: (id, t) => { for (let i = 0; i < admission.length; i++) admission[i](id, t); },
    onPrefill: (s, e, n, id) => { for (let i = 0; i < prefill.length; i++) prefill[i](s, e, n, id); },
    onToken: (id, t, n) => { for (let i = 0; i < token.length; i++) token[i](id, t, n); },
    onFinish: (id, t, r) => { for (let i = 0; i < finish.length; i++) finish[i](id, t, r); },
    onStep: (g: EngineStepGauges) => { for (let i = 0; i < step.length; i++) step[i](g); },
    onKvGc: (e: GcEvent) => { for (let i = 0; i < kvGc.length; i++) kvGc[i](e); },
  };
}
