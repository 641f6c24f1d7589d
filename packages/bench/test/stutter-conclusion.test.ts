import { describe, expect, it } from 'vitest';
import {
  allOf,
  belowLimit,
  concludeStutter,
  consistent,
  exceeds,
  formatConclusion,
  interleavedSchedule,
  spreadOf,
  type Verdict,
} from '../src/index.js';
import { simulateLab } from './simulated-lab.js';

const verdicts = (runs: Parameters<typeof concludeStutter>[0]): Record<string, Verdict> =>
  Object.fromEntries(concludeStutter(runs, { interval: 50 }).findings.map((f) => [f.id, f.verdict]));

describe('deciding a claim against the spread over repeats', () => {
  it('a limit: every repeat below holds, every repeat above fails, a spread across it is undecided', () => {
    expect(belowLimit([0.03, 0.05, 0.04], 0.15)).toBe('holds');
    expect(belowLimit([0.25, 0.3, 0.2], 0.15)).toBe('fails');
    expect(belowLimit([0.05, 0.25, 0.1], 0.15)).toBe('too-noisy');
  });

  it('a comparison: an effect larger than the spread decides it, a smaller one does not', () => {
    const s = (...xs: number[]) => spreadOf(xs);
    expect(exceeds(s(110, 115, 120), s(40, 42, 45))).toBe('holds');
    expect(exceeds(s(40, 42, 45), s(110, 115, 120))).toBe('fails');
    // Medians 116 vs 95, but one repeat of each spans 45–124 ms: the spread hides the effect.
    expect(exceeds(s(44, 116, 123), s(89, 95, 124))).toBe('too-noisy');
    // Separated, but clearly not by the ratio the claim needs.
    expect(exceeds(s(60, 61, 62), s(40, 41, 42), 2)).toBe('fails');
    expect(exceeds(s(130, 135, 140), s(40, 42, 45), 2)).toBe('holds');
    // 1.6× on medians, but a baseline spread of 38 ms (76 ms once doubled) cannot tell 1.6× from 2×.
    expect(exceeds(s(125.6, 135.3, 154.9), s(67.6, 85.0, 105.7), 2)).toBe('too-noisy');
    // One repeat each: no spread, the sign decides.
    expect(exceeds(s(5), s(0))).toBe('holds');
    expect(exceeds(s(0), s(0))).toBe('fails');
  });

  it('per-repeat checks must agree; a failing part fails the claim, an undecided one leaves it undecided', () => {
    expect(consistent([true, true, true])).toBe('holds');
    expect(consistent([false, false])).toBe('fails');
    expect(consistent([true, false, true])).toBe('too-noisy');
    expect(allOf('holds', 'too-noisy')).toBe('too-noisy');
    expect(allOf('too-noisy', 'fails')).toBe('fails');
    expect(allOf('holds', 'holds')).toBe('holds');
  });
});

describe('the interleaved order', () => {
  it('runs every configuration once per round: A B C D A B C D, not A A B B', () => {
    const order = interleavedSchedule(['A', 'B', 'C', 'D'], 3).map((x) => `${x.config}${x.repeat}`);
    expect(order).toEqual(['A0', 'B0', 'C0', 'D0', 'A1', 'B1', 'C1', 'D1', 'A2', 'B2', 'C2', 'D2']);
    expect(() => interleavedSchedule(['A'], 0)).toThrow(/repeats/);
  });
});

describe('the conclusion on simulated labs', () => {
  it('a quiet machine at a chatbot pace (40 ms a token): every claim holds', () => {
    const runs = simulateLab(3, { stepMs: 40 });
    const c = concludeStutter(runs, { interval: 50 });
    expect(Object.fromEntries(c.findings.map((f) => [f.id, f.verdict]))).toEqual({
      'mean-tps': 'holds',
      'periodic-spikes': 'holds',
      'incremental-smooth': 'holds',
      'same-reclaim': 'holds',
      'v8-gc': 'holds',
    });
    // ~100 ms every 50 tokens of 40 ms: a few percent of mean tokens/s.
    const periodic = runs.filter((r) => r.row.policy === 'periodic');
    for (const r of periodic) expect(r.withoutKvGc.meanTpsCost).toBeGreaterThan(0.02);
    for (const r of periodic) expect(r.withoutKvGc.meanTpsCost).toBeLessThan(0.08);
    expect(c.summary).toBe('5 of 5 claims hold.');
    expect(c.spreads.map((s) => [s.name, s.repeats])).toEqual([['off', 3], ['periodic:50', 3], ['incremental', 3], ['off+alloc', 3]]);
    expect(formatConclusion(c).split('\n').slice(0, 5).every((l) => l.startsWith('✓ '))).toBe(true);
  });

  it('a quiet machine and a fast model (4 ms a token): the same pause moves the mean, and the report says ✗', () => {
    const runs = simulateLab(3, { stepMs: 4 });
    const v = verdicts(runs);
    expect(v['mean-tps']).toBe('fails');
    expect(v['periodic-spikes']).toBe('holds');
    expect(v['incremental-smooth']).toBe('holds');
    const cost = runs.filter((r) => r.row.policy === 'periodic').map((r) => r.withoutKvGc.meanTpsCost);
    for (const x of cost) expect(x).toBeGreaterThan(0.2);
    expect(formatConclusion(concludeStutter(runs, { interval: 50 }))).toMatch(/^✗ mean tokens\/s barely moves/m);
  });

  it('a busy machine: stalls as long as a sweep and runs 40 % apart are reported as too noisy, never as a wrong ✓ or ✗', () => {
    const noise = { stallRate: 0.04, stallMs: 160, drift: 0.4 };
    const runs = simulateLab(3, { stepMs: 40, noise });
    const c = concludeStutter(runs, { interval: 50 });
    const v = Object.fromEntries(c.findings.map((f) => [f.id, f.verdict]));
    // The pause-vs-tail claims drown in the noise; the claims the noise cannot touch (the
    // reclaimed blocks, V8's collections in the allocation-heavy run) still stand.
    expect(v['mean-tps']).toBe('too-noisy');
    expect(v['incremental-smooth']).toBe('too-noisy');
    expect(Object.values(v)).not.toContain('fails');
    expect(c.summary).toMatch(/too noisy to conclude \(the spread across 3 repeats was larger than the effect\)/);
    expect(formatConclusion(c)).toMatch(/^\? \(too noisy to conclude\) mean tokens\/s barely moves/m);
    // The same noisy runs, judged one repeat at a time, give confident and contradictory marks:
    // what the spread over repeats protects against.
    const single = [0, 1, 2].map((k) => verdicts(runs.filter((r) => r.repeat === k)));
    expect(single.some((s) => Object.values(s).includes('fails'))).toBe(true);
  });
});
