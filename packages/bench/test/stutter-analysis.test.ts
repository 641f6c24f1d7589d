import { describe, expect, it } from 'vitest';
import type { Spike } from '@legato/metrics';
import { concludeStutter, meanStreamRate, spikePeriodicity, withoutPauses, type AnalyzedRun, type StutterRow } from '../src/index.js';

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

function run(name: string, row: Partial<StutterRow>, extra: Partial<AnalyzedRun> = {}): AnalyzedRun {
  const base: StutterRow = {
    policy: 'off', mode: 'normal', tokens: 800, mean_tps: 50, ttft_ms: 30, itl_p50_ms: 20, itl_p95_ms: 22, itl_p99_ms: 25,
    itl_max_ms: 30, smoothness: 0.99, gc_cycles: 0, gc_pause_p99_ms: 0, reclaimed_blocks: 0, spikes: { v8_gc: 0, kv_gc: 0, prefill: 0, unknown: 0 },
  };
  return {
    name,
    row: { ...base, ...row },
    withoutKvGc: { meanTps: 50, itlP99Ms: 25, itlMaxMs: 30, meanTpsCost: 0 },
    kvGcSpikeGapsMs: [],
    kvGcPeriodicity: { spikes: 0, checked: 0, aligned: 0, alignedFraction: NaN, medianSpacing: NaN, tolerance: 5 },
    work: { cycles: 0, sweeps: 0, medianPauseMs: 0, maxPauseMs: 0, blocksScrubbed: 0, bytesScrubbed: 0, blocksVerified: 0, verifiedBytesPerSweep: 0 },
    v8Gc: { count: 0, maxMs: 0 },
    blocksAwaitingScrub: 0,
    ...extra,
  };
}

describe('the conclusion', () => {
  const periodicP = { spikes: 16, checked: 12, aligned: 12, alignedFraction: 1, medianSpacing: 50, tolerance: 5 };
  const periodicWork = { cycles: 16, sweeps: 16, medianPauseMs: 101, maxPauseMs: 130, blocksScrubbed: 40, bytesScrubbed: 40 << 15, blocksVerified: 16 * 8000, verifiedBytesPerSweep: 8000 << 15 };

  it('supports the seed story when the numbers do', () => {
    const c = concludeStutter(
      [
        run('off', { mean_tps: 52 }),
        run('periodic:50', { policy: 'periodic', mean_tps: 48, itl_p99_ms: 120, itl_max_ms: 135, reclaimed_blocks: 40, spikes: { v8_gc: 0, kv_gc: 16, prefill: 1, unknown: 0 } }, { kvGcPeriodicity: periodicP, work: periodicWork, withoutKvGc: { meanTps: 51, itlP99Ms: 26, itlMaxMs: 31, meanTpsCost: 1 - 48 / 51 }, kvGcSpikeGapsMs: Array(16).fill(120) }),
        run('incremental', { policy: 'incremental', mean_tps: 49, itl_max_ms: 31, reclaimed_blocks: 40, spikes: { v8_gc: 0, kv_gc: 2, prefill: 0, unknown: 0 } }, { kvGcSpikeGapsMs: [30, 28] }),
        run('off+alloc', { mode: 'alloc-heavy', itl_max_ms: 70, spikes: { v8_gc: 9, kv_gc: 0, prefill: 0, unknown: 1 } }, { v8Gc: { count: 30, maxMs: 45 } }),
      ],
      { interval: 50 },
    );
    expect(c.findings.map((f) => [f.id, f.holds])).toEqual([
      ['mean-tps', true],
      ['periodic-spikes', true],
      ['incremental-smooth', true],
      ['same-reclaim', true],
      ['v8-gc', true],
    ]);
    expect(c.summary).toMatch(/every 50 tokens/);
  });

  it('says so when the numbers do not support a claim', () => {
    const c = concludeStutter(
      [
        run('off', { mean_tps: 80 }),
        run('periodic:50', { policy: 'periodic', mean_tps: 40, itl_max_ms: 40, reclaimed_blocks: 10, spikes: { v8_gc: 0, kv_gc: 3, prefill: 0, unknown: 0 } }, { kvGcPeriodicity: { ...periodicP, aligned: 2, alignedFraction: 2 / 12 }, work: periodicWork, withoutKvGc: { meanTps: 60, itlP99Ms: 30, itlMaxMs: 35, meanTpsCost: 1 - 40 / 60 }, kvGcSpikeGapsMs: [110, 105, 40] }),
        run('incremental', { policy: 'incremental', mean_tps: 41, itl_max_ms: 60, reclaimed_blocks: 40, spikes: { v8_gc: 0, kv_gc: 5, prefill: 0, unknown: 0 } }, { kvGcSpikeGapsMs: [55, 58, 60, 52, 51] }),
      ],
      { interval: 50 },
    );
    expect(Object.fromEntries(c.findings.map((f) => [f.id, f.holds]))).toEqual({
      'mean-tps': false,
      'periodic-spikes': false,
      'incremental-smooth': false,
      'same-reclaim': false,
    });
  });
});
