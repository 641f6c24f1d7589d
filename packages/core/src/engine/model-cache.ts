/**
 * Keeping downloaded models in the browser's Origin Private File System, so that a second visit
 * loads from disk instead of downloading again. The download is written to OPFS as `loadModel`
 * consumes it (one pass over the network, never the whole file in memory twice) and becomes the
 * cached copy only once complete; an interrupted download leaves nothing behind.
 */
import { GGUFError } from '../gguf/errors.js';

export interface CachedModelSourceOptions {
  signal?: AbortSignal;
  /** Called as a download arrives (not when the cached copy is used). */
  onDownloadProgress?: (loadedBytes: number, totalBytes: number | undefined) => void;
}

/** What to pass to `loadModel`, and whether it came from the cache. */
export interface CachedModelSource {
  /** The cached file, or the download stream (which fills the cache as it is read). */
  readonly source: File | ReadableStream<Uint8Array>;
  readonly cached: boolean;
}

/** The OPFS folder that holds cached models. */
const DIR = 'legato-models';

interface OpfsDirectory {
  getDirectoryHandle(name: string, o?: { create?: boolean }): Promise<OpfsDirectory>;
  getFileHandle(name: string, o?: { create?: boolean }): Promise<OpfsFile>;
  removeEntry(name: string): Promise<void>;
}
interface OpfsFile {
  getFile(): Promise<File>;
  createWritable(): Promise<{ write(b: Uint8Array): Promise<void>; close(): Promise<void>; abort(): Promise<void> }>;
  move(name: string): Promise<void>;
}

function opfsRoot(): Promise<OpfsDirectory> | undefined {
  const storage = (globalThis as unknown as { navigator?: { storage?: { getDirectory?: () => Promise<OpfsDirectory> } } }).navigator?.storage;
  return typeof storage?.getDirectory === 'function' ? storage.getDirectory() : undefined;
}

/** A file name for a URL: the SHA-256 of its text (a URL may be longer than a file name may be). */
async function cacheName(url: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(url)));
  return `${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}.gguf`;
}

/**
 * The model at `url`, from the browser's OPFS cache when an earlier call downloaded it whole,
 * otherwise a download that is cached as `loadModel` reads it. Where OPFS is missing (Node, Deno,
 * Bun, old browsers) the download is returned uncached.
 * @example
 * const { source, cached } = await cachedModelSource('https://example.com/model.gguf');
 * const model = await loadModel(source, { onProgress });
 */
export async function cachedModelSource(url: string | URL, options: CachedModelSourceOptions = {}): Promise<CachedModelSource> {
  const href = new URL(String(url), (globalThis as { location?: { href: string } }).location?.href).href;
  const label = href.split(/[?#]/)[0].slice(0, 200);
  const root = await opfsRoot()?.catch(() => undefined);
  const dir = root ? await root.getDirectoryHandle(DIR, { create: true }) : undefined;
  const name = dir ? await cacheName(href) : '';
  if (dir) {
    try {
      const file = await (await dir.getFileHandle(name)).getFile();
      return { source: file, cached: true };
    } catch {
      // not cached yet
    }
  }
  let res: Response;
  try {
    res = await fetch(href, { signal: options.signal });
  } catch (e) {
    options.signal?.throwIfAborted();
    throw new GGUFError('IO', label, undefined, `cannot fetch: ${String((e as Error)?.message ?? e).slice(0, 80)}`);
  }
  if (!res.ok || !res.body) {
    void res.body?.cancel().catch(() => {});
    throw new GGUFError('IO', label, undefined, `cannot fetch: HTTP ${res.status} ${res.statusText.slice(0, 40)}`);
  }
  const total = Number(res.headers.get('content-length') ?? NaN);
  let loaded = 0;
  const progress = (n: number): void => {
    loaded += n;
    options.onDownloadProgress?.(loaded, Number.isSafeInteger(total) ? total : undefined);
  };
  if (!dir) return { source: res.body.pipeThrough(new TransformStream({ transform: (c, out) => { progress(c.length); out.enqueue(c); } })), cached: false };

  // Written under a temporary name and renamed once whole, so a cut download is never "cached".
  const part = `${name}.part`;
  const handle = await dir.getFileHandle(part, { create: true });
  const writable = await handle.createWritable();
  const discard = async (): Promise<void> => {
    await writable.abort().catch(() => {});
    await dir.removeEntry(part).catch(() => {});
  };
  const source = res.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, out) {
      await writable.write(chunk);
      progress(chunk.length);
      out.enqueue(chunk);
    },
    async flush() {
      await writable.close();
      await handle.move(name);
    },
    cancel: discard,
  } as Transformer<Uint8Array, Uint8Array>));
  return { source, cached: false };
}
