import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrefixCache, chainHash, type PrefixHashFunction } from '../src/index.js';

const BS = 8;
const block = (seed: number): number[] => Array.from({ length: BS }, (_, i) => seed * 31 + i);

describe('chainHash', () => {
  it('depends on the parent hash, every token and their order', () => {
    const out = new Int32Array(2);
    const seen = new Set<string>();
    const key = (hi: number, lo: number, tokens: number[]): string => {
      chainHash(hi, lo, tokens, 0, tokens.length, out);
      return `${out[0]}:${out[1]}`;
    };
    const base = block(1);
    seen.add(key(1, 2, base));
    seen.add(key(1, 3, base));
    seen.add(key(4, 2, base));
    for (let i = 0; i < BS; i++) {
      const t = base.slice();
      t[i]++;
      seen.add(key(1, 2, t));
    }
    const swapped = base.slice();
    [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
    seen.add(key(1, 2, swapped));
    expect(seen.size).toBe(3 + BS + 1);
    expect(key(1, 2, base)).toBe(key(1, 2, block(1))); // deterministic
  });

  it('has no collisions over 200k distinct single-token-difference blocks', () => {
    const out = new Int32Array(2);
    const seen = new Set<bigint>();
    const tokens = new Int32Array(BS);
    for (let i = 0; i < 200_000; i++) {
      tokens[i % BS] = i;
      chainHash(0, 0, tokens, 0, BS, out);
      seen.add((BigInt(out[0] >>> 0) << 32n) | BigInt(out[1] >>> 0));
    }
    expect(seen.size).toBe(200_000);
  });
});

describe('PrefixCache', () => {
  it('matches the chain of registered blocks and stops at the first miss', () => {
    const pc = new PrefixCache(16, BS);
    const tokens = [...block(1), ...block(2), ...block(3)];
    pc.register(5, -1, tokens, 0);
    pc.register(9, 5, tokens, BS);
    pc.register(2, 9, tokens, 2 * BS);
    const out = new Int32Array(16);
    expect(pc.match(tokens, 16, out)).toBe(3);
    expect(Array.from(out.subarray(0, 3))).toEqual([5, 9, 2]);
    expect(pc.match(tokens, 2, out)).toBe(2);
    const other = [...block(1), ...block(7), ...block(3)];
    expect(pc.match(other, 16, out)).toBe(1);
    expect(pc.match(tokens.slice(0, 2 * BS + 3), 16, out)).toBe(2); // partial block never matches
  });

  it('does not reach children through a parent that was evicted and reused', () => {
    // With every hash colliding, only the parent's generation tells the old chain from the new.
    const collide: PrefixHashFunction = (_hi, _lo, _t, _s, _n, out) => {
      out[0] = 3;
      out[1] = 3;
    };
    const pc = new PrefixCache(8, BS, collide);
    const a = [...block(1), ...block(2)];
    pc.register(0, -1, a, 0);
    pc.register(1, 0, a, BS);
    const out = new Int32Array(8);
    expect(pc.match(a, 8, out)).toBe(2);
    pc.unregister(0);
    // Block 0 is reused for a different first block; block 1 still names it as parent.
    const b = [...block(9), ...block(2)];
    pc.register(0, -1, b, 0);
    expect(pc.match(b, 8, out)).toBe(1);
    expect(out[0]).toBe(0);
    expect(pc.match(a, 8, out)).toBe(0);
  });

  it('verifies token ids, so colliding hashes never give a wrong match', () => {
    const collide: PrefixHashFunction = (_hi, _lo, _t, _s, _n, out) => {
      out[0] = 7;
      out[1] = 7;
    };
    const pc = new PrefixCache(16, BS, collide);
    for (let i = 0; i < 10; i++) pc.register(i, -1, block(i), 0);
    for (let i = 0; i < 10; i++) expect(pc.find(-1, block(i), 0)).toBe(i);
    expect(pc.find(-1, block(42), 0)).toBe(-1);
    pc.unregister(3);
    pc.unregister(0);
    for (let i = 1; i < 10; i++) expect(pc.find(-1, block(i), 0)).toBe(i === 3 ? -1 : i);
  });

  it('keeps every entry findable through random registrations and removals (vs a reference map)', () => {
    // A weak hash crowds entries into few buckets, exercising probing and backward-shift deletion.
    const weak: PrefixHashFunction = (_hi, _lo, t, s, _n, out) => {
      out[0] = 0;
      out[1] = (t[s] as number) % 5;
    };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(39), fc.nat(1000)), { maxLength: 300 }), (ops) => {
        const pc = new PrefixCache(40, BS, weak);
        const ref = new Map<number, number[]>();
        for (const [add, b, seed] of ops) {
          if (add && !ref.has(b)) {
            pc.register(b, -1, block(seed), 0);
            ref.set(b, block(seed));
          } else if (!add && ref.has(b)) {
            pc.unregister(b);
            ref.delete(b);
          }
        }
        expect(pc.hashedCount).toBe(ref.size);
        const counts = new Int32Array(40);
        pc.countTableEntries(counts);
        for (let b = 0; b < 40; b++) {
          expect(counts[b]).toBe(ref.has(b) ? 1 : 0);
          if (ref.has(b)) {
            expect(pc.reachable(b)).toBe(true);
            expect(pc.holds(b, ref.get(b)!, 0)).toBe(true);
          }
        }
        for (const tokens of ref.values()) expect(pc.find(-1, tokens, 0)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps unreferenced blocks in least-recently-used order', () => {
    const pc = new PrefixCache(8, BS);
    for (const b of [4, 1, 6, 2]) pc.lruPush(b);
    pc.lruRemove(1);
    pc.lruPush(1);
    const order: number[] = [];
    for (let b = pc.lruFirst(); b >= 0; b = pc.lruAfter(b)) order.push(b);
    expect(order).toEqual([4, 6, 2, 1]);
    expect(pc.lruPopOldest()).toBe(4);
    expect(pc.lruPopOldest()).toBe(6);
    expect(pc.cachedCount).toBe(2);
  });
});
