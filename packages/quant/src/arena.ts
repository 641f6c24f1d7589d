/**
 * The arena: one shared `WebAssembly.Memory` that holds everything a kernel reads or writes —
 * tensor data, KV-cache blocks and scratch. WASM kernels see only their own linear memory, so
 * putting all of it here lets a kernel (on any worker thread) address weights, cache and
 * activations by byte offset with no copying.
 *
 * Shared memories never detach their buffer on `grow()`, so typed-array views handed out before a
 * grow stay valid; that is why regions can be allocated at any time.
 */
export const WASM_PAGE = 65536;
/** wasm32 addresses at most 4 GiB. */
export const MAX_ARENA_BYTES = 65536 * WASM_PAGE;
/**
 * The first bytes belong to the kernel module itself (its static data and shadow stack), so the
 * arena hands out regions from here on.
 */
export const ARENA_RESERVED_BYTES = 4 * WASM_PAGE;

export class ArenaOutOfMemoryError extends RangeError {
  constructor(readonly requestedBytes: number, readonly usedBytes: number) {
    super(
      `arena out of memory: asked for ${requestedBytes} bytes with ${usedBytes} in use; ` +
        `the shared WebAssembly memory is limited to ${MAX_ARENA_BYTES} bytes (4 GiB)`,
    );
    this.name = 'ArenaOutOfMemoryError';
  }
}

export interface ArenaOptions {
  /** Bytes to commit up front (rounded up to whole pages). */
  initialBytes?: number;
  /** Upper bound for growth; defaults to and may not exceed 4 GiB. */
  maxBytes?: number;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  private top = ARENA_RESERVED_BYTES;
  private highWater = ARENA_RESERVED_BYTES;
  /** Live regions: address → [first byte taken including alignment padding, end]. */
  private readonly live = new Map<number, [number, number]>();
  /** Freed holes, offset → size, coalesced; reused first-fit before the top grows. */
  private readonly holes = new Map<number, number>();

  constructor(options: ArenaOptions = {}) {
    this.maxBytes = Math.min(options.maxBytes ?? MAX_ARENA_BYTES, MAX_ARENA_BYTES);
    const initial = Math.max(ARENA_RESERVED_BYTES, options.initialBytes ?? 0);
    this.memory = new WebAssembly.Memory({
      initial: Math.ceil(initial / WASM_PAGE),
      maximum: Math.ceil(this.maxBytes / WASM_PAGE),
      shared: true,
    });
  }

  /** The current buffer (covers every region allocated so far). */
  get buffer(): SharedArrayBuffer {
    return this.memory.buffer as unknown as SharedArrayBuffer;
  }

  /** Bytes handed out so far, including the reserved prefix. */
  get usedBytes(): number {
    return this.top;
  }

  /** Reserves `bytes` (aligned to `align`, default 64 = a cache line) and returns the byte offset. */
  alloc(bytes: number, align = 64): number {
    bytes = Math.max(bytes, 1);
    for (const [hole, size] of this.holes) {
      const start = Math.ceil(hole / align) * align;
      if (start + bytes <= hole + size) {
        this.holes.delete(hole);
        if (hole + size > start + bytes) this.holes.set(start + bytes, hole + size - start - bytes);
        new Uint8Array(this.memory.buffer, start, bytes).fill(0);
        this.live.set(start, [hole, start + bytes]);
        return start;
      }
    }
    const start = Math.ceil(this.top / align) * align;
    const end = start + bytes;
    if (end > this.maxBytes) throw new ArenaOutOfMemoryError(bytes, this.top);
    this.ensure(end);
    // Memory below the high-water mark may hold a freed region's data; fresh pages are zero.
    if (start < this.highWater) new Uint8Array(this.memory.buffer, start, Math.min(end, this.highWater) - start).fill(0);
    this.live.set(start, [this.top, end]);
    this.top = end;
    this.highWater = Math.max(this.highWater, end);
    return start;
  }

  /**
   * Returns a region to the arena (a context's KV cache and scratch when it is disposed).
   * Freeing an address that is not a live region is a bug in the caller and throws.
   */
  free(offset: number): void {
    const region = this.live.get(offset);
    if (region === undefined) throw new RangeError(`arena: ${offset} is not a live region`);
    this.live.delete(offset);
    let [start, end] = region;
    for (const [hole, hs] of this.holes) {
      if (hole + hs === start) { this.holes.delete(hole); start = hole; }
      else if (hole === end) { this.holes.delete(hole); end = hole + hs; }
    }
    if (end === this.top) this.top = start;
    else this.holes.set(start, end - start);
  }

  /** Bytes held by live regions. */
  get liveBytes(): number {
    let n = 0;
    for (const [from, end] of this.live.values()) n += end - from;
    return n;
  }

  /** Commits memory up to `bytes` without allocating it (lets a loader grow once, not per tensor). */
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    if (bytes > this.maxBytes) throw new ArenaOutOfMemoryError(bytes - this.top, this.top);
    this.memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
  }

  u8(offset: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, offset, length);
  }

  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, length);
  }

  i32(offset: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, offset, length);
  }

  /** Allocates a zeroed Float32Array region (its byteOffset is the address to `free`). */
  allocF32(length: number): Float32Array {
    return this.f32(this.alloc(length * 4), length);
  }
}
