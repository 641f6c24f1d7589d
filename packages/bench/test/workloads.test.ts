import { describe, expect, it } from 'vitest';
import { chatWorkload, randomRequests } from '../src/index.js';

describe('workloads', () => {
  it('chat: users × conversations × turns, seeded, reply lengths within the spread', () => {
    const w = chatWorkload({ users: 3, conversationsPerUser: 2, turns: 4, replyTokens: 80, replySpread: 0.25, seed: 5 });
    expect(w.conversations).toHaveLength(6);
    expect(w.conversations.map((c) => c.user)).toEqual([0, 1, 2, 0, 1, 2]);
    for (const c of w.conversations) {
      expect(c.turns).toHaveLength(4);
      for (const t of c.turns) {
        expect(t.replyTokens).toBeGreaterThanOrEqual(60);
        expect(t.replyTokens).toBeLessThanOrEqual(100);
        expect(t.message).toMatch(/^[A-Z][a-z ]+\?$/);
      }
    }
    const lengths = w.conversations.flatMap((c) => c.turns.map((t) => t.replyTokens));
    expect(new Set(lengths).size).toBeGreaterThan(5); // streams drift out of step
    expect(chatWorkload({ users: 3, conversationsPerUser: 2, turns: 4, replyTokens: 80, seed: 5 })).toEqual(w);
    expect(chatWorkload({ users: 3, conversationsPerUser: 2, turns: 4, replyTokens: 80, seed: 6 })).not.toEqual(w);
    expect(() => chatWorkload({ users: 0 })).toThrow(/users/);
  });

  it('random requests: lengths uniform within len·(1 ± ratio), ids inside the vocabulary', () => {
    const reqs = randomRequests({ count: 400, inputLen: 100, outputLen: 20, rangeRatio: 0.5, vocabSize: 1000, seed: 1 });
    const inLens = reqs.map((r) => r.promptIds.length);
    const outLens = reqs.map((r) => r.outputTokens);
    expect(Math.min(...inLens)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...inLens)).toBeLessThanOrEqual(150);
    expect(Math.min(...inLens)).toBeLessThan(60);
    expect(Math.max(...inLens)).toBeGreaterThan(140);
    const mean = inLens.reduce((a, b) => a + b, 0) / inLens.length;
    expect(Math.abs(mean - 100)).toBeLessThan(5);
    expect(Math.min(...outLens)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...outLens)).toBeLessThanOrEqual(30);
    for (const r of reqs) for (const id of r.promptIds) expect(id >= 3 && id < 1000).toBe(true);
    const fixed = randomRequests({ count: 3, inputLen: 7, outputLen: 4, vocabSize: 50 });
    expect(fixed.map((r) => [r.promptIds.length, r.outputTokens])).toEqual([[7, 4], [7, 4], [7, 4]]);
  });
});
