/**
 * Model-based property test: random interleavings of create (with prefix reuse), append, fork,
 * free, swap out/in, rewrite (copy-on-write), GC steps, collections and evictions, checked after
 * every operation against an independent model of what each sequence must hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BLOCK_FREE,
  BLOCK_USED,
  KVCacheOutOfBlocksError,
  KVSwapSpaceFullError,
  PagedKVCache,
  type GcPolicy,
} from '../src/index.js';
import { TINY, TINY_BLOCK_BYTES, blockIsZero, writeToken } from './helpers.js';

const BLOCKS = 24;
const SWAP_BLOCKS = 12;
const BS = TINY.blockSize;

interface ModelSeq {
  id: number;
  tokens: number[];
  /** Expected K/V stand-in per position: a rolling hash of the prefix, like real K/V. */
  values: number[];
  swapped: boolean;
}

const BASES: number[][] = [
  [],
  Array.from({ length: 12 }, (_, i) => 1 + (i % 3)),
  Array.from({ length: 20 }, (_, i) => 1 + ((i * 7) % 3)),
  [...Array.from({ length: 20 }, (_, i) => 1 + ((i * 7) % 3)), 3, 3, 2, 1, 1, 2, 3, 3],
];

function nextValue(prev: number, token: number): number {
  return ((prev * 31 + token) % 1_000_003) + 1;
}

function valuesFor(tokens: number[]): number[] {
  const out: number[] = [];
  let h = 7;
  for (const t of tokens) out.push((h = nextValue(h, t)));
  return out;
}

function randomTokens(seed: number, n: number): number[] {
  const out: number[] = [];
  let s = seed | 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    out.push(1 + ((s >>> 16) % 3));
  }
  return out;
}

const OPS = ['create', 'create', 'append', 'append', 'append', 'fork', 'free', 'free', 'free', 'swapOut', 'swapIn', 'rewrite', 'truncate', 'step', 'collect', 'evict'] as const;

const configArb = fc.record({
  policy: fc.constantFrom<GcPolicy>('eager', 'periodic', 'incremental', 'off'),
  retain: fc.constantFrom(0, 2, Number.POSITIVE_INFINITY),
  prefixCaching: fc.boolean(),
  interval: fc.integer({ min: 1, max: 8 }),
  budget: fc.integer({ min: 1, max: 4 }),
});
const opArb = fc.tuple(fc.nat(OPS.length - 1), fc.nat(1 << 20), fc.nat(1 << 20));

type Config = typeof configArb extends fc.Arbitrary<infer T> ? T : never;

