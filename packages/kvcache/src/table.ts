/**
 * Per-sequence block tables and counters, kept in typed arrays indexed by a sequence slot.
 *
 * A sequence id packs its slot (low 20 bits) with the slot's generation (10 bits above), so ids
 * stay small integers (no heap numbers) and an id kept after `freeSequence` no longer matches its
 * slot once the slot is reused: use-after-free is detected until the generation wraps (1023
 * reuses of the same slot).
 *
 * Each slot owns one Int32Array block table that grows by doubling and is kept when the slot is
 * freed, so a steady state of sequences coming and going allocates nothing.
 */
import { KVDoubleFreeError, KVForeignBlockError, KVInvalidSequenceError, KVUseAfterFreeError } from './errors.js';

export const SEQ_FREE = 0;
/** The sequence's table holds pool blocks. */
export const SEQ_RESIDENT = 1;
/** The sequence's table holds swap slots. */
export const SEQ_SWAPPED = 2;

const SLOT_BITS = 20;
const SLOT_MASK = (1 << SLOT_BITS) - 1;

/** The slot of a sequence id, unchecked (hot paths; `slotOf` validates). */
export function sequenceSlot(seq: number): number {
  return seq & SLOT_MASK;
}
const MAX_GEN = (1 << 10) - 1;
const INITIAL_TABLE = 16;

/**
 * A live view of one sequence's block table: `blocks[0 .. length)` are its physical blocks in
 * position order (position p is in `blocks[p >> blockShift]`, slot `p & blockMask`) and `tokens`
 * is its length. Entries released by `releaseBlocksBefore` are -1. The object is reused; re-read `blocks` after `appendSlots` (the array grows by
 * replacement) and stop using the view after `freeSequence`. Do not write to `blocks`.
 */
export interface BlockTableView {
  readonly blocks: Int32Array;
  readonly length: number;
  readonly tokens: number;
}

class TableView implements BlockTableView {
  constructor(
    private readonly table: SequenceTable,
    private readonly slot: number,
  ) {}
  get blocks(): Int32Array {
    return this.table.tables[this.slot];
  }
  get length(): number {
    return this.table.numBlocks[this.slot];
  }
  get tokens(): number {
    return this.table.numTokens[this.slot];
  }
}

export class SequenceTable {
  /** SEQ_FREE, SEQ_RESIDENT or SEQ_SWAPPED per slot. */
  state = new Uint8Array(0);
  gen = new Uint16Array(0);
  /** Token slots reserved (the sequence length). */
  numTokens = new Int32Array(0);
  numBlocks = new Int32Array(0);
  /** Tokens whose ids were committed (their K/V is final). */
  committed = new Int32Array(0);
  /** Leading blocks registered in the prefix cache as this sequence's chain. */
  hashedBlocks = new Int32Array(0);
  /**
   * Leading table entries released by `releaseBlocksBefore` (sliding-window layers): entries
   * [0, firstBlock) are -1 and their positions can no longer be read.
   */
  firstBlock = new Int32Array(0);
  /** Block table of each slot (pool blocks when resident, swap slots when swapped). */
  readonly tables: Int32Array[] = [];
  private readonly views: TableView[] = [];
  /** Debug mode: a private copy of each table, to detect outside writes to the shared view. */
  private readonly shadows: Int32Array[] | null;
  /** Slots ever handed out. */
  slotsUsed = 0;
  private freeSlots = new Int32Array(0);
  private freeSlotTop = 0;
  residentCount = 0;
  swappedCount = 0;

  constructor(
    private readonly maxBlocks: number,
    debug: boolean,
  ) {
    this.shadows = debug ? [] : null;
    this.growSlots(16);
  }

  /** Creates an empty resident sequence and returns its id. */
  create(): number {
    let slot: number;
    if (this.freeSlotTop > 0) slot = this.freeSlots[--this.freeSlotTop];
    else {
      if (this.slotsUsed > SLOT_MASK) throw new RangeError(`more than ${SLOT_MASK + 1} live sequences`);
      if (this.slotsUsed === this.state.length) this.growSlots(this.state.length * 2);
      slot = this.slotsUsed++;
      const size = Math.min(INITIAL_TABLE, Math.max(1, this.maxBlocks));
      this.tables.push(new Int32Array(size));
      this.views.push(new TableView(this, slot));
      this.shadows?.push(new Int32Array(size));
    }
    this.gen[slot] = (this.gen[slot] % MAX_GEN) + 1;
    this.state[slot] = SEQ_RESIDENT;
    this.numTokens[slot] = 0;
    this.numBlocks[slot] = 0;
    this.committed[slot] = 0;
    this.hashedBlocks[slot] = 0;
    this.firstBlock[slot] = 0;
    this.residentCount++;
    return this.idOf(slot);
  }

