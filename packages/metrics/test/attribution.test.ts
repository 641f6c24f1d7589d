import { afterEach, describe, expect, it } from 'vitest';
import { attributeGap, countSpikesByCause, findSpikes } from '../src/attribution.js';
import { EventLogs } from '../src/event-logs.js';
import { intervalSnapshot, IntervalLog } from '../src/intervals.js';
import { V8GcRecorder } from '../src/v8gc.js';
import type { RequestTimeline } from '../src/timeline.js';
import { timelineFromGaps } from './synthetic.js';

/** 60 gaps of 10 ms with a 50 ms stall before token 31; the stall is (1000 + 100 + 300, 1000 + 100 + 350]. */
function stalledRequest(): { t: RequestTimeline; gapStart: number; gapEnd: number } {
  const gaps = Array(60).fill(10);
  gaps[30] = 50;
  const t = timelineFromGaps('r', 1000, 100, gaps);
  return { t, gapStart: 1400, gapEnd: 1450 };
}

describe('findSpikes: each cause on purpose', () => {
  let gc: V8GcRecorder | undefined;
  afterEach(() => gc?.stop());

  it('attributes a stall to a real V8 garbage collection observed through perf_hooks', async () => {
    gc = new V8GcRecorder(256).start();
    // Tokens every 0.25 ms up to "now", then heavy allocation, then tokens again.
    const before = performance.now();
    const times: number[] = [];
    for (let i = 20; i >= 0; i--) times.push(before - i * 0.25);
    let keep: { i: number; a: number[]; s: string }[] = [];
    let sink = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 20_000; i++) keep.push({ i, a: [i, i + 1, i + 2], s: `x${i}` });
      sink += keep.length;
      keep = [];
    }
    const after = performance.now();
    expect(sink).toBe(800_000);
    for (let i = 0; i < 20; i++) times.push(after + i * 0.25);
    await gc.settle();

    const events = gc.events().filter((e) => e.startTime < after && e.startTime + e.durationMs > before);
    expect(events.length).toBeGreaterThan(0); // allocating ~100 MB of small objects must collect
    for (const e of events) expect(['minor', 'major', 'incremental', 'weakcb']).toContain(e.kind);

    const t: RequestTimeline = {
      id: 'gc',
      arrival: times[0] - 50,
      prefillStart: NaN,
      prefillEnd: NaN,
      tokenTimes: Float64Array.from(times),
      finish: times[times.length - 1],
      finishReason: 'stop',
    };
    const spikes = findSpikes([t], { v8Gc: gc.snapshot() });
    expect(spikes.length).toBe(1);
    const s = spikes[0];
    expect(s.tokenIndex).toBe(21);
    expect(s.gapStart).toBe(before);
    expect(s.gapEnd).toBe(after);
    expect(s.primary).toBe('v8-gc');
    expect(s.causes.length).toBe(events.length);
    for (const c of s.causes) {
      expect(c.kind).toBe('v8-gc');
      expect(c.gcKind).toMatch(/^(minor|major|incremental|weakcb)$/);
      expect(c.overlapMs).toBeGreaterThan(0);
    }
  });

  it('attributes a stall to a KV-cache GC cycle fed in by the engine', () => {
    const { t, gapStart, gapEnd } = stalledRequest();
    const logs = new EventLogs();
    logs.recordKvGc({ startTime: 1410, durationMs: 30, blocksFreed: 12, policy: 'lru' });
    logs.recordKvGc({ startTime: 1200, durationMs: 2 }); // during a normal gap: no spike there
    const spikes = findSpikes([t], logs.sources());
    expect(spikes.length).toBe(1);
    expect(spikes[0]).toMatchObject({ requestId: 'r', tokenIndex: 31, gapStart, gapEnd, gapMs: 50, baselineMs: 10, ratio: 5, primary: 'kv-gc' });
    expect(spikes[0].causes).toEqual([{ kind: 'kv-gc', start: 1410, durationMs: 30, overlapMs: 30, blocksFreed: 12 }]);
    expect(logs.kvGcEvents()).toEqual([
      { startTime: 1410, durationMs: 30, blocksFreed: 12 },
      { startTime: 1200, durationMs: 2 },
    ]);
  });

  it('attributes a stall to a prefill chunk computed in the same step', () => {
    const { t } = stalledRequest();
    const logs = new EventLogs();
    logs.recordPrefill(1402, 1448, 512);
    const [s] = findSpikes([t], logs.sources());
    expect(s.primary).toBe('prefill');
    expect(s.causes).toEqual([{ kind: 'prefill', start: 1402, durationMs: 46, overlapMs: 46, tokens: 512 }]);
  });

  it("labels a stall with nothing overlapping it 'unknown'", () => {
    const { t } = stalledRequest();
    const logs = new EventLogs();
    logs.recordPrefill(1300, 1390, 256); // over, but before the stall
    logs.recordKvGc({ startTime: 1460, durationMs: 5 }); // after it
    const spikes = findSpikes([t], logs.sources());
    expect(spikes.length).toBe(1);
    expect(spikes[0].primary).toBe('unknown');
    expect(spikes[0].causes).toEqual([]);
    expect(countSpikesByCause(spikes)).toEqual({ 'v8-gc': 0, 'kv-gc': 0, prefill: 0, unknown: 1 });
  });
});