function run(config: Config, ops: [number, number, number][]): void {
  const cache = new PagedKVCache({
    ...TINY,
    memoryBytes: BLOCKS * TINY_BLOCK_BYTES,
    swapBytes: SWAP_BLOCKS * TINY_BLOCK_BYTES,
    prefixCaching: config.prefixCaching,
    debug: true,
    gc: {
      policy: config.policy,
      retainCachedBlocks: config.retain,
      intervalTokens: config.interval,
      budget: { blocks: config.budget, microseconds: 1e6 },
    },
  });
  /** Whether free blocks are zero while free ('off' scrubs each only when it is reused). */
  const scrubs = config.policy !== 'off';
  const live: ModelSeq[] = [];
  const resident = (): ModelSeq[] => live.filter((s) => !s.swapped);

  /** References to each block, counted from the public block tables (independent of refcounts). */
  const references = (): Int32Array => {
    const refs = new Int32Array(BLOCKS);
    for (const s of resident()) {
      const t = cache.blockTable(s.id);
      for (let i = 0; i < t.length; i++) refs[t.blocks[i]]++;
    }
    return refs;
  };

  const appendChecked = (s: ModelSeq, tokens: number[]): boolean => {
    const length = s.tokens.length;
    const last = cache.blockTable(s.id).blocks[Math.floor(length / BS)];
    const lastShared = length % BS !== 0 && (references()[last] > 1 || cache.isRegistered(last));
    const need = Math.ceil((length + tokens.length) / BS) - Math.ceil(length / BS) + (lastShared ? 1 : 0);
    const available = cache.availableBlocks();
    try {
      cache.appendSlots(s.id, tokens.length);
    } catch (e) {
      expect(e).toBeInstanceOf(KVCacheOutOfBlocksError);
      expect((e as KVCacheOutOfBlocksError).requested).toBe(need);
      expect((e as KVCacheOutOfBlocksError).free).toBe(available);
      expect(need).toBeGreaterThan(available);
      expect(cache.sequenceLength(s.id)).toBe(length);
      return false;
    }
    expect(need).toBeLessThanOrEqual(available);
    let h = s.values.length ? s.values[s.values.length - 1] : 7;
    for (const [i, t] of tokens.entries()) {
      const pos = length + i;
      // Fresh slots never show another request's data, under every policy.
      if (!slotIsZero(s.id, pos)) throw new Error(`fresh slot ${pos} of sequence ${s.id} holds data`);
      h = nextValue(h, t);
      writeToken(cache, s.id, pos, h);
      s.tokens.push(t);
      s.values.push(h);
    }
    cache.commitTokens(s.id, s.tokens);
    return true;
  };

  const slotIsZero = (seq: number, pos: number): boolean => {
    for (let layer = 0; layer < TINY.layers; layer++) {
      for (const kind of ['k', 'v'] as const) {
        const off = cache.slotOffset(seq, pos, layer, kind);
        for (let d = 0; d < cache.layout.slotStride; d++) if (cache.f32[off + d] !== 0) return false;
      }
    }
    return true;
  };

  /** Every position of a resident sequence holds the value its prefix dictates (read via the block table). */
  const holdsAll = (s: ModelSeq): boolean => {
    const kv = cache.f32;
    const { layers, slotStride, blockShift, blockMask } = cache.layout;
    const table = cache.blockTable(s.id);
    for (let p = 0; p < s.tokens.length; p++) {
      const block = table.blocks[p >> blockShift];
      for (let layer = 0; layer < layers; layer++) {
        const k = cache.layout.blockOffset(block, layer, 'k') + (p & blockMask) * slotStride;
        const v = cache.layout.blockOffset(block, layer, 'v') + (p & blockMask) * slotStride;
        for (let d = 0; d < slotStride; d++) {
          const want = s.values[p] + d + layer * 1000;
          if (kv[k + d] !== want || kv[v + d] !== -want) return false;
        }
      }
    }
    return true;
  };

  const check = (): void => {
    cache.checkInvariants();
    const refs = references();
    let used = 0;
    for (let b = 0; b < BLOCKS; b++) {
      if (cache.refcountOf(b) !== refs[b] || (cache.blockState(b) === BLOCK_USED) !== refs[b] > 0) {
        throw new Error(`block ${b}: refcount ${cache.refcountOf(b)}, state ${cache.blockState(b)}, ${refs[b]} table references`);
      }
      if (refs[b] > 0) used++;
    }
    const stats = cache.stats();
    const swapped = live.filter((s) => s.swapped);
    const summary = [
      stats.blocksUsed,
      stats.blocksUsed + stats.blocksCached + stats.blocksFree + stats.blocksAwaitingScrub,
      stats.swap.blocksUsed,
      stats.sequencesResident + stats.sequencesSwapped,
    ];
    const expected = [used, BLOCKS, swapped.reduce((n, s) => n + Math.ceil(s.tokens.length / BS), 0), live.length];
    if (summary.join() !== expected.join()) expect(summary).toEqual(expected);
    for (const s of live) {
      if (cache.sequenceLength(s.id) !== s.tokens.length || cache.isSwapped(s.id) !== s.swapped) {
        throw new Error(`sequence ${s.id}: length ${cache.sequenceLength(s.id)} vs ${s.tokens.length}, swapped ${s.swapped}`);
      }
      if (!s.swapped && !holdsAll(s)) throw new Error(`sequence ${s.id} does not hold its K/V`);
    }
  };

  for (const [kind, a, b] of ops) {
    const op = OPS[kind];
    const pick = (list: ModelSeq[]): ModelSeq | undefined => (list.length ? list[a % list.length] : undefined);
    switch (op) {
      case 'create': {
        const prompt = [...BASES[a % BASES.length], ...randomTokens(b, b % 14)];
        const id = cache.createSequence({ promptTokens: prompt });
        const reused = cache.sequenceLength(id);
        expect(reused % BS).toBe(0);
        if (!config.prefixCaching || prompt.length === 0) expect(reused).toBe(0);
        else expect(reused).toBeLessThanOrEqual(prompt.length - 1);
        const s: ModelSeq = { id, tokens: prompt.slice(0, reused), values: valuesFor(prompt).slice(0, reused), swapped: false };
        live.push(s);
        appendChecked(s, prompt.slice(reused));
        break;
      }
      case 'append': {
        const s = pick(resident());
        if (s) appendChecked(s, randomTokens(b, 1 + (b % 9)));
        break;
      }
      case 'fork': {
        const s = pick(resident());
        if (!s) break;
        const id = cache.forkSequence(s.id);
        live.push({ id, tokens: s.tokens.slice(), values: s.values.slice(), swapped: false });
        break;
      }
      case 'free': {
        const s = pick(live);
        if (!s) break;
        cache.freeSequence(s.id);
        live.splice(live.indexOf(s), 1);
        break;
      }
      case 'swapOut': {
        const s = pick(resident());
        if (!s) break;
        const blocks = Math.ceil(s.tokens.length / BS);
        const free = SWAP_BLOCKS - cache.stats().swap.blocksUsed;
        try {
          cache.swapOut(s.id);
          s.swapped = true;
          expect(blocks).toBeLessThanOrEqual(free);
        } catch (e) {
          expect(e).toBeInstanceOf(KVSwapSpaceFullError);
          expect([(e as KVSwapSpaceFullError).requested, (e as KVSwapSpaceFullError).free]).toEqual([blocks, free]);
        }
        break;
      }
      case 'swapIn': {
        const s = pick(live.filter((x) => x.swapped));
        if (!s) break;
        try {
          cache.swapIn(s.id);
          s.swapped = false;
        } catch (e) {
          expect(e).toBeInstanceOf(KVCacheOutOfBlocksError);
          expect(cache.isSwapped(s.id)).toBe(true);
        }
        break;
      }
      case 'rewrite': {
        // Change one token and recompute everything after it, as a rollback would.
        const s = pick(resident());
        if (!s || s.tokens.length === 0) break;
        const pos = b % s.tokens.length;
        const refs = references();
        const table = cache.blockTable(s.id);
        let copies = 0;
        for (let i = Math.floor(pos / BS); i < table.length; i++) if (refs[table.blocks[i]] > 1) copies++;
        if (copies > cache.availableBlocks()) break;
        const tokens = s.tokens.slice();
        tokens[pos] = 4 + (tokens[pos] % 3);
        const values = valuesFor(tokens);
        for (let p = pos; p < tokens.length; p++) {
          // Only the first write into a shared block copies it.
          const shared = (p === pos || p % BS === 0) && references()[cache.blockTable(s.id).blocks[Math.floor(p / BS)]] > 1;
          if (cache.prepareWrite(s.id, p) !== shared) throw new Error(`prepareWrite(${p}) should return ${shared}`);
          writeToken(cache, s.id, p, values[p]);
        }
        s.tokens = tokens;
        s.values = values;
        cache.commitTokens(s.id, s.tokens);
        break;
      }
      case 'truncate': {
        const s = pick(resident());
        if (!s) break;
        const length = b % (s.tokens.length + 1);
        cache.truncateSequence(s.id, length);
        s.tokens.length = length;
        s.values.length = length;
        break;
      }
      case 'step':
        for (let i = 0; i <= b % 4; i++) cache.step();
        break;
      case 'collect':
        cache.collect();
        break;
      case 'evict': {
        const cached = cache.stats().blocksCached;
        const max = b % 4;
        expect(cache.evictCached(max)).toBe(Math.min(max, cached));
        break;
      }
    }
    check();
  }

  // Everything ends: nothing leaks.
  for (const s of live) cache.freeSequence(s.id);
  const end = cache.stats();
  expect([end.blocksUsed, end.swap.blocksUsed, end.sequencesResident, end.sequencesSwapped]).toEqual([0, 0, 0, 0]);
  cache.evictCached();
  cache.collect();
  cache.checkInvariants();
  expect(cache.stats().blocksFree).toBe(BLOCKS);
  for (let blk = 0; blk < BLOCKS; blk++) {
    expect(cache.blockState(blk)).toBe(BLOCK_FREE);
    if (scrubs) expect(blockIsZero(cache, blk)).toBe(true);
  }
}

describe('random interleavings keep the invariants', () => {
  it('100 runs × 1000 operations', () => {
    fc.assert(
      fc.property(configArb, fc.array(opArb, { minLength: 1000, maxLength: 1000 }), (config, ops) => {
        run(config, ops);
      }),
      // A failure's shrinking over 1000-step runs is slow: cap it, keeping the best counterexample.
      { numRuns: 100, interruptAfterTimeLimit: 90_000, markInterruptAsFailure: true },
    );
  });
});
