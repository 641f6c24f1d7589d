/**
 * GET /dashboard: one live page of the server's latency — TTFT distribution, ITL histogram, ITL
 * by token position, KV-cache usage and queue depth over time, smoothness, ITL spikes by cause.
 * The page draws with Vega-Lite (browser bundles served from node_modules, nothing from a CDN)
 * and is fed by GET /dashboard/events, a server-sent event with a fresh snapshot twice a second.
 * The feed keeps bounded rings of recent data, so a long-running server holds constant memory.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { InferenceEngine } from '@legato/core';
import { percentile, SPIKE_CAUSES, type SpikeCauseKind } from '@legato/metrics';
import { DASHBOARD_HTML } from './dashboard-page.js';
import type { FinishedRequest, ServerMetrics } from './metrics.js';
import { SseStream } from './sse.js';

/** A fixed-capacity ring of numbers. */
class Ring {
  private readonly a: Float64Array;
  private head = 0;
  size = 0;
  constructor(capacity: number) {
    this.a = new Float64Array(capacity);
  }
  push(v: number): void {
    this.a[(this.head + this.size) % this.a.length] = v;
    if (this.size < this.a.length) this.size++;
    else this.head = (this.head + 1) % this.a.length;
  }
  at(i: number): number {
    return this.a[(this.head + i) % this.a.length];
  }
  toArray(): number[] {
    const out = new Array<number>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.at(i);
    return out;
  }
}

/** What the page receives. */
export interface DashboardSnapshot {
  model: string;
  uptimeS: number;
  finished: number;
  running: number;
  waiting: number;
  kvUsage: number;
  ttft: { ms: number }[];
  itl: { ms: number }[];
  itlByPosition: { pos: number; stat: 'P50' | 'P99'; ms: number }[];
  gauges: { t: number; kv: number; waiting: number; running: number }[];
  smoothness: { score: number; series: { i: number; score: number }[] };
  spikes: { cause: SpikeCauseKind; count: number }[];
}

const GAUGE_EVERY_MS = 200;

/** Recent data for the dashboard, fed by the server's metrics. */
export class DashboardFeed {
  private readonly t0 = performance.now();
  private readonly ttft = new Ring(500);
  private readonly itl = new Ring(2000);
  // Bounded so the snapshot's per-band percentiles stay cheap: the dashboard runs on the
  // engine's event loop and must not become a cause of the stutter it shows.
  private readonly itlPos = new Ring(8000);
  private readonly itlPosMs = new Ring(8000);
  private readonly gT = new Ring(300);
  private readonly gKv = new Ring(300);
  private readonly gWaiting = new Ring(300);
  private readonly gRunning = new Ring(300);
  private readonly smooth = new Ring(200);
  private readonly smoothGaps = new Ring(200);
  private readonly spikeCounts: Record<SpikeCauseKind, number> = { 'v8-gc': 0, 'kv-gc': 0, prefill: 0, unknown: 0 };
  private finished = 0;
  private lastGauge = -Infinity;
  private readonly unsubscribe: () => void;

  constructor(private readonly metrics: ServerMetrics, private readonly engine: InferenceEngine) {
    this.unsubscribe = metrics.subscribe({
      onStep: (g) => {
        if (g.time - this.lastGauge >= GAUGE_EVERY_MS) this.gauge(g.time, g.kvUtilisation, g.waiting, g.running);
      },
      onRequestFinished: (r) => this.request(r),
    });
  }

  private gauge(time: number, kv: number, waiting: number, running: number): void {
    this.lastGauge = time;
    this.gT.push((time - this.t0) / 1000);
    this.gKv.push(kv);
    this.gWaiting.push(waiting);
    this.gRunning.push(running);
  }

  private request(r: FinishedRequest): void {
    this.finished++;
    if (Number.isFinite(r.ttftMs)) this.ttft.push(r.ttftMs);
    for (let i = 0; i < r.itlMs.length; i++) {
      this.itl.push(r.itlMs[i]);
      this.itlPos.push(i + 1);
      this.itlPosMs.push(r.itlMs[i]);
    }
    if (Number.isFinite(r.smoothness)) {
      this.smooth.push(r.smoothness);
      this.smoothGaps.push(r.itlMs.length);
    }
    for (const s of r.spikes) this.spikeCounts[s.primary]++;
  }

