/**
 * Typed errors of the KV cache. Each carries a stable `code` so callers (the scheduler, tests) can
 * branch on the kind of failure without parsing messages, plus the numbers that explain it.
 */

/** Base class of every error the KV cache throws. */
export class KVCacheError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The configuration or the storage handed to the cache cannot work. */
export class KVConfigError extends KVCacheError {
  constructor(message: string) {
    super('KV_CONFIG', message);
  }
}

/**
 * Not enough blocks for a request. Nothing was allocated: a caller may preempt a sequence (free or
 * swap it out) and retry. `free` counts every block that could have been handed out, i.e. clean
 * free blocks, freed blocks awaiting scrub and evictable cached blocks.
 */
export class KVCacheOutOfBlocksError extends KVCacheError {
  constructor(
    readonly requested: number,
    readonly free: number,
  ) {
    super('KV_OUT_OF_BLOCKS', `KV cache out of blocks: requested ${requested} block(s) but only ${free} free`);
  }
}

/** The host-side swap space cannot hold the blocks of the sequence being swapped out. */
export class KVSwapSpaceFullError extends KVCacheError {
  constructor(
    readonly requested: number,
    readonly free: number,
  ) {
    super('KV_SWAP_FULL', `KV swap space full: requested ${requested} block(s) but only ${free} free`);
  }
}

/** A sequence id or block index that was already freed is freed again. */
export class KVDoubleFreeError extends KVCacheError {
  constructor(
    readonly what: 'sequence' | 'block',
    readonly id: number,
  ) {
    super('KV_DOUBLE_FREE', `double free of ${what} ${id}`);
  }
}

/**
 * A block that does not belong where it is being freed from: an index outside the pool, a block
 * that nobody holds, or a block-table entry that no longer matches what the cache put there
 * (the table view was written to from outside).
 */
export class KVForeignBlockError extends KVCacheError {
  constructor(
    readonly block: number,
    readonly reason: string,
  ) {
    super('KV_FOREIGN_BLOCK', `foreign block ${block}: ${reason}`);
  }
}

/** A sequence id that was freed is used again (its slot may since belong to another sequence). */
export class KVUseAfterFreeError extends KVCacheError {
  constructor(readonly sequence: number) {
    super('KV_USE_AFTER_FREE', `sequence ${sequence} was freed and is used again`);
  }
}

/** A value that is not a sequence id this cache ever issued. */
export class KVInvalidSequenceError extends KVCacheError {
  constructor(readonly sequence: number) {
    super('KV_INVALID_SEQUENCE', `${String(sequence)} is not a sequence id of this cache`);
  }
}

/** An operation that needs the sequence resident (or swapped out) found it in the other state. */
export class KVSequenceStateError extends KVCacheError {
  constructor(
    readonly sequence: number,
    readonly expected: 'resident' | 'swapped',
  ) {
    super('KV_SEQUENCE_STATE', `sequence ${sequence} is not ${expected}`);
  }
}

/** A token position outside the slots reserved for the sequence. */
export class KVPositionError extends KVCacheError {
  constructor(
    readonly sequence: number,
    readonly position: number,
    readonly length: number,
  ) {
    super('KV_POSITION', `position ${position} is outside sequence ${sequence} (length ${length})`);
  }
}

/**
 * A free block was found holding non-zero data during a GC verification pass: something wrote
 * through a stale block table after the block was freed. Thrown in debug mode; otherwise the
 * block is scrubbed again and counted in `stats().gc.corruptBlocksFound`.
 */
export class KVFreeBlockCorruptedError extends KVCacheError {
  constructor(readonly block: number) {
    super('KV_FREE_BLOCK_CORRUPTED', `free block ${block} holds data: it was written after being freed`);
  }
}

/** `checkInvariants()` found the bookkeeping inconsistent (a bug in the cache or outside writes). */
export class KVInvariantError extends KVCacheError {
  constructor(message: string) {
    super('KV_INVARIANT', `KV cache invariant violated: ${message}`);
  }
}
