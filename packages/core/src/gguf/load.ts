/**
 * Loads a GGUF file's tensor data into the arena: the whole data section is read in chunks straight
 * into one arena region (no per-tensor copies, no 2 GiB `readFileSync` limit), and every tensor
 * becomes a typed view into it.
 */
import { open } from 'node:fs/promises';
import { Arena, GGMLType } from '@legato/quant';
import { GGUFError } from './errors.js';
import { readGGUFHeader, type GGUFHeader, type GGUFTensorInfo } from './header.js';

export interface GGUFTensor extends GGUFTensorInfo {
  /** The tensor's bytes, a view into the arena (byteOffset = its arena address). */
  readonly data: Uint8Array;
}

export interface LoadProgress {
  readonly loadedBytes: number;
  readonly totalBytes: number;
  /** loadedBytes / totalBytes, 0..1. */
  readonly fraction: number;
}

export interface LoadGGUFOptions {
  /** Where tensor data goes; a fresh arena sized for the file when omitted. */
  arena?: Arena;
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Bytes per read; default 16 MiB. */
  chunkBytes?: number;
}

export interface GGUFFile {
  readonly header: GGUFHeader;
  readonly arena: Arena;
  /** Arena address of the data section. */
  readonly dataAddress: number;
  readonly tensors: ReadonlyMap<string, GGUFTensor>;
  tensor(name: string): GGUFTensor;
}

export async function loadGGUF(file: string, options: LoadGGUFOptions = {}): Promise<GGUFFile> {
  const header = readGGUFHeader(file);
  const arena = options.arena ?? new Arena({ initialBytes: header.dataSize + (1 << 20) });
  const base = arena.alloc(header.dataSize, header.alignment < 64 ? 64 : header.alignment);
  const total = header.dataSize;
  const chunk = options.chunkBytes ?? 16 << 20;
  const fh = await open(file, 'r').catch((e: Error) => {
    throw new GGUFError('IO', file, undefined, `cannot open: ${e.message}`);
  });
  try {
    let done = 0;
    options.onProgress?.({ loadedBytes: 0, totalBytes: total, fraction: total === 0 ? 1 : 0 });
    while (done < total) {
      options.signal?.throwIfAborted();
      const n = Math.min(chunk, total - done);
      const view = arena.u8(base + done, n);
      const { bytesRead } = await fh.read(view, 0, n, header.dataOffset + done);
      if (bytesRead === 0) {
        throw new GGUFError('TRUNCATED', file, header.dataOffset + done, 'file ended while reading tensor data');
      }
      done += bytesRead;
      options.onProgress?.({ loadedBytes: done, totalBytes: total, fraction: done / total });
    }
  } finally {
    await fh.close();
  }
  const tensors = new Map<string, GGUFTensor>();
  for (const t of header.tensors) {
    tensors.set(t.name, { ...t, data: arena.u8(base + t.offset, t.byteSize) });
  }
  return {
    header,
    arena,
    dataAddress: base,
    tensors,
    tensor(name: string): GGUFTensor {
      const t = tensors.get(name);
      if (!t) throw new GGUFError('MISSING_TENSOR', file, undefined, `required tensor ${name} is missing`);
      return t;
    },
  };
}

/** A Float32Array view of an F32 tensor (data in the arena is 64-byte aligned, so this is legal). */
export function f32View(t: GGUFTensor): Float32Array {
  if (t.type !== GGMLType.F32) throw new TypeError(`tensor ${t.name} is not F32`);
  return new Float32Array(t.data.buffer, t.data.byteOffset, t.nElements);
}
