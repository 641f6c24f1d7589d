/**
 * Prefix caching: full blocks are keyed by a hash chained from their parent block's hash and their
 * own token ids, so a new prompt that starts with the same tokens can reuse the computed K/V.
 *
 * The hash only picks the bucket. A match is decided exactly: a cached block matches when its
 * stored token ids equal the query's and its recorded parent is the block matched one step
 * earlier, in the same registration generation. Each block's generation is bumped whenever it
 * leaves the cache, so children of an evicted (and possibly reused) block can never be reached
 * through it again. Hash collisions therefore cost a probe, never a wrong answer.
 *
 * Unreferenced cached blocks sit in an LRU list (a doubly linked list in typed arrays) and are
 * evicted oldest first. Everything lives in typed arrays: no Map, no per-block objects.
 */

/**
 * Computes the 64-bit chained hash of `count` token ids starting at `tokens[start]` given the
 * parent's hash words, writing the high and low words to `out[0]` and `out[1]`.
 */
export type PrefixHashFunction = (
  parentHi: number,
  parentLo: number,
  tokens: ArrayLike<number>,
  start: number,
  count: number,
  out: Int32Array,
) => void;

/** Hash words standing in for the (absent) parent of a sequence's first block. */
export const ROOT_HASH_HI = 0x6a09e667 | 0;
export const ROOT_HASH_LO = 0xbb67ae85 | 0;

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  // (h * 5 + 0xe6546b64) | 0, added in 16-bit halves: a sum past the 32-bit range would be a heap
  // number in code V8 has not optimized yet, and this runs for every committed token.
  h = Math.imul(h, 5);
  const lo = (h & 0xffff) + 0x6b64;
  return (((h >>> 16) + 0xe654 + (lo >>> 16)) << 16) | (lo & 0xffff);
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * The default chained block hash: two murmur3-style 32-bit lanes with different seeds and token
 * pre-mixing, each seeded with both parent words. Fast and allocation-free; not cryptographic,
 * which is fine because matches are verified against stored token ids.
 */
export const chainHash: PrefixHashFunction = (parentHi, parentLo, tokens, start, count, out) => {
  let hi = mix(0x3c6ef372 ^ parentHi, parentLo);
  let lo = mix(0xa54ff53a ^ parentLo, parentHi);
  for (let i = start, end = start + count; i < end; i++) {
    const t = tokens[i] | 0;
    hi = mix(hi, t);
    lo = mix(lo, Math.imul(t ^ (t >>> 15), 0x2c1b3c6d) ^ 0x297a2d39);
  }
  out[0] = avalanche(hi ^ count);
  out[1] = avalanche(lo ^ Math.imul(count, 0x9e3779b1));
};

const EMPTY = -1;

export class PrefixCache {
  readonly blockSize: number;
  readonly capacity: number;
  /** Chained hash of each registered block. */
  readonly hashHi: Int32Array;
  readonly hashLo: Int32Array;
  /** Parent block of each registered block (-1 for a first block) and the parent's generation then. */
  readonly parent: Int32Array;
  readonly parentGen: Int32Array;
  /** Bumped each time a block leaves the cache; invalidates links recorded to it. */
  readonly gen: Int32Array;
  /** 1 while a block is registered (in the hash table). */
  readonly hashed: Uint8Array;
  /** Registered blocks. */
  hashedCount = 0;
  /** Token ids of each registered block, blockSize per block. */
  private readonly tokenIds: Int32Array;
  /** Open-addressing hash table (linear probing) of block indices. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly hash: PrefixHashFunction;
  private readonly scratch = new Int32Array(2);
  /** LRU list of unreferenced cached blocks; index `capacity` is the sentinel. */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  /** Blocks in the LRU list. */
  cachedCount = 0;

  constructor(capacity: number, blockSize: number, hash: PrefixHashFunction = chainHash) {
    this.capacity = capacity;
    this.blockSize = blockSize;
    this.hash = hash;
    this.hashHi = new Int32Array(capacity);
    this.hashLo = new Int32Array(capacity);
    this.parent = new Int32Array(capacity);
    this.parentGen = new Int32Array(capacity);
    this.gen = new Int32Array(capacity);
    this.hashed = new Uint8Array(capacity);
    this.tokenIds = new Int32Array(capacity * blockSize);
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.slots = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    this.prev = new Int32Array(capacity + 1);
    this.next = new Int32Array(capacity + 1);
    this.prev[capacity] = capacity;
    this.next[capacity] = capacity;
  }

  /**
   * The registered block holding tokens[start .. start+blockSize) whose parent is `parentBlock`
   * (-1 for a sequence's first block), or -1.
   */
  find(parentBlock: number, tokens: ArrayLike<number>, start: number): number {
    this.hashOf(parentBlock, tokens, start);
    const hi = this.scratch[0];
    const lo = this.scratch[1];
    const pgen = parentBlock < 0 ? 0 : this.gen[parentBlock];
    const bs = this.blockSize;
    for (let i = lo & this.mask; ; i = (i + 1) & this.mask) {
      const b = this.slots[i];
      if (b === EMPTY) return -1;
      if (this.hashLo[b] !== lo || this.hashHi[b] !== hi || this.parent[b] !== parentBlock || this.parentGen[b] !== pgen) {
        continue;
      }
      let same = true;
      for (let j = 0, base = b * bs; j < bs; j++) {
        if (this.tokenIds[base + j] !== (tokens[start + j] | 0)) {
          same = false;
          break;
        }
      }
      if (same) return b;
    }
  }

