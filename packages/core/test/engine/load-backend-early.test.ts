/**
 * loadModel starts Legato's own backend (its worker threads) while the tensor data is read; a load
 * that fails after that point must dispose it, and a caller's backend is still only created once
 * the weights are in the arena.
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ReferenceBackend, WasmBackend, type Arena } from '@legato/quant';
import { GGUFError } from '../../src/gguf/index.js';
import { loadModel } from '../../src/index.js';
import { modelPath } from '../../../../testing/models.js';

const path = modelPath('TinyLLama-v0-Q4_0.gguf');
const dir = mkdtempSync(join(tmpdir(), 'legato-early-backend-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the backend started during a load', () => {
  it('is disposed when the read fails after it started', async () => {
    const created = vi.spyOn(WasmBackend, 'create');
    const disposed = vi.spyOn(WasmBackend.prototype, 'dispose');
    try {
      const file = join(dir, 'shrinking.gguf');
      writeFileSync(file, readFileSync(path));
      let cut = false;
      const err = await loadModel(file, {
        backend: 'wasm',
        threads: 2,
        onProgress: (p) => {
          // The first report comes after the header checks and the arena (the backend is starting
          // by then), before any data is read: cut the file there.
          if (!cut) truncateSync(file, 4096 + Math.floor(p.totalBytes / 2));
          cut = true;
        },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GGUFError);
      expect((err as GGUFError).code).toBe('TRUNCATED');
      expect(created).toHaveBeenCalledTimes(1);
      await vi.waitFor(() => expect(disposed).toHaveBeenCalledTimes(1));
    } finally {
      created.mockRestore();
      disposed.mockRestore();
    }
  });

  it('is not started for a caller-supplied factory, which gets the arena with the weights in it', async () => {
    let firstByte = -1;
    const model = await loadModel(path, {
      backend: (arena: Arena) => {
        const t = [...model0Tensors(arena)];
        firstByte = t.length;
        return new ReferenceBackend();
      },
    });
    try {
      expect(firstByte).toBeGreaterThan(0);
      expect(model.backend).toBeInstanceOf(ReferenceBackend);
    } finally {
      model.dispose();
    }
  });
});

/** Non-zero bytes in the arena: the weights are there when the factory runs. */
function* model0Tensors(arena: Arena): Generator<number> {
  const u8 = new Uint8Array(arena.buffer, 0, Math.min(arena.usedBytes, 1 << 20));
  for (let i = 0; i < u8.length; i += 997) if (u8[i] !== 0) yield i;
}
