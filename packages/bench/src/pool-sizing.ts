/**
 * Sizing the KV block pool for a target GC pause. A periodic sweep verifies every free block
 * (reads it back) and rebuilds the free list, so its pause is proportional to the pool's bytes.
 * Calibration times real sweeps over a probe pool in the model's arena, on this machine, and
 * scales: that is how `--pause-ms 100` reproduces "a ~100 ms cleanup every ~50 tokens" on any
 * machine without a sleep anywhere.
 */
import { KVStorageLayout, PagedKVCache } from '@legato/kvcache';
import type { LlamaModel } from '@legato/core';

/** What a calibration measured. */
export interface SweepCalibration {
  /** Bytes of the probe pool. */
  probeBytes: number;
  /** Median sweep pause over the probe pool (ms). */
  probePauseMs: number;
  /** Sweep cost per GiB of pool (ms). */
  msPerGiB: number;
}

const GiB = 1024 ** 3;
/** Leave room in the 4 GiB arena for the forward pass's scratch and everything else. */
const ARENA_HEADROOM = 256 * 1024 ** 2;

/** Bytes of one KV block of this model (f32 K and V for every layer). */
export function kvBytesPerBlock(model: LlamaModel, blockSize = 16): number {
  const c = model.config;
  return new KVStorageLayout({ layers: c.nLayers, kvHeads: c.nKVHeads, headDim: c.headDim, blockSize }).bytesPerBlock;
}

/** Times full sweeps over a probe pool in the model's arena (the pool is freed afterwards). */
export function calibrateSweep(model: LlamaModel, opts: { blockSize?: number; probeBytes?: number; repeats?: number } = {}): SweepCalibration {
  const c = model.config;
  const arena = model.arena;
  const blockSize = opts.blockSize ?? 16;
  const probe = opts.probeBytes ?? 64 * 1024 ** 2;
  const regions: number[] = [];
  try {
    const cache = new PagedKVCache({
      layers: c.nLayers,
      kvHeads: c.nKVHeads,
      headDim: c.headDim,
      blockSize,
      memoryBytes: probe,
      gc: { policy: 'periodic' },
      storage: (n) => {
        const at = arena.alloc(n);
        regions.push(at);
        return { buffer: arena.buffer, byteOffset: at, byteLength: n, zeroed: true };
      },
    });
    const bytes = cache.numBlocks * kvBytesPerBlock(model, blockSize);
    cache.collect(); // first touch of fresh pages is not what a steady sweep costs
    const pauses: number[] = [];
    for (let i = 0; i < (opts.repeats ?? 3); i++) {
      cache.collect();
      pauses.push(cache.stats().gc.lastPauseMs);
    }
    pauses.sort((a, b) => a - b);
    const median = pauses[pauses.length >> 1];
    return { probeBytes: bytes, probePauseMs: median, msPerGiB: (median * GiB) / bytes };
  } finally {
    for (const r of regions) arena.free(r);
  }
}

/** Pool bytes whose sweep should take about `pauseMs`, whole blocks, capped by what the arena can still hold. */
export function poolBytesForPause(model: LlamaModel, pauseMs: number, cal: SweepCalibration, blockSize = 16): number {
  if (!(pauseMs > 0)) throw new RangeError(`pause target must be > 0 ms, got ${pauseMs}`);
  const perBlock = kvBytesPerBlock(model, blockSize);
  const room = model.arena.maxBytes - model.arena.usedBytes - ARENA_HEADROOM;
  const wanted = (pauseMs / cal.msPerGiB) * GiB;
  const bytes = Math.min(wanted, room);
  return Math.max(1, Math.floor(bytes / perBlock)) * perBlock;
}