  /** Returns a slot to the free list (its table array is kept for the next sequence). */
  release(slot: number): void {
    if (this.state[slot] === SEQ_RESIDENT) this.residentCount--;
    else this.swappedCount--;
    this.state[slot] = SEQ_FREE;
    this.numTokens[slot] = 0;
    this.numBlocks[slot] = 0;
    this.firstBlock[slot] = 0;
    this.freeSlots[this.freeSlotTop++] = slot;
  }

  /** Moves a live sequence between SEQ_RESIDENT and SEQ_SWAPPED. */
  setState(slot: number, state: typeof SEQ_RESIDENT | typeof SEQ_SWAPPED): void {
    if (this.state[slot] === state) return;
    if (state === SEQ_SWAPPED) {
      this.residentCount--;
      this.swappedCount++;
    } else {
      this.swappedCount--;
      this.residentCount++;
    }
    this.state[slot] = state;
  }

  idOf(slot: number): number {
    return (this.gen[slot] << SLOT_BITS) | slot;
  }

  /**
   * The slot of a live sequence id. Throws KVInvalidSequenceError for values never issued and,
   * for ids whose sequence was freed, KVUseAfterFreeError (or KVDoubleFreeError when freeing).
   */
  slotOf(seq: number, freeing = false): number {
    if (!Number.isInteger(seq) || seq < 0 || seq > 0x3fffffff) throw new KVInvalidSequenceError(seq);
    const slot = seq & SLOT_MASK;
    const gen = seq >>> SLOT_BITS;
    if (slot >= this.slotsUsed || gen === 0) throw new KVInvalidSequenceError(seq);
    if (this.gen[slot] !== gen || this.state[slot] === SEQ_FREE) {
      throw freeing ? new KVDoubleFreeError('sequence', seq) : new KVUseAfterFreeError(seq);
    }
    return slot;
  }

  view(slot: number): BlockTableView {
    return this.views[slot];
  }

  /** Makes room for `blocks` entries in the slot's table. */
  ensureCapacity(slot: number, blocks: number): void {
    const table = this.tables[slot];
    if (blocks <= table.length) return;
    let size = table.length * 2;
    while (size < blocks) size *= 2;
    const grown = new Int32Array(size);
    grown.set(table);
    this.tables[slot] = grown;
    if (this.shadows) {
      const shadow = new Int32Array(size);
      shadow.set(this.shadows[slot]);
      this.shadows[slot] = shadow;
    }
  }

  /** Writes entry `index` of the slot's table (every table write goes through here). */
  setBlock(slot: number, index: number, block: number): void {
    this.tables[slot][index] = block;
    if (this.shadows) this.shadows[slot][index] = block;
  }

  /** Debug mode: throws if an entry of the slot's table was changed from outside the cache. */
  verifyUntouched(slot: number): void {
    if (!this.shadows) return;
    const table = this.tables[slot];
    const shadow = this.shadows[slot];
    for (let i = 0, n = this.numBlocks[slot]; i < n; i++) {
      if (table[i] !== shadow[i]) {
        throw new KVForeignBlockError(table[i], `entry ${i} of sequence ${this.idOf(slot)}'s table was ${shadow[i]}; it was overwritten from outside`);
      }
    }
  }

  private growSlots(size: number): void {
    const grow = <T extends Uint8Array | Uint16Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.state = grow(this.state, (n) => new Uint8Array(n));
    this.gen = grow(this.gen, (n) => new Uint16Array(n));
    this.numTokens = grow(this.numTokens, (n) => new Int32Array(n));
    this.numBlocks = grow(this.numBlocks, (n) => new Int32Array(n));
    this.committed = grow(this.committed, (n) => new Int32Array(n));
    this.hashedBlocks = grow(this.hashedBlocks, (n) => new Int32Array(n));
    this.firstBlock = grow(this.firstBlock, (n) => new Int32Array(n));
    this.freeSlots = grow(this.freeSlots, (n) => new Int32Array(n));
  }
}
