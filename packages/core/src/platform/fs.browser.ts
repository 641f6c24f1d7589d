/**
 * The browser twin of fs.node.ts: a page has no file system, so opening a path fails (with the
 * ENOSYS code Node uses for an unsupported call); the caller turns that into a GGUFError naming
 * the path. `fileURLToPath` is the plain decoding of a `file:` URL, for labels only.
 */
function unsupported(): never {
  const err = new Error('a browser cannot open file paths: pass an http(s) URL, a File or Blob, bytes or a ReadableStream') as Error & { code: string };
  err.code = 'ENOSYS';
  throw err;
}

export function openSync(_path: string, _flags: string): number {
  return unsupported();
}

export function fstatSync(_fd: number): { isFile(): boolean; size: number } {
  return unsupported();
}

export function readSync(_fd: number, _into: Uint8Array, _offset: number, _length: number, _position: number): number {
  return unsupported();
}

export function read(
  _fd: number, _into: Uint8Array, _offset: number, _length: number, _position: number,
  _done: (err: Error | null, bytesRead: number) => void,
): void {
  unsupported();
}

export function closeSync(_fd: number): void {}

export function fileURLToPath(url: URL | string): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'file:') throw new TypeError('The URL must be of scheme file');
  return decodeURIComponent(u.pathname);
}
