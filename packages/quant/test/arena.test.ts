import { describe, expect, it } from 'vitest';
import { Arena, ARENA_RESERVED_BYTES } from '../src/arena.js';

describe('Arena', () => {
  it('hands out aligned, zeroed regions above the reserved prefix and grows on demand', () => {
    const a = new Arena({ initialBytes: 1 << 16 });
    const before = a.memory.buffer.byteLength;
    const off = a.alloc(3 << 20, 64);
    expect(off).toBeGreaterThanOrEqual(ARENA_RESERVED_BYTES);
    expect(off % 64).toBe(0);
    expect(a.memory.buffer.byteLength).toBeGreaterThan(before);
    const v = a.u8(off, 3 << 20);
    expect(v.every((b) => b === 0)).toBe(true);
  });

  it('keeps earlier views valid across growth (shared memory never detaches)', () => {
    const a = new Arena();
    const f = a.allocF32(16);
    f[3] = 42;
    a.alloc(64 << 20);
    expect(f[3]).toBe(42);
    expect(new Float32Array(a.memory.buffer, f.byteOffset, 16)[3]).toBe(42);
  });

  it('reuses freed regions, zeroed, and coalesces holes back into the top', () => {
    const a = new Arena();
    const x = a.alloc(1000);
    const y = a.alloc(1000);
    const z = a.alloc(1000);
    a.u8(y, 1000).fill(7);
    a.free(y);
    const y2 = a.alloc(500);
    expect(y2).toBe(y);
    expect(a.u8(y2, 500).every((b) => b === 0)).toBe(true);
    a.free(y2);
    a.free(z);
    a.free(x);
    expect(a.usedBytes).toBe(ARENA_RESERVED_BYTES);
    expect(a.liveBytes).toBe(0);
    const again = a.alloc(3000);
    a.u8(again, 3000).forEach((b) => expect(b).toBe(0));
    expect(() => a.free(again + 1)).toThrow(/not a live region/);
  });
});
