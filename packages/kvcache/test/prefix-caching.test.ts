import { describe, expect, it } from 'vitest';
import { BLOCK_CACHED, BLOCK_USED, type PagedKVCache, type PrefixHashFunction } from '../src/index.js';
import { blocksOf, holdsToken, tinyCache, writeToken } from './helpers.js';

/** Prefills `prompt` in a new sequence: reuses what is cached, writes the rest, commits. Returns [seq, reused tokens]. */
function prefill(cache: PagedKVCache, prompt: number[]): [number, number] {
  const seq = cache.createSequence({ promptTokens: prompt });
  const reused = cache.sequenceLength(seq);
  cache.appendSlots(seq, prompt.length - reused);
  for (let p = reused; p < prompt.length; p++) writeToken(cache, seq, p, valueAt(prompt, p));
  cache.commitTokens(seq, prompt);
  return [seq, reused];
}

/** A K/V stand-in that depends on the whole prefix, as real attention K/V would. */
function valueAt(tokens: number[], pos: number): number {
  let h = 17;
  for (let i = 0; i <= pos; i++) h = (h * 31 + tokens[i]) % 100_003;
  return h + 1;
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('prefix caching', () => {
  it('reuses the cached full blocks of a shared prompt prefix and reports computed tokens', () => {
    const cache = tinyCache(16);
    const system = range(1, 20); // 2 full blocks + 4 tokens
    const [a, reusedA] = prefill(cache, [...system, 100, 101]);
    expect(reusedA).toBe(0);
    const [b, reusedB] = prefill(cache, [...system, 200, 201, 202]);
    expect(reusedB).toBe(16); // only full blocks are shared
    expect(blocksOf(cache, b).slice(0, 2)).toEqual(blocksOf(cache, a).slice(0, 2));
    expect(blocksOf(cache, b)[2]).not.toBe(blocksOf(cache, a)[2]);
    for (const blk of blocksOf(cache, a).slice(0, 2)) expect(cache.refcountOf(blk)).toBe(2);
    const prompt = [...system, 200, 201, 202];
    for (let p = 0; p < prompt.length; p++) expect(holdsToken(cache, b, p, valueAt(prompt, p))).toBe(true);
    const s = cache.stats();
    expect(s.prefix.queries).toBe(2);
    expect(s.prefix.hits).toBe(1);
    expect(s.prefix.queryTokens).toBe(22 + 23);
    expect(s.prefix.hitTokens).toBe(16);
    expect(s.prefix.hitRate).toBeCloseTo(16 / 45);
    cache.checkInvariants();
  });

  it('always leaves the last prompt token to compute', () => {
    const cache = tinyCache(16);
    const prompt = range(1, 16);
    const [a] = prefill(cache, prompt);
    expect(cache.matchPrefix(prompt)).toEqual({ blocks: 2, tokens: 16 });
    const [, reused] = prefill(cache, prompt);
    expect(reused).toBe(8);
    cache.freeSequence(a);
  });

  it('keeps blocks of ended sequences cached until evicted, least recently used first', () => {
    const cache = tinyCache(6);
    const [a] = prefill(cache, range(1, 17)); // blocks: 2 full + 1 partial
    const [b] = prefill(cache, range(500, 17));
    const aBlocks = blocksOf(cache, a);
    const bBlocks = blocksOf(cache, b);
    cache.freeSequence(a);
    cache.freeSequence(b);
    for (const blk of [...aBlocks.slice(0, 2), ...bBlocks.slice(0, 2)]) expect(cache.blockState(blk)).toBe(BLOCK_CACHED);
    expect(cache.stats().blocksCached).toBe(4);
    // A hit makes a's prefix most recently used again.
    const [c, reused] = prefill(cache, [...range(1, 16), 99]);
    expect(reused).toBe(16);
    cache.freeSequence(c);
    // Needing 4 blocks: 2 clean ones, then evict b's (older) blocks — tail block first.
    const d = cache.createSequence();
    cache.appendSlots(d, 32);
    expect(cache.stats().evictions).toBe(2);
    expect(cache.matchPrefix(range(1, 16)).blocks).toBe(2);
    expect(cache.matchPrefix(range(500, 16)).blocks).toBe(0);
    cache.checkInvariants();
  });

  it('evictCached drops unreferenced cached blocks on request', () => {
    const cache = tinyCache(6);
    const [a] = prefill(cache, range(1, 17));
    cache.freeSequence(a);
    expect(cache.evictCached(1)).toBe(1);
    expect(cache.matchPrefix(range(1, 16)).blocks).toBe(1); // the tail block went first
    expect(cache.evictCached()).toBe(1);
    expect(cache.stats().blocksCached).toBe(0);
    cache.checkInvariants();
  });

  it('commits decode tokens incrementally and registers blocks as they fill', () => {
    const cache = tinyCache(8);
    const tokens = [1, 2, 3];
    const [seq] = prefill(cache, tokens);
    for (let t = 4; t <= 20; t++) {
      cache.appendSlots(seq, 1);
      tokens.push(t);
      writeToken(cache, seq, t - 1, valueAt(tokens, t - 1));
      cache.commitTokens(seq, tokens);
    }
    expect(cache.committedTokens(seq)).toBe(20);
    expect(cache.stats().prefix.registeredBlocks).toBe(2);
    expect(cache.matchPrefix(tokens).blocks).toBe(2);
    cache.checkInvariants();
  });

  it('never matches a wrong prefix even when every hash collides', () => {
    const collide: PrefixHashFunction = (_a, _b, _t, _s, _n, out) => {
      out[0] = 1;
      out[1] = 1;
    };
    const cache = tinyCache(16, { prefixHash: collide });
    const p1 = [...range(1, 8), ...range(50, 8), 0];
    const p2 = [...range(1, 8), ...range(60, 8), 0];
    const p3 = [...range(2, 8), ...range(50, 8), 0];
    prefill(cache, p1);
    const [b, rb] = prefill(cache, p2);
    expect(rb).toBe(8);
    const [c, rc] = prefill(cache, p3);
    expect(rc).toBe(0); // same second block, different first block
    for (let p = 0; p < 17; p++) {
      expect(holdsToken(cache, b, p, valueAt(p2, p))).toBe(true);
      expect(holdsToken(cache, c, p, valueAt(p3, p))).toBe(true);
    }
    cache.checkInvariants();
  });

  it('forked sequences join blocks their sibling registered', () => {
    const cache = tinyCache(8);
    const tokens = range(1, 8);
    const a = cache.createSequence();
    cache.appendSlots(a, 8);
    const f = cache.forkSequence(a);
    cache.commitTokens(a, tokens);
    cache.commitTokens(f, tokens);
    cache.appendSlots(f, 8);
    cache.commitTokens(f, range(1, 16));
    expect(cache.matchPrefix(range(1, 16)).blocks).toBe(2);
    cache.checkInvariants();
  });

  it('a rewritten registered block leaves the cache', () => {
    const cache = tinyCache(8);
    const [a] = prefill(cache, range(1, 17));
    const first = blocksOf(cache, a)[0];
    expect(cache.prepareWrite(a, 2)).toBe(false);
    expect(cache.committedTokens(a)).toBe(2);
    expect(cache.matchPrefix(range(1, 16)).blocks).toBe(0);
    cache.freeSequence(a);
    expect(cache.blockState(first)).not.toBe(BLOCK_USED);
    expect(cache.blockState(first)).not.toBe(BLOCK_CACHED);
    cache.checkInvariants();
  });

  it('does nothing with prompts when prefix caching is off', () => {
    const cache = tinyCache(8, { prefixCaching: false });
    const [a] = prefill(cache, range(1, 17));
    const [, reused] = prefill(cache, range(1, 17));
    expect(reused).toBe(0);
    expect(cache.matchPrefix(range(1, 17)).blocks).toBe(0);
    cache.freeSequence(a);
    expect(cache.stats().blocksCached).toBe(0);
    expect(cache.stats().prefix.queries).toBe(0);
  });
});
