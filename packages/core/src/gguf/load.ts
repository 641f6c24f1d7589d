/**
 * Loads a GGUF file's tensor data into the arena: the whole data section is read in chunks straight
 * into one arena region (no per-tensor copies, no 2 GiB `readFileSync` limit), and every tensor
 * becomes a typed view into it. The header and the data come from one opened source, so a file
 * replaced between the two reads cannot pair one file's header with another's data.
 */
import { Arena, GGMLType } from '@legato/quant';
import { clip, GGUFError } from './errors.js';
import { parseGGUFHeader, type GGUFHeader, type GGUFTensorInfo } from './header.js';
import { openSource, type ModelSource, type OpenedSource } from './source.js';

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
  /**
   * Reads in flight at once; default 4 (libuv's thread pool). Several reads let the kernel fault in
   * and fill the arena's fresh pages on several cores while the disk works on the next request:
   * on a 591 MB file that page work alone costs ~250 ms on one core, as much as reading it cold.
   */
  parallelReads?: number;
  /** Called with the arena once it holds room for the data, before any tensor data is read. */
  onArena?: (arena: Arena) => void;
}

export interface GGUFFile {
  readonly header: GGUFHeader;
  readonly arena: Arena;
  /** Arena address of the data section. */
  readonly dataAddress: number;
  readonly tensors: ReadonlyMap<string, GGUFTensor>;
  tensor(name: string): GGUFTensor;
}

/** Tensor data starts on a cache line in the arena; GGUF offsets keep every tensor at least 4-byte aligned from there. */
const ARENA_ALIGN = 64;

/**
 * Reads a GGUF file's header and tensor data into an arena. `source` is a path, a `file:` URL, or
 * the file's bytes (Uint8Array / ArrayBuffer; copied into the arena, not kept). Any malformed
 * input rejects with a GGUFError (an aborted `signal` with its reason); on failure nothing stays
 * allocated in a caller's `arena`.
 */
export async function loadGGUF(source: ModelSource, options: LoadGGUFOptions = {}): Promise<GGUFFile> {
  const chunk = options.chunkBytes ?? 16 << 20;
  if (!Number.isSafeInteger(chunk) || chunk < 1) throw new RangeError(`chunkBytes must be a positive integer, got ${clip(String(chunk))}`);
  const parallel = options.parallelReads ?? 4;
  if (!Number.isSafeInteger(parallel) || parallel < 1) throw new RangeError(`parallelReads must be a positive integer, got ${clip(String(parallel))}`);
  const src = openSource(source);
  let arena: Arena | undefined;
  let base: number | undefined;
  try {
    const header = parseGGUFHeader(src);
    const file = header.file;
    arena = options.arena ?? new Arena({ initialBytes: header.dataSize + (1 << 20) });
    base = arena.alloc(header.dataSize, ARENA_ALIGN);
    options.onArena?.(arena);
    await readData(src, arena.u8(base, header.dataSize), header.dataOffset, chunk, parallel, file, options);
    const tensors = new Map<string, GGUFTensor>();
    for (const t of header.tensors) {
      tensors.set(t.name, { ...t, data: arena.u8(base + t.offset, t.byteSize) });
    }
    const a = arena;
    const dataAddress = base;
    return {
      header,
      arena: a,
      dataAddress,
      tensors,
      tensor(name: string): GGUFTensor {
        const t = tensors.get(name);
        if (!t) throw new GGUFError('MISSING_TENSOR', file, undefined, `required tensor ${clip(name)} is missing`);
        return t;
      },
    };
  } catch (e) {
    if (options.arena && base !== undefined) options.arena.free(base);
    throw e;
  } finally {
    src.close();
  }
}

/**
 * Fills `dest` with the file's bytes from `offset` on, in `chunk`-byte reads with up to `parallel`
 * in flight, reporting progress as bytes arrive. Settles only once no read is in flight (a failed
 * or aborted load frees `dest`, which a read still running would write into); rejects with the
 * failure of the lowest chunk that failed, so a truncated file names where its data ends.
 */
async function readData(
  src: OpenedSource, dest: Uint8Array, offset: number, chunk: number, parallel: number, file: string, options: LoadGGUFOptions,
): Promise<void> {
  const total = dest.length;
  let next = 0;
  let loaded = 0;
  const failures: { at: number; error: unknown }[] = [];
  options.onProgress?.({ loadedBytes: 0, totalBytes: total, fraction: total === 0 ? 1 : 0 });
  const reader = async (): Promise<void> => {
    while (next < total && failures.length === 0) {
      const start = next;
      const end = Math.min(total, start + chunk);
      next = end;
      try {
        options.signal?.throwIfAborted();
        for (let at = start; at < end;) {
          const bytesRead = await src.read(dest.subarray(at, end), end - at, offset + at);
          if (bytesRead === 0) throw new GGUFError('TRUNCATED', file, offset + at, 'file ended while reading tensor data');
          at += bytesRead;
          loaded += bytesRead;
          options.onProgress?.({ loadedBytes: loaded, totalBytes: total, fraction: loaded / total });
        }
      } catch (error) {
        failures.push({ at: start, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, Math.ceil(total / chunk)) }, reader));
  if (failures.length > 0) throw failures.reduce((a, b) => (b.at < a.at ? b : a)).error;
}

/** A Float32Array view of an F32 tensor (data in the arena is 64-byte aligned, so this is legal). */
export function f32View(t: GGUFTensor): Float32Array {
  if (t.type !== GGMLType.F32) throw new TypeError(`tensor ${clip(t.name)} is not F32`);
  return new Float32Array(t.data.buffer, t.data.byteOffset, t.nElements);
}
