/**
 * loadGGUF keeps several reads in flight (parallelReads): the data must come out as a plain
 * sequential read gives it, a truncated file must name where its data ends whichever read fails
 * first, and a failed or aborted load must wait for every read in flight before it frees the
 * arena region those reads write into.
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Arena } from '@legato/quant';
import { GGUFError, loadGGUF, readGGUFHeader } from '../../src/gguf/index.js';
import { modelPath } from '../../../../testing/models.js';

const path = modelPath('TinyLLama-v0-Q4_0.gguf');
const dir = mkdtempSync(join(tmpdir(), 'legato-parallel-reads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CHUNK = 64 << 10;

describe('parallel reads', () => {
  it('give the bytes of a sequential read, with progress rising to the total', async () => {
    const seq = await loadGGUF(path, { parallelReads: 1, chunkBytes: CHUNK });
    const fractions: number[] = [];
    const par = await loadGGUF(path, { parallelReads: 4, chunkBytes: CHUNK, onProgress: (p) => fractions.push(p.fraction) });
    expect(seq.header.dataSize).toBeGreaterThan(8 * CHUNK); // many chunks, so reads really overlap
    const a = seq.arena.u8(seq.dataAddress, seq.header.dataSize);
    const b = par.arena.u8(par.dataAddress, par.header.dataSize);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1])).toBe(true);
    expect(fractions.at(-1)).toBe(1);
  });

  it('name the end of the data of a file cut short during the load, whichever read fails first', async () => {
    // The header's bounds checks catch a file that is short from the start; a file truncated while
    // it loads (here, once the first chunk has arrived) is caught by the reads themselves.
    const bytes = readFileSync(path);
    const header = readGGUFHeader(path);
    const cut = header.dataOffset + 5 * CHUNK + 1000; // inside the 6th chunk, issued after the cut
    const file = join(dir, 'shrinking.gguf');
    const arena = new Arena({ initialBytes: 1 << 20 });
    const before = arena.liveBytes;
    for (const parallelReads of [1, 3, 4]) {
      writeFileSync(file, bytes);
      let cutDone = false;
      const onProgress = (): void => {
        if (!cutDone) truncateSync(file, cut);
        cutDone = true;
      };
      const err = await loadGGUF(file, { arena, parallelReads, chunkBytes: CHUNK, onProgress }).catch((e: unknown) => e);
      expect(err, `parallelReads ${parallelReads}`).toBeInstanceOf(GGUFError);
      expect((err as GGUFError).code).toBe('TRUNCATED');
      expect((err as GGUFError).offset).toBe(cut);
      expect(arena.liveBytes).toBe(before);
    }
  });

  it('settle an aborted load only after the reads in flight, leaving the arena as it was', async () => {
    const arena = new Arena({ initialBytes: 1 << 20 });
    const before = arena.liveBytes;
    const ac = new AbortController();
    let progress = 0;
    const err = await loadGGUF(path, {
      arena, parallelReads: 4, chunkBytes: CHUNK, signal: ac.signal,
      onProgress: (p) => {
        if (++progress === 3) ac.abort(new Error('stop'));
      },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('stop');
    expect(arena.liveBytes).toBe(before);
  });
});
