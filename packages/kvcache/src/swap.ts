/**
 * Host-side swap space: a private buffer of block-sized slots where a preempted sequence's K/V is
 * parked (copied) until it is swapped back in, possibly to different physical blocks.
 *
 * For each swap slot it also remembers which pool block the data came from when that block was a
 * registered prefix-cache block, with its generation: if the block is still registered at swap-in
 * time, it still holds exactly that data, and the sequence can take it back without a copy.
 */
export class SwapSpace {
  /** Swap slots (each holds one block). */
  readonly capacity: number;
  readonly bytesPerBlock: number;
  private readonly bytes: Uint8Array;
  private readonly freeStack: Int32Array;
  private freeTop: number;
  /** Pool block the slot's data was copied from if it was a registered prefix block, else -1. */
  readonly origin: Int32Array;
  /** Prefix-cache generation of `origin` at swap-out time. */
  readonly originGen: Int32Array;
  /** 1 while a slot holds a swapped-out block. */
  readonly inUse: Uint8Array;

  constructor(bytes: number, bytesPerBlock: number) {
    this.bytesPerBlock = bytesPerBlock;
    this.capacity = Math.max(0, Math.floor(bytes / bytesPerBlock));
    this.bytes = new Uint8Array(this.capacity * bytesPerBlock);
    this.freeStack = new Int32Array(this.capacity);
    for (let i = 0; i < this.capacity; i++) this.freeStack[i] = this.capacity - 1 - i;
    this.freeTop = this.capacity;
    this.origin = new Int32Array(this.capacity).fill(-1);
    this.originGen = new Int32Array(this.capacity);
    this.inUse = new Uint8Array(this.capacity);
  }

  get freeCount(): number {
    return this.freeTop;
  }

  get usedCount(): number {
    return this.capacity - this.freeTop;
  }

  /** Takes a free slot; the caller has checked `freeCount`. */
  allocate(): number {
    const slot = this.freeStack[--this.freeTop];
    this.inUse[slot] = 1;
    return slot;
  }

  release(slot: number): void {
    this.inUse[slot] = 0;
    this.origin[slot] = -1;
    this.freeStack[this.freeTop++] = slot;
  }

  /** Copies pool block `block` (from the pool's byte view) into swap slot `slot`. */
  store(pool: Uint8Array, block: number, slot: number): void {
    const start = block * this.bytesPerBlock;
    this.bytes.set(pool.subarray(start, start + this.bytesPerBlock), slot * this.bytesPerBlock);
  }

  /** Copies swap slot `slot` back into pool block `block`. */
  load(pool: Uint8Array, slot: number, block: number): void {
    const start = slot * this.bytesPerBlock;
    pool.set(this.bytes.subarray(start, start + this.bytesPerBlock), block * this.bytesPerBlock);
  }
}
