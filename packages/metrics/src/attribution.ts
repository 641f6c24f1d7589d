/**
 * Finds inter-token latency outliers ("spikes") and labels each with what overlapped it.
 *
 * A gap is the interval (previous chunk time, this chunk time] of one request. It is an
 * outlier when it exceeds `factor` × the running median of that request's previous
 * `window` gaps (default 2 × the median of the last 32). Until a request has `minHistory`
 * gaps, the median of every gap in the run stands in, so early spikes are still caught.
 * The running median follows the request's own pace, so ITL that rises as the batch
 * fills is not flagged, while a stall is.
 *
 * Causes: a V8 collection, a KV-cache GC cycle, a prefill chunk, whose interval
 * [start, start + duration] intersects the gap; 'unknown' when none does. All overlapping
 * causes are reported; the primary one is the one overlapping the gap longest (ties go to
 * V8 GC, then KV GC, then prefill).
 */
import type { RequestTimeline } from './timeline.js';
import type { IntervalSnapshot } from './intervals.js';
import { v8GcKindName, type V8GcKind } from './v8gc.js';
import { vllmItl } from './definitions.js';
import { percentile } from './stats.js';

/** What a spike is attributed to. */
export type SpikeCauseKind = 'v8-gc' | 'kv-gc' | 'prefill' | 'unknown';

/** Every label, in tie-break order. */
export const SPIKE_CAUSES: readonly SpikeCauseKind[] = ['v8-gc', 'kv-gc', 'prefill', 'unknown'];

/** One event that overlapped a spike. */
export interface SpikeCause {
  kind: Exclude<SpikeCauseKind, 'unknown'>;
  /** Event start (ms). */
  start: number;
  durationMs: number;
  /** Length of the intersection with the gap (0 for an instantaneous event inside it). */
  overlapMs: number;
  /** For 'v8-gc': the collection's kind. */
  gcKind?: V8GcKind;
  /** For 'prefill': tokens in the chunk. */
  tokens?: number;
  /** For 'kv-gc': blocks the cycle freed, when the engine said. */
  blocksFreed?: number;
}

/** An inter-token latency outlier and its attribution. */
export interface Spike {
  requestId: string | number;
  /** Output position of the first token delivered at the end of the gap (≥ 1). */
  tokenIndex: number;
  /** Previous chunk time: the gap is (gapStart, gapEnd]. */
  gapStart: number;
  gapEnd: number;
  gapMs: number;
  /** The running median the gap was compared with. */
  baselineMs: number;
  /** gapMs / baselineMs. */
  ratio: number;
  primary: SpikeCauseKind;
  /** All overlapping events, longest overlap first; empty when primary is 'unknown'. */
  causes: SpikeCause[];
}

/** Event sources to attribute spikes to; missing sources simply never match. */
export interface AttributionSources {
  /** V8 collections; `value` is the gc kind flag. */
  v8Gc?: IntervalSnapshot;
  /** KV-cache GC cycles; `value` is blocks freed (0 when unknown). */
  kvGc?: IntervalSnapshot;
  /** Prefill chunks; `value` is the chunk's tokens. */
  prefill?: IntervalSnapshot;
}

/** How outliers are detected. */
export interface OutlierOptions {
  /** A gap is an outlier above factor × running median. Default 2. */
  factor?: number;
  /** Gaps in the running-median window. Default 32. */
  window?: number;
  /** Gaps a request needs before its own median is used. Default 4. */
  minHistory?: number;
  /** Gaps shorter than this are never outliers, whatever the ratio (ms). Default 0. */
  minGapMs?: number;
}

/** Finds and attributes every ITL outlier of a run, in request order then time order. */
export function findSpikes(timelines: readonly RequestTimeline[], sources: AttributionSources, opts: OutlierOptions = {}): Spike[] {
  const factor = opts.factor ?? 2;
  const window = Math.max(1, opts.window ?? 32);
  const minHistory = Math.max(1, Math.min(opts.minHistory ?? 4, window));
  const minGap = opts.minGapMs ?? 0;
  const runMedian = percentile(vllmItl(timelines), 50);
  const med = new RunningMedian(window);
  const spikes: Spike[] = [];

  for (const t of timelines) {
    med.reset();
    const times = t.tokenTimes;
    const chunks = t.chunkTokens;
    const nChunks = chunks ? chunks.length : times.length;
    let prev = NaN;
    let firstToken = 0; // output position of the current chunk's first token
    for (let k = 0; k < nChunks; k++) {
      const size = chunks ? chunks[k] : 1;
      const time = times[Math.min(firstToken + size, times.length) - 1];
      if (k > 0) {
        const gap = time - prev;
        const baseline = med.size >= minHistory ? med.median() : runMedian;
        if (gap > minGap && gap > factor * baseline) {
          spikes.push(makeSpike(t.id, firstToken, prev, time, baseline, sources));
        }
        med.push(gap);
      }
      prev = time;
      firstToken += size;
    }
  }
  return spikes;
}

