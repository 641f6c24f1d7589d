import { describe, expect, it } from 'vitest';
import {
  e2e,
  genaiPerfItl,
  llmperfItl,
  perRequest,
  queueTime,
  requestTokensPerSecond,
  systemTokensPerSecond,
  tpot,
  ttft,
  vllmItl,
} from '../src/definitions.js';
import { summarize } from '../src/stats.js';
import type { RequestTimeline } from '../src/timeline.js';
import { timelineFromGaps } from './synthetic.js';

function crafted(): RequestTimeline {
  return {
    id: 'a',
    arrival: 100,
    admission: 120,
    prefillStart: 121,
    prefillEnd: 149,
    tokenTimes: new Float64Array([150, 160, 175, 180, 200]),
    finish: 205,
    finishReason: 'stop',
  };
}

describe('per-request definitions', () => {
  it('computes TTFT, E2E, queue time, TPOT, LLMPerf ITL and tokens/s on a crafted timeline', () => {
    const t = crafted();
    expect(ttft(t)).toBe(50);
    expect(e2e(t)).toBe(105);
    expect(queueTime(t)).toBe(20);
    expect(tpot(t)).toBe(12.5); // (200 − 150)/4
    expect(llmperfItl(t)).toBe(20); // (50 + 10 + 15 + 5 + 20)/5
    expect(requestTokensPerSecond(t)).toBeCloseTo((5 / 105) * 1000, 10);
    expect(Array.from(vllmItl([t]))).toEqual([10, 15, 5, 20]);
  });

  it('is NaN where a definition has no data', () => {
    const none: RequestTimeline = { ...crafted(), tokenTimes: new Float64Array(0), admission: undefined };
    const one: RequestTimeline = { ...crafted(), tokenTimes: new Float64Array([150]) };
    expect(ttft(none)).toBeNaN();
    expect(llmperfItl(none)).toBeNaN();
    expect(queueTime(none)).toBeNaN();
    expect(tpot(one)).toBeNaN();
    expect(vllmItl([none, one]).length).toBe(0);
  });

  it('separates vLLM (per chunk gap) and GenAI-Perf (gap / tokens in later chunk) ITL with multi-token chunks', () => {
    const t: RequestTimeline = {
      id: 'c',
      arrival: 0,
      prefillStart: NaN,
      prefillEnd: NaN,
      tokenTimes: new Float64Array([10, 30, 30, 30, 34, 34]),
      chunkTokens: [1, 3, 2],
      finish: 34,
      finishReason: 'stop',
    };
    expect(Array.from(vllmItl([t]))).toEqual([20, 4]);
    const g = Array.from(genaiPerfItl([t]));
    expect(g[0]).toBeCloseTo(20 / 3, 12);
    expect(g[1]).toBe(2);
    expect(tpot(t)).toBeCloseTo(24 / 5, 12);
    expect(llmperfItl(t)).toBeCloseTo(34 / 6, 12);
  });

  it('pools gaps over requests in request order and computes system throughput over the run span', () => {
    const a = timelineFromGaps('a', 0, 100, Array(9).fill(100)); // 10 tokens, last at 1000
    const b = timelineFromGaps('b', 500, 50, Array(29).fill(50)); // 30 tokens, last at 2000
    expect(a.finish).toBe(1000);
    expect(b.finish).toBe(2000);
    const itl = vllmItl([a, b]);
    expect(itl.length).toBe(9 + 29);
    expect(itl[0]).toBe(100);
    expect(itl[9]).toBe(50);
    expect(systemTokensPerSecond([a, b])).toBeCloseTo(40 / 2, 12);
    const out = new Float64Array(100);
    expect(vllmItl([a, b], out).buffer).toBe(out.buffer);
  });
});

describe('LLMPerf per-request mean ITL hides a stall that vLLM ITL tails show', () => {
  // 200 tokens, TTFT 200 ms, gaps of 20 ms; the stalled request has one 100 ms gap instead.
  const gaps = Array(199).fill(20);
  const stalled = gaps.slice();
  stalled[120] = 100;

  it('one 100 ms spike in 200 tokens: LLMPerf moves < 2 %, vLLM max ITL moves 5×', () => {
    const clean = [timelineFromGaps('r', 0, 200, gaps)];
    const spiky = [timelineFromGaps('r', 0, 200, stalled)];
    const llmClean = summarize(perRequest(clean, llmperfItl)).mean;
    const llmSpiky = summarize(perRequest(spiky, llmperfItl)).mean;
    // (200 + 199·20)/200 = 20.9 → (200 + 198·20 + 100)/200 = 21.3
    expect(llmClean).toBeCloseTo(20.9, 10);
    expect(llmSpiky).toBeCloseTo(21.3, 10);
    expect(llmSpiky / llmClean - 1).toBeLessThan(0.02);

    const vClean = summarize(vllmItl(clean));
    const vSpiky = summarize(vllmItl(spiky));
    expect(vClean.max).toBe(20);
    expect(vSpiky.max).toBe(100);
    // A single stall is rarer than 1 %, so P99 can't see it; max can.
    expect(vSpiky.p99).toBe(20);
  });

  it('stalls in 2 % of gaps across requests: vLLM P99 ITL moves 4×, LLMPerf P99 by < 10 %', () => {
    const clean: RequestTimeline[] = [];
    const spiky: RequestTimeline[] = [];
    for (let r = 0; r < 10; r++) {
      clean.push(timelineFromGaps(r, r * 1000, 200, gaps));
      const g = gaps.slice();
      for (const k of [20, 70, 120, 170]) g[k] = 100;
      spiky.push(timelineFromGaps(r, r * 1000, 200, g));
    }
    const vClean = summarize(vllmItl(clean)).p99;
    const vSpiky = summarize(vllmItl(spiky)).p99;
    expect(vClean).toBe(20);
    expect(vSpiky).toBeGreaterThanOrEqual(80);
    const lClean = summarize(perRequest(clean, llmperfItl)).p99;
    const lSpiky = summarize(perRequest(spiky, llmperfItl)).p99;
    expect(lSpiky / lClean - 1).toBeLessThan(0.1);
  });
});
