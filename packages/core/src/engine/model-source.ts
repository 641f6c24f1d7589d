/**
 * Where `loadModel` takes a model from, and reading each kind into an arena: a path or `file:` URL
 * (Node, Deno, Bun), an http(s) URL (a streamed `fetch`), a `File`/`Blob`, the file's bytes, or a
 * `ReadableStream` of them. Sources that arrive over time are streamed into the arena
 * (gguf/stream-load.ts); paths and bytes go through the random-access loader (gguf/load.ts).
 */
import type { Arena } from '@legato/quant';
import { GGUFError } from '../gguf/errors.js';
import { readGGUFHeader, type GGUFHeader } from '../gguf/header.js';
import { loadGGUF, type GGUFFile, type LoadProgress } from '../gguf/load.js';
import { sourceLabel } from '../gguf/source.js';
import { loadGGUFFromStream } from '../gguf/stream-load.js';
import { InvalidOptionError } from '../errors.js';

/**
 * A model to load: a file path or `file:` URL (not in browsers), an `http:`/`https:` URL (as a
 * `URL` or a string), a `File` or `Blob`, the file's bytes (`Uint8Array`, `ArrayBuffer`), or a
 * `ReadableStream` of its bytes.
 */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array>;

export interface ReadModelOptions {
  /** Checks the header before tensor data is read (throwing ends the load). */
  onHeader?: (header: GGUFHeader) => void;
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Called with the arena before tensor data is read into it (work that needs only the arena can start). */
  onArena?: (arena: Arena) => void;
}

const HTTP_URL = /^https?:\/\//i;

function isBlob(v: unknown): v is Blob {
  return typeof Blob === 'function' && v instanceof Blob;
}

function isReadableStream(v: unknown): v is ReadableStream<Uint8Array> {
  return typeof ReadableStream === 'function' && v instanceof ReadableStream;
}

/** A short name for a source in errors and `model.path`, never its contents. */
export function modelSourceLabel(source: ModelSource): string {
  if (isBlob(source)) {
    const name = (source as Blob & { name?: unknown }).name;
    return typeof name === 'string' ? `<File ${name.slice(0, 120)}>` : `<Blob of ${source.size} bytes>`;
  }
  if (isReadableStream(source)) return '<ReadableStream>';
  if (source instanceof URL && source.protocol !== 'file:') return `${source.origin}${source.pathname}`.slice(0, 200);
  if (typeof source === 'string' && HTTP_URL.test(source)) return source.split(/[?#]/)[0].slice(0, 200);
  return sourceLabel(source);
}

/** Throws InvalidOptionError for anything that is not a ModelSource. */
export function checkModelSource(source: unknown): asserts source is ModelSource {
  if (typeof source === 'string' || source instanceof URL || source instanceof Uint8Array || source instanceof ArrayBuffer) return;
  if (typeof SharedArrayBuffer === 'function' && source instanceof SharedArrayBuffer) return;
  if (isBlob(source) || isReadableStream(source)) return;
  throw new InvalidOptionError('source', 'a path, a URL, a File or Blob, a Uint8Array or ArrayBuffer, or a ReadableStream', source);
}

/** The file's size from a response, when the body arrives unencoded (so the header is its length). */
function contentLength(res: Response): number | undefined {
  const encoding = res.headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return undefined;
  const n = Number(res.headers.get('content-length') ?? NaN);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

async function fetchModel(url: URL, label: string, o: ReadModelOptions): Promise<GGUFFile> {
  let res: Response;
  try {
    res = await fetch(url, { signal: o.signal });
  } catch (e) {
    o.signal?.throwIfAborted();
    const reason = (e as Error)?.cause ?? e;
    throw new GGUFError('IO', label, undefined, `cannot fetch: ${String((reason as Error)?.message ?? reason).slice(0, 80)}`);
  }
  if (!res.ok || !res.body) {
    void res.body?.cancel().catch(() => {});
    throw new GGUFError('IO', label, undefined, `cannot fetch: HTTP ${res.status} ${res.statusText.slice(0, 40)}`);
  }
  return loadGGUFFromStream(res.body, { ...o, label, size: contentLength(res) });
}

/**
 * Reads a model's GGUF file into a new arena, calling `onHeader` with its header before any
 * tensor data is read. Rejects with a GGUFError naming the source for bad input.
 */
export async function readModelFile(source: ModelSource, o: ReadModelOptions = {}): Promise<GGUFFile> {
  const label = modelSourceLabel(source);
  if (typeof source === 'string' && HTTP_URL.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new GGUFError('BAD_SOURCE', label, undefined, 'not a valid URL');
    }
    return fetchModel(url, label, o);
  }
  if (source instanceof URL && source.protocol !== 'file:') {
    if (source.protocol !== 'http:' && source.protocol !== 'https:') {
      throw new GGUFError('BAD_SOURCE', label, undefined, `only http:, https: and file: URLs can be loaded, got ${source.protocol.slice(0, 20)}`);
    }
    return fetchModel(source, label, o);
  }
  if (isBlob(source)) return loadGGUFFromStream(source.stream() as ReadableStream<Uint8Array>, { ...o, label, size: source.size });
  if (isReadableStream(source)) return loadGGUFFromStream(source, { ...o, label });
  // A path, a file: URL or bytes: validate the header before reading megabytes of tensor data.
  const header = readGGUFHeader(source);
  o.onHeader?.(header);
  return loadGGUF(source, { onProgress: o.onProgress, signal: o.signal, onArena: o.onArena });
}