  /** The data the page draws, as of now. */
  snapshot(): DashboardSnapshot {
    const now = performance.now();
    // An idle engine takes no steps: sample its gauges here so the time axis keeps moving.
    if (now - this.lastGauge >= 1000) {
      const s = this.engine.kvStats();
      this.gauge(now, s.utilization, this.engine.waitingCount, this.engine.runningCount);
    }
    const n = this.gT.size;
    const gauges = [];
    for (let i = 0; i < n; i++) gauges.push({ t: round(this.gT.at(i)), kv: round(this.gKv.at(i)), waiting: this.gWaiting.at(i), running: this.gRunning.at(i) });
    let weighted = 0;
    let weight = 0;
    const series = [];
    for (let i = 0; i < this.smooth.size; i++) {
      weighted += this.smooth.at(i) * this.smoothGaps.at(i);
      weight += this.smoothGaps.at(i);
      series.push({ i: this.finished - this.smooth.size + i + 1, score: round(this.smooth.at(i)) });
    }
    return {
      model: this.metrics.modelName,
      uptimeS: round((now - this.t0) / 1000),
      finished: this.finished,
      running: this.engine.runningCount,
      waiting: this.engine.waitingCount,
      kvUsage: round(this.engine.kvStats().utilization),
      ttft: this.ttft.toArray().map((ms) => ({ ms: round(ms) })),
      itl: this.itl.toArray().map((ms) => ({ ms: round(ms) })),
      itlByPosition: this.itlByPosition(),
      gauges,
      smoothness: { score: weight > 0 ? round(weighted / weight) : NaN, series },
      spikes: SPIKE_CAUSES.map((cause) => ({ cause, count: this.spikeCounts[cause] })),
    };
  }

  /** P50 and P99 ITL per band of output positions (about 40 bands over the positions seen). */
  private itlByPosition(): DashboardSnapshot['itlByPosition'] {
    const n = this.itlPos.size;
    if (n === 0) return [];
    let maxPos = 1;
    for (let i = 0; i < n; i++) maxPos = Math.max(maxPos, this.itlPos.at(i));
    const width = Math.max(1, Math.ceil(maxPos / 40));
    const bands = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const b = Math.floor((this.itlPos.at(i) - 1) / width);
      let list = bands.get(b);
      if (!list) bands.set(b, (list = []));
      list.push(this.itlPosMs.at(i));
    }
    const out: DashboardSnapshot['itlByPosition'] = [];
    for (const [b, list] of [...bands].sort((x, y) => x[0] - y[0])) {
      const pos = b * width + 1;
      out.push({ pos, stat: 'P50', ms: round(percentile(list, 50)) }, { pos, stat: 'P99', ms: round(percentile(list, 99)) });
    }
    return out;
  }

  dispose(): void {
    this.unsubscribe();
  }
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** The browser bundles of vega and vega-lite, read once from the installed packages. */
function bundles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  return {
    'vega.min.js': join(dirname(require.resolve('vega')), 'vega.min.js'),
    'vega-lite.min.js': join(dirname(require.resolve('vega-lite')), 'vega-lite.min.js'),
  };
}

/** How often the page gets a snapshot (ms). */
export const DASHBOARD_INTERVAL_MS = 500;

/** Registers GET /dashboard, /dashboard/events and the two script bundles. */
export function registerDashboard(app: FastifyInstance, feed: () => DashboardFeed | undefined): void {
  const files = bundles();
  const cache = new Map<string, string>();
  app.get('/dashboard', async (_req, reply) => reply.type('text/html; charset=utf-8').send(DASHBOARD_HTML));
  app.get<{ Params: { file: string } }>('/dashboard/:file', async (req, reply) => {
    const path = files[req.params.file];
    if (!path) return reply.callNotFound();
    let text = cache.get(path);
    if (text === undefined) cache.set(path, (text = readFileSync(path, 'utf8')));
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=3600').send(text);
  });
  app.get('/dashboard/events', (_req, reply) => {
    reply.hijack();
    const sse = new SseStream(reply.raw);
    sse.open(reply.getHeaders() as Record<string, string>);
    let busy = false;
    const tick = async (): Promise<void> => {
      if (busy || sse.closed) return;
      busy = true;
      const f = feed();
      await sse.send(f ? f.snapshot() : { loading: true });
      busy = false;
    };
    const timer = setInterval(() => void tick(), DASHBOARD_INTERVAL_MS);
    void tick();
    sse.onClose(() => clearInterval(timer));
  });
}