/** Labels the gap (gapStart, gapEnd] with every overlapping event and the primary cause. */
export function attributeGap(gapStart: number, gapEnd: number, sources: AttributionSources): { primary: SpikeCauseKind; causes: SpikeCause[] } {
  const causes: SpikeCause[] = [];
  collect(sources.v8Gc, 'v8-gc', gapStart, gapEnd, causes);
  collect(sources.kvGc, 'kv-gc', gapStart, gapEnd, causes);
  collect(sources.prefill, 'prefill', gapStart, gapEnd, causes);
  // Stable sort keeps the tie-break order of collection.
  causes.sort((a, b) => b.overlapMs - a.overlapMs);
  return { primary: causes.length > 0 ? causes[0].kind : 'unknown', causes };
}

/** Spikes per primary cause. */
export function countSpikesByCause(spikes: readonly Spike[]): Record<SpikeCauseKind, number> {
  const counts: Record<SpikeCauseKind, number> = { 'v8-gc': 0, 'kv-gc': 0, prefill: 0, unknown: 0 };
  for (const s of spikes) counts[s.primary]++;
  return counts;
}

function makeSpike(
  requestId: string | number,
  tokenIndex: number,
  gapStart: number,
  gapEnd: number,
  baseline: number,
  sources: AttributionSources,
): Spike {
  const { primary, causes } = attributeGap(gapStart, gapEnd, sources);
  const gapMs = gapEnd - gapStart;
  return { requestId, tokenIndex, gapStart, gapEnd, gapMs, baselineMs: baseline, ratio: gapMs / baseline, primary, causes };
}

function collect(
  s: IntervalSnapshot | undefined,
  kind: SpikeCause['kind'],
  gapStart: number,
  gapEnd: number,
  out: SpikeCause[],
): void {
  if (!s || s.length === 0) return;
  // Events are sorted by start: scan back from the last one starting by gapEnd, stopping
  // once even the longest event could no longer reach gapStart.
  let k = upperBound(s.start, s.length, gapEnd) - 1;
  const earliest = gapStart - s.maxDuration;
  for (; k >= 0 && s.start[k] >= earliest; k--) {
    const start = s.start[k];
    const end = start + s.duration[k];
    if (end <= gapStart) continue; // the gap is open at gapStart
    const cause: SpikeCause = {
      kind,
      start,
      durationMs: s.duration[k],
      overlapMs: Math.min(end, gapEnd) - Math.max(start, gapStart),
    };
    if (kind === 'v8-gc') cause.gcKind = v8GcKindName(s.value[k]);
    else if (kind === 'prefill') cause.tokens = s.value[k];
    else if (s.value[k] > 0) cause.blocksFreed = s.value[k];
    out.push(cause);
  }
}

/** First index in sorted `a[0, n)` whose value is > x. */
function upperBound(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Median of the last `capacity` values: a ring for arrival order plus a sorted copy, O(capacity) per push. */
class RunningMedian {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  size = 0;

  constructor(capacity: number) {
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  reset(): void {
    this.head = 0;
    this.size = 0;
  }

  push(v: number): void {
    const cap = this.ring.length;
    if (this.size === cap) {
      this.removeSorted(this.ring[this.head]);
      this.ring[this.head] = v;
      this.head = (this.head + 1) % cap;
    } else {
      this.ring[(this.head + this.size) % cap] = v;
      this.size++;
    }
    this.insertSorted(v);
  }

  median(): number {
    const n = this.size;
    const mid = n >> 1;
    return n % 2 === 1 ? this.sorted[mid] : (this.sorted[mid - 1] + this.sorted[mid]) / 2;
  }

  // `sorted` holds size − 1 values when insertSorted runs after a removal or a growth.
  private insertSorted(v: number): void {
    let i = this.size - 1;
    while (i > 0 && this.sorted[i - 1] > v) {
      this.sorted[i] = this.sorted[i - 1];
      i--;
    }
    this.sorted[i] = v;
  }

  private removeSorted(v: number): void {
    const n = this.size;
    let i = 0;
    while (i < n && this.sorted[i] !== v) i++;
    for (; i < n - 1; i++) this.sorted[i] = this.sorted[i + 1];
  }
}
