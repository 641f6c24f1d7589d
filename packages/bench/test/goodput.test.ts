import { describe, expect, it } from 'vitest';
import { computeGoodput, meetsSlo, parseGoodputSlo, requestLatency } from '../src/index.js';

describe('goodput', () => {
  it('computes vLLM per-request latencies from send time and token times', () => {
    // Sent at 100; tokens at 300, 320, 340, 400 → TTFT 200, E2E 300, TPOT (300 − 200) / 3.
    const r = requestLatency(100, [300, 320, 340, 400]);
    expect(r.ttftMs).toBe(200);
    expect(r.e2eMs).toBe(300);
    expect(r.tpotMs).toBeCloseTo(100 / 3, 12);
    // One token: TPOT is 0, as vLLM counts it.
    expect(requestLatency(0, [50]).tpotMs).toBe(0);
    expect(requestLatency(0, []).ok).toBe(false);
  });

  it('counts the requests meeting every given objective, per second of run', () => {
    const reqs = [
      { ttftMs: 100, tpotMs: 20, e2eMs: 1000 }, // good
      { ttftMs: 500, tpotMs: 20, e2eMs: 1000 }, // objective met exactly: good (≤)
      { ttftMs: 501, tpotMs: 10, e2eMs: 900 }, // TTFT too slow
      { ttftMs: 100, tpotMs: 60, e2eMs: 900 }, // TPOT too slow
      { ttftMs: 100, tpotMs: 10, e2eMs: 2000 }, // E2E too slow
      { ttftMs: 10, tpotMs: 1, e2eMs: 10, ok: false }, // failed: never good
    ];
    const slo = { ttftMs: 500, tpotMs: 50, e2eMs: 1500 };
    const g = computeGoodput(reqs, slo, 4000);
    expect(g.good).toBe(2);
    expect(g.total).toBe(6);
    expect(g.requestsPerSecond).toBeCloseTo(0.5, 12);
    expect(g.fraction).toBeCloseTo(1 / 3, 12);
    // Only the objectives given are checked.
    expect(computeGoodput(reqs, { ttftMs: 500 }, 1000).good).toBe(4);
    expect(computeGoodput(reqs, {}, 1000).good).toBe(5);
    expect(meetsSlo({ ttftMs: NaN, tpotMs: 0, e2eMs: 1 }, { ttftMs: 10 })).toBe(false);
  });

  it('parses --goodput objectives', () => {
    expect(parseGoodputSlo(['ttft:500', 'tpot:50', 'e2el:2500.5'])).toEqual({ ttftMs: 500, tpotMs: 50, e2eMs: 2500.5 });
    expect(parseGoodputSlo(['ttft:200,tpot:40'])).toEqual({ ttftMs: 200, tpotMs: 40 });
    expect(() => parseGoodputSlo(['itl:5'])).toThrow(/ttft:MS/);
  });
});
