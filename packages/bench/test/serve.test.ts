import { describe, expect, it } from 'vitest';
import { arrivalTimes, runLoad, type LoadRequest, type ServeTarget } from '../src/index.js';

/** A target that streams `outputTokens` tokens, one every `tokenMs`, and tracks concurrency. */
function fakeTarget(tokenMs: number, failOn?: number): ServeTarget & { maxInFlight: number } {
  let inFlight = 0;
  const t = {
    maxInFlight: 0,
    async send(req: LoadRequest, onTokens: (time: number, tokens: number) => void): Promise<number> {
      inFlight++;
      t.maxInFlight = Math.max(t.maxInFlight, inFlight);
      try {
        for (let i = 0; i < req.outputTokens; i++) {
          await new Promise((r) => setTimeout(r, tokenMs));
          if (req.promptIds[0] === failOn && i === 1) throw new Error('connection reset');
          onTokens(performance.now(), 1);
        }
        return req.outputTokens;
      } finally {
        inFlight--;
      }
    },
  };
  return t;
}

const reqs = (n: number, out = 4): LoadRequest[] => Array.from({ length: n }, (_, i) => ({ promptIds: [i, 1, 2], outputTokens: out }));

describe('runLoad', () => {
  it('never exceeds the concurrency limit, and reaches it', async () => {
    const target = fakeTarget(2);
    const r = await runLoad(target, reqs(10), { maxConcurrency: 3 });
    expect(target.maxInFlight).toBe(3);
    expect(r.summary.completed).toBe(10);
    expect(r.summary.totalOutputTokens).toBe(40);
    expect(r.summary.maxConcurrency).toBe(3);
  });

  it('sends on the arrival schedule', async () => {
    const opts = { rate: 100, burstiness: 0.5, seed: 4 };
    const r = await runLoad(fakeTarget(1), reqs(12, 2), opts);
    const planned = arrivalTimes(12, opts);
    for (let i = 0; i < 12; i++) {
      expect(r.requests[i].sentAt).toBeGreaterThanOrEqual(planned[i]);
      expect(r.requests[i].sentAt).toBeLessThan(planned[i] + 250); // timers may be late, never early
    }
  });

  it('measures each request from its send time and counts goodput; a failed request is never good', async () => {
    const r = await runLoad(fakeTarget(3, 5), reqs(8, 5), { maxConcurrency: 2, slo: { ttftMs: 10_000, tpotMs: 10_000 } });
    expect(r.summary.completed).toBe(7);
    expect(r.summary.failed).toBe(1);
    expect(r.requests[5].error).toBe('connection reset');
    expect(r.summary.goodput).toMatchObject({ good: 7, total: 8 });
    for (const q of r.requests.filter((x) => x.ok !== false)) {
      expect(q.ttftMs).toBeGreaterThanOrEqual(2);
      expect(q.e2eMs).toBeGreaterThanOrEqual(q.ttftMs);
      expect(q.tpotMs).toBeCloseTo((q.e2eMs - q.ttftMs) / 4, 9);
      expect(q.outputTokens).toBe(5);
    }
    // The client-side timelines are what the report plots.
    expect(r.collected.timeline).toHaveLength(8);
  });
});
