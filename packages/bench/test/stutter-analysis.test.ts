import { describe, expect, it } from 'vitest';
import type { Spike } from '@legato/metrics';
import { meanStreamRate, spikePeriodicity, withoutPauses } from '../src/index.js';

const spike = (requestId: number, tokenIndex: number, primary: Spike['primary'] = 'kv-gc'): Spike => ({
  requestId, tokenIndex, gapStart: 0, gapEnd: 1, gapMs: 1, baselineMs: 0.5, ratio: 2, primary, causes: [],
});

describe('spike periodicity', () => {
  it('finds spikes on a per-stream grid of N tokens, whatever each stream\'s phase', () => {
    // Stream 1 at 13, 63, 113 (phase 13); stream 2 at 40, 90, 190 (a missed sweep is still on the grid).
    const spikes = [spike(1, 13), spike(1, 63), spike(1, 113), spike(2, 40), spike(2, 90), spike(2, 190), spike(2, 70, 'prefill')];
    const p = spikePeriodicity(spikes, 50);
    expect(p.spikes).toBe(6);
    expect(p.checked).toBe(4);
    expect(p.aligned).toBe(4);
    expect(p.medianSpacing).toBe(50);
  });

  it('leaves out kv-gc spikes much shorter than the pause they touch', () => {
    const edge: Spike = { ...spike(1, 37), gapMs: 2, causes: [{ kind: 'kv-gc', start: 0, durationMs: 100, overlapMs: 0 }] };
    const full: Spike = { ...spike(1, 60), gapMs: 104, causes: [{ kind: 'kv-gc', start: 0, durationMs: 100, overlapMs: 100 }] };
    const p = spikePeriodicity([spike(1, 10), edge, full], 50);
    expect(p.spikes).toBe(2);
    expect(p.checked).toBe(1);
    expect(p.aligned).toBe(1);
  });

  it('spikes off the grid are not aligned', () => {
    const p = spikePeriodicity([spike(1, 10), spike(1, 37), spike(1, 61), spike(1, 110)], 50);
    expect(p.checked).toBe(3);
    // Distances from the first: 27 (off the grid), 51 and 100 (within ±5 of a multiple of 50).
    expect(p.aligned).toBe(2);
  });
});

describe('a run without its pauses', () => {
  const timeline = (id: number, times: number[]) => ({ id, arrival: times[0] - 5, prefillStart: NaN, prefillEnd: NaN, tokenTimes: Float64Array.from(times), finish: times[times.length - 1], finishReason: 'length' });

  it('takes each pause out of the gaps it overlaps, and only those', () => {
    // Request 1: a 100 ms pause inside its third gap; request 2: half of a pause overlaps its gap.
    const t = [timeline(1, [0, 10, 20, 130, 140]), timeline(2, [200, 220, 240])];
    const pauses = [{ startTime: 25, durationMs: 100 }, { startTime: 230, durationMs: 20 }];
    const w = withoutPauses(t, pauses);
    // Gaps without the pauses: 10, 10, 10, 10 and 20, 10 → rates 100 and 2000/30 tokens/s.
    expect(w.meanTps).toBeCloseTo((100 + 2000 / 30) / 2, 9);
    expect(w.itlMaxMs).toBe(20);
    expect(meanStreamRate({ timeline: t })).toBeCloseTo((4000 / 140 + 2000 / 40) / 2, 9);
    expect(withoutPauses(t, []).meanTps).toBeCloseTo(meanStreamRate({ timeline: t }), 12);
  });
});