  /**
   * Walks the chain of full blocks of `tokens` (at most `maxBlocks`), writing the matched block
   * indices to `out`; returns how many matched.
   */
  match(tokens: ArrayLike<number>, maxBlocks: number, out: Int32Array): number {
    const limit = Math.min(maxBlocks, Math.floor(tokens.length / this.blockSize));
    let parent = -1;
    let n = 0;
    while (n < limit) {
      const b = this.find(parent, tokens, n * this.blockSize);
      if (b < 0) break;
      out[n++] = b;
      parent = b;
    }
    return n;
  }

  /** Registers `block` as holding tokens[start .. start+blockSize) after `parentBlock` (-1: first). */
  register(block: number, parentBlock: number, tokens: ArrayLike<number>, start: number): void {
    this.hashOf(parentBlock, tokens, start);
    this.hashHi[block] = this.scratch[0];
    this.hashLo[block] = this.scratch[1];
    this.parent[block] = parentBlock;
    this.parentGen[block] = parentBlock < 0 ? 0 : this.gen[parentBlock];
    const bs = this.blockSize;
    for (let j = 0, base = block * bs; j < bs; j++) this.tokenIds[base + j] = tokens[start + j] | 0;
    let i = this.scratch[1] & this.mask;
    while (this.slots[i] !== EMPTY) i = (i + 1) & this.mask;
    this.slots[i] = block;
    this.hashed[block] = 1;
    this.hashedCount++;
  }

  /** Removes `block` from the hash table and invalidates links to it. */
  unregister(block: number): void {
    let i = this.hashLo[block] & this.mask;
    while (this.slots[i] !== block) i = (i + 1) & this.mask;
    // Backward-shift deletion keeps every remaining entry reachable from its home bucket
    // without tombstones, so probe lengths do not degrade over a long run.
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      const c = this.slots[j];
      if (c === EMPTY) break;
      const home = this.hashLo[c] & this.mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        this.slots[i] = c;
        i = j;
      }
    }
    this.slots[i] = EMPTY;
    this.hashed[block] = 0;
    this.gen[block]++;
    this.hashedCount--;
  }

  /** True when `block` is registered and its stored tokens equal tokens[start .. start+blockSize). */
  holds(block: number, tokens: ArrayLike<number>, start: number): boolean {
    if (this.hashed[block] === 0) return false;
    for (let j = 0, base = block * this.blockSize; j < this.blockSize; j++) {
      if (this.tokenIds[base + j] !== (tokens[start + j] | 0)) return false;
    }
    return true;
  }

  /** Adds 1 to `counts[b]` for every hash-table entry b (audits: must equal `hashed`). */
  countTableEntries(counts: Int32Array): void {
    for (let i = 0; i < this.slots.length; i++) if (this.slots[i] !== EMPTY) counts[this.slots[i]]++;
  }

  /** True when probing from `block`'s home bucket reaches it before an empty bucket (audits). */
  reachable(block: number): boolean {
    for (let i = this.hashLo[block] & this.mask; ; i = (i + 1) & this.mask) {
      if (this.slots[i] === block) return true;
      if (this.slots[i] === EMPTY) return false;
    }
  }

  /** Appends an unreferenced cached block at the most-recently-used end. */
  lruPush(block: number): void {
    const s = this.capacity;
    const last = this.prev[s];
    this.next[last] = block;
    this.prev[block] = last;
    this.next[block] = s;
    this.prev[s] = block;
    this.cachedCount++;
  }

  /** Unlinks a cached block (it is referenced again, or evicted). */
  lruRemove(block: number): void {
    const p = this.prev[block];
    const n = this.next[block];
    this.next[p] = n;
    this.prev[n] = p;
    this.cachedCount--;
  }

  /** Unlinks and returns the least recently used cached block; -1 when none. */
  lruPopOldest(): number {
    const b = this.next[this.capacity];
    if (b === this.capacity) return -1;
    this.lruRemove(b);
    return b;
  }

  /** First (oldest) block of the LRU list, or -1; with `lruAfter`, for audits and tests. */
  lruFirst(): number {
    const b = this.next[this.capacity];
    return b === this.capacity ? -1 : b;
  }

  /** The block after `block` in LRU order, or -1. */
  lruAfter(block: number): number {
    const b = this.next[block];
    return b === this.capacity ? -1 : b;
  }

  private hashOf(parentBlock: number, tokens: ArrayLike<number>, start: number): void {
    if (parentBlock < 0) this.hash(ROOT_HASH_HI, ROOT_HASH_LO, tokens, start, this.blockSize, this.scratch);
    else this.hash(this.hashHi[parentBlock], this.hashLo[parentBlock], tokens, start, this.blockSize, this.scratch);
  }
}
