/**
 * Loads a GGUF file that arrives as a stream (a download, a File or Blob, any ReadableStream): the
 * header is parsed from a prefix that grows until it holds the whole header, then the tensor data
 * is copied into the arena chunk by chunk as it arrives. The file is never held whole outside the
 * arena: only the header's bytes (and one chunk past them) are buffered.
 */
import { Arena } from '@legato/quant';
import { clip, GGUFError } from './errors.js';
import { parseGGUFHeader, type GGUFHeader } from './header.js';
import type { GGUFFile, GGUFTensor, LoadProgress } from './load.js';
import type { OpenedSource } from './source.js';

export interface StreamLoadOptions {
  /** What to call the source in errors (a URL, `<File model.gguf>`). */
  label: string;
  /** The file's size when known (Content-Length, Blob.size): headers are then checked against it. */
  size?: number;
  /** Called once the header is parsed, before any tensor data is read; throwing aborts the load. */
  onHeader?: (header: GGUFHeader) => void;
  /** Called as tensor data arrives (every MiB or so, and at the end). */
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Called with the arena once it holds room for the data, before any tensor data is copied. */
  onArena?: (arena: Arena) => void;
}

/** Tensor data starts on a cache line in the arena, as in loadGGUF. */
const ARENA_ALIGN = 64;
/** First guess of the header's size; doubled until the header parses. */
const FIRST_PREFIX = 256 << 10;
/** Progress is reported at most once per this many bytes. */
const PROGRESS_STEP = 1 << 20;

/** Bytes after the last tensor read to the stream's end before cancelling it instead. */
const TAIL_DRAIN = 1 << 20;

/** Thrown by the prefix source when the parser reads past what has arrived. */
const NEED_MORE = Symbol('need more bytes');

/**
 * Reads `stream` as a GGUF file into a new arena. Rejects with a GGUFError for malformed or
 * truncated input and with the signal's reason when aborted; the stream is cancelled either way.
 */
export async function loadGGUFFromStream(stream: ReadableStream<Uint8Array>, options: StreamLoadOptions): Promise<GGUFFile> {
  const { label, signal } = options;
  const reader = stream.getReader();
  let ended = false;
  const onAbort = (): void => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  const next = async (): Promise<Uint8Array | undefined> => {
    signal?.throwIfAborted();
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (e) {
      signal?.throwIfAborted();
      throw new GGUFError('IO', label, undefined, `cannot read: ${clip(String((e as Error)?.message ?? e), 80)}`);
    }
    signal?.throwIfAborted();
    if (r.done) {
      ended = true;
      return undefined;
    }
    if (!(r.value instanceof Uint8Array)) throw new GGUFError('BAD_SOURCE', label, undefined, 'the stream must yield Uint8Array chunks');
    return r.value;
  };

  let arena: Arena | undefined;
  try {
    // The header: parse the prefix; when the parser runs past it, read as much again and retry.
    let prefix = new Uint8Array(FIRST_PREFIX);
    let have = 0;
    let header: GGUFHeader | undefined;
    for (let want = FIRST_PREFIX; header === undefined; want *= 2) {
      while (have < want && !ended) {
        const chunk = await next();
        if (!chunk) break;
        if (have + chunk.length > prefix.length) {
          const grown = new Uint8Array(Math.max(prefix.length * 2, have + chunk.length));
          grown.set(prefix.subarray(0, have));
          prefix = grown;
        }
        prefix.set(chunk, have);
        have += chunk.length;
      }
      try {
        header = parseGGUFHeader(prefixSource(prefix, have, ended, options.size, label));
      } catch (e) {
        const short = e === NEED_MORE || (e instanceof GGUFError && e.code === 'TRUNCATED');
        if (!short || ended) throw e;
      }
    }
    options.onHeader?.(header);

    const total = header.dataSize;
    arena = new Arena({ initialBytes: total + (1 << 20) });
    const base = arena.alloc(total, ARENA_ALIGN);
    options.onArena?.(arena);
    const dest = arena.u8(base, total);
    let done = 0;
    let reported = 0;
    const progress = (): void => {
      reported = done;
      options.onProgress?.({ loadedBytes: done, totalBytes: total, fraction: total === 0 ? 1 : done / total });
    };
    progress();
    // What of the data section already arrived with the header, then the rest as it streams.
    let skip = header.dataOffset - have;
    if (skip < 0) {
      const n = Math.min(total, -skip);
      dest.set(prefix.subarray(header.dataOffset, header.dataOffset + n));
      done = n;
      skip = 0;
    }
    prefix = new Uint8Array(0);
    while (done < total) {
      const chunk = await next();
      if (!chunk) {
        throw new GGUFError('TRUNCATED', label, header.dataOffset + done, 'file ended while reading tensor data');
      }
      let from = 0;
      if (skip > 0) {
        from = Math.min(skip, chunk.length);
        skip -= from;
      }
      const n = Math.min(chunk.length - from, total - done);
      if (n > 0) {
        dest.set(from === 0 && n === chunk.length ? chunk : chunk.subarray(from, from + n), done);
        done += n;
      }
      if (done - reported >= PROGRESS_STEP || done === total) progress();
    }
    if (reported !== done) progress();
    // See the stream to its end when little follows the data (a download then completes rather
    // than being cancelled); a longer tail after the last tensor is cancelled unread.
    for (let tail = 0; !ended && tail < TAIL_DRAIN; ) tail += (await next())?.length ?? 0;

    const tensors = new Map<string, GGUFTensor>();
    for (const t of header.tensors) tensors.set(t.name, { ...t, data: arena.u8(base + t.offset, t.byteSize) });
    const file = header.file;
    return {
      header,
      arena,
      dataAddress: base,
      tensors,
      tensor(name: string): GGUFTensor {
        const t = tensors.get(name);
        if (!t) throw new GGUFError('MISSING_TENSOR', file, undefined, `required tensor ${clip(name)} is missing`);
        return t;
      },
    };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!ended) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * The prefix as a source for the header parser: reads within it are served, a read starting past
 * it throws NEED_MORE (until the stream has ended, when the file is known to be that long).
 */
function prefixSource(prefix: Uint8Array, have: number, ended: boolean, size: number | undefined, label: string): OpenedSource {
  const readSync = (into: Uint8Array, length: number, position: number): number => {
    if (position >= have) {
      if (!ended) throw NEED_MORE;
      return 0;
    }
    const n = Math.min(length, have - position);
    into.set(prefix.subarray(position, position + n));
    return n;
  };
  return {
    label,
    // Unknown until the stream ends: the header's counts are then checked only as they are read.
    size: ended ? have : size ?? Number.MAX_SAFE_INTEGER,
    bytes: undefined,
    readSync,
    read: async (into, length, position) => readSync(into, length, position),
    close: () => undefined,
  };
}