describe('attributeGap', () => {
  it('reports every overlapping cause with the longest overlap as primary', () => {
    const r = attributeGap(100, 150, {
      v8Gc: intervalSnapshot([95, 130], [10, 3], [1, 4]), // overlaps 5 (minor) and 3 (major)
      kvGc: intervalSnapshot([120], [100]), // overlaps 30
      prefill: intervalSnapshot([60], [50], [128]), // overlaps 10
    });
    expect(r.primary).toBe('kv-gc');
    expect(r.causes.map((c) => [c.kind, c.overlapMs])).toEqual([
      ['kv-gc', 30],
      ['prefill', 10],
      ['v8-gc', 5],
      ['v8-gc', 3],
    ]);
    expect(r.causes.filter((c) => c.kind === 'v8-gc').map((c) => c.gcKind)).toEqual(['minor', 'major']);
  });

  it('treats the gap as (start, end]: an event ending at the start misses, one starting at the end hits', () => {
    const miss = attributeGap(100, 150, { prefill: intervalSnapshot([80, 100], [20, 0]) });
    expect(miss.primary).toBe('unknown');
    const hit = attributeGap(100, 150, { kvGc: intervalSnapshot([150], [10]) });
    expect(hit.primary).toBe('kv-gc');
    expect(hit.causes[0].overlapMs).toBe(0);
    const instant = attributeGap(100, 150, { kvGc: intervalSnapshot([150], [0]) });
    expect(instant.primary).toBe('kv-gc');
  });

  it('finds a long event that started long before the gap among many short ones', () => {
    const starts = [0];
    const durs = [1000];
    for (let i = 1; i < 500; i++) {
      starts.push(i * 2);
      durs.push(0.5);
    }
    const r = attributeGap(900, 901, { prefill: intervalSnapshot(starts, durs) });
    // The 1000 ms event from t = 0, and the short one at 900, whose [900, 900.5] reaches into (900, 901].
    expect(r.causes.map((c) => c.start).sort((a, b) => a - b)).toEqual([0, 900]);
  });

  it('ties go to V8 GC, then KV GC, then prefill', () => {
    const r = attributeGap(0, 10, {
      prefill: intervalSnapshot([0], [10]),
      kvGc: intervalSnapshot([0], [10]),
      v8Gc: intervalSnapshot([0], [10], [4]),
    });
    expect(r.causes.map((c) => c.kind)).toEqual(['v8-gc', 'kv-gc', 'prefill']);
  });
});

describe('outlier detection', () => {
  it("compares a gap with its own request's running median, not the run's", () => {
    // Three requests decoding at 30 ms and one at 10 ms with a 25 ms stall (2.5× its own pace).
    const runs = [0, 1, 2].map((i) => timelineFromGaps(`slow${i}`, 0, 100, Array(40).fill(30)));
    const g = Array(40).fill(10);
    g[20] = 25;
    runs.push(timelineFromGaps('fast', 0, 100, g));
    const spikes = findSpikes(runs, {});
    expect(spikes.map((s) => [s.requestId, s.tokenIndex, s.baselineMs])).toEqual([['fast', 21, 10]]);
  });

  it('follows a pace change instead of flagging every gap after it', () => {
    const gaps = [...Array(50).fill(10), ...Array(50).fill(25)];
    // With a fixed baseline of the first phase every later gap would be an outlier.
    const spikes = findSpikes([timelineFromGaps('r', 0, 50, gaps)], {}, { window: 16 });
    expect(spikes.length).toBeLessThanOrEqual(8);
    expect(spikes.every((s) => s.tokenIndex > 50 && s.tokenIndex <= 59)).toBe(true);
  });

  it('catches an early stall through the run median and honours factor and minGapMs', () => {
    const early = timelineFromGaps('e', 0, 10, [10, 80, 10, 10, 10, 10, 10]);
    const other = timelineFromGaps('o', 0, 10, Array(20).fill(10));
    expect(findSpikes([early, other], {}).map((s) => [s.tokenIndex, s.baselineMs])).toEqual([[2, 10]]);
    expect(findSpikes([early, other], {}, { factor: 10 })).toEqual([]);
    expect(findSpikes([early, other], {}, { minGapMs: 100 })).toEqual([]);
  });
});

describe('IntervalLog', () => {
  it('overwrites the oldest entries as a ring and grows otherwise', () => {
    const ring = new IntervalLog(3, { overwrite: true });
    for (let i = 0; i < 5; i++) ring.record(i * 10, 1, i);
    expect(ring.length).toBe(3);
    expect(ring.dropped).toBe(2);
    expect(Array.from(ring.snapshot().start)).toEqual([20, 30, 40]);
    const grow = new IntervalLog(2);
    for (const s of [5, 1, 9, 3]) grow.record(s, s, s);
    const snap = grow.snapshot();
    expect(Array.from(snap.start)).toEqual([1, 3, 5, 9]);
    expect(Array.from(snap.value)).toEqual([1, 3, 5, 9]);
    expect(snap.maxDuration).toBe(9);
  });
});
