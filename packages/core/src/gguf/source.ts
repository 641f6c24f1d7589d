/**
 * Where GGUF bytes come from: a path, a file: URL, or bytes already in memory. One opened source
 * serves both the header parse and the data load, so a file cannot change between the two.
 */
// node:fs and node:url, or their browser twin, which refuses paths (src/platform/fs.*.ts).
import { closeSync, fileURLToPath, fstatSync, openSync, read, readSync } from '#platform/fs';
import { clip, GGUFError } from './errors.js';

/** A model given by path, by `file:` URL, or as the bytes of a GGUF file. */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;

/** An opened source: its size and random-access reads. */
export interface OpenedSource {
  /** The path, or a short label such as `<Uint8Array of 1048576 bytes>`. */
  readonly label: string;
  readonly size: number;
  /** The whole file when the source is bytes (reads are then views, never copies). */
  readonly bytes: Uint8Array | undefined;
  /** Reads up to `length` bytes at `position` into `into`; returns how many were read. */
  readSync(into: Uint8Array, length: number, position: number): number;
  read(into: Uint8Array, length: number, position: number): Promise<number>;
  close(): void;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

function isArrayBuffer(v: unknown): v is ArrayBuffer {
  return v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer);
}

/** Node's message names the path again, in full; keep only the part that says what went wrong. */
function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === 'string') return clip(String(err.message).split(',')[0], 80);
  return clip(String((e as Error)?.message ?? e), 80);
}

/** A short name for a source, never its contents. */
export function sourceLabel(source: unknown): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.protocol === 'file:' ? safeFileURLToPath(source) ?? source.href : source.href;
  if (source instanceof Uint8Array) return `<${typeOf(source)} of ${source.length} bytes>`;
  if (isArrayBuffer(source)) return `<${typeOf(source)} of ${source.byteLength} bytes>`;
  return `<${typeOf(source)}>`;
}

function safeFileURLToPath(u: URL): string | undefined {
  try {
    return fileURLToPath(u);
  } catch {
    return undefined;
  }
}

function memorySource(bytes: Uint8Array, label: string): OpenedSource {
  const readSyncMem = (into: Uint8Array, length: number, position: number): number => {
    const n = Math.max(0, Math.min(length, bytes.length - position));
    into.set(bytes.subarray(position, position + n));
    return n;
  };
  return {
    label,
    size: bytes.length,
    bytes,
    readSync: readSyncMem,
    read: async (into, length, position) => readSyncMem(into, length, position),
    close: () => undefined,
  };
}

function fileSource(path: string): OpenedSource {
  let fd: number;
  let size: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new GGUFError('IO', path, undefined, `cannot open: ${ioReason(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new GGUFError('IO', path, undefined, 'not a regular file');
    size = st.size;
  } catch (e) {
    closeSync(fd);
    if (e instanceof GGUFError) throw e;
    throw new GGUFError('IO', path, undefined, `cannot stat: ${ioReason(e)}`);
  }
  let open = true;
  return {
    label: path,
    size,
    bytes: undefined,
    readSync(into, length, position) {
      try {
        return readSync(fd, into, 0, length, position);
      } catch (e) {
        throw new GGUFError('IO', path, position, `cannot read: ${ioReason(e)}`);
      }
    },
    read(into, length, position) {
      return new Promise((resolve, reject) => {
        read(fd, into, 0, length, position, (e, n) => {
          if (e) reject(new GGUFError('IO', path, position, `cannot read: ${ioReason(e)}`));
          else resolve(n);
        });
      });
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/**
 * Opens a source for reading. Anything that is not a path, a `file:` URL, a Uint8Array (a Buffer
 * included) or an ArrayBuffer is refused with a `BAD_SOURCE` GGUFError that names only its type.
 */
export function openSource(source: ModelSource): OpenedSource {
  const label = sourceLabel(source);
  if (typeof source === 'string') {
    if (source.length === 0) throw new GGUFError('BAD_SOURCE', '<empty path>', undefined, 'the model path is empty');
    if (source.includes('\0')) throw new GGUFError('BAD_SOURCE', label, undefined, 'the model path contains a NUL character');
    return fileSource(source);
  }
  if (source instanceof URL) {
    if (source.protocol !== 'file:') {
      throw new GGUFError('BAD_SOURCE', label, undefined, `only file: URLs can be read, got a ${clip(source.protocol, 20)} URL`);
    }
    const path = safeFileURLToPath(source);
    if (path === undefined) throw new GGUFError('BAD_SOURCE', label, undefined, 'this file: URL does not name a local path');
    return fileSource(path);
  }
  if (source instanceof Uint8Array) return memorySource(source, label);
  if (isArrayBuffer(source)) return memorySource(new Uint8Array(source), label);
  throw new GGUFError('BAD_SOURCE', label, undefined,
    `a model source must be a path, a file: URL, a Uint8Array or an ArrayBuffer, got ${typeOf(source)}`);
}
