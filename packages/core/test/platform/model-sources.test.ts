/**
 * loadModel from every kind of source gives the same model: a path, an http URL (a loopback server
 * streaming the file, with and without Content-Length), a File/Blob, bytes, and a ReadableStream
 * in odd-sized chunks; each generates the same greedy ids as the path. Bad downloads fail typed.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GGUFError, loadModel, type ModelSource } from '@legato/core';
import { modelPath } from '../../../../testing/models.js';

const PATH = modelPath('stories260K.gguf');
const PROMPT = 'Once upon a time';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const size = statSync(PATH).size;
    if (req.url === '/model.gguf') {
      res.writeHead(200, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
      createReadStream(PATH, { highWaterMark: 7919 }).pipe(res);
    } else if (req.url === '/chunked.gguf') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no length: chunked
      createReadStream(PATH, { highWaterMark: 65_521 }).pipe(res);
    } else if (req.url === '/cut.gguf') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(readFileSync(PATH).subarray(0, Math.floor(size * 0.8)));
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function greedyIds(source: ModelSource, onProgress?: (f: number) => void): Promise<number[]> {
  const model = await loadModel(source, { threads: 1, onProgress: onProgress && ((p) => onProgress(p.fraction)) });
  try {
    const ctx = model.createContext({ contextSize: 128 });
    const r = await ctx.generate(PROMPT, { maxTokens: 24, temperature: 0 }).result();
    return r.ids;
  } finally {
    model.dispose();
  }
}

/** The file as a stream of `size`-byte chunks (prime sizes cross every field boundary). */
function chunkedStream(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

describe('loadModel sources', () => {
  let expected: number[];
  beforeAll(async () => {
    expected = await greedyIds(PATH);
    expect(expected.length).toBe(24);
  });

  it('an http URL (string and URL object), streamed with progress to 1', async () => {
    const fractions: number[] = [];
    expect(await greedyIds(`${base}/model.gguf`, (f) => fractions.push(f))).toEqual(expected);
    expect(fractions[0]).toBe(0);
    expect(fractions.at(-1)).toBe(1);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]);
    expect(await greedyIds(new URL(`${base}/chunked.gguf`))).toEqual(expected);
  });

  it('a File, a Blob, bytes and an ArrayBuffer', async () => {
    const bytes = readFileSync(PATH);
    expect(await greedyIds(new File([bytes], 'stories260K.gguf'))).toEqual(expected);
    expect(await greedyIds(new Blob([bytes]))).toEqual(expected);
    expect(await greedyIds(new Uint8Array(bytes))).toEqual(expected);
    expect(await greedyIds(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))).toEqual(expected);
  });

  it('a ReadableStream in odd-sized chunks, from 13 bytes to 1 MiB', async () => {
    const bytes = new Uint8Array(readFileSync(PATH));
    expect(await greedyIds(chunkedStream(bytes, 13))).toEqual(expected);
    expect(await greedyIds(chunkedStream(bytes, 1 << 20))).toEqual(expected);
  });

  it('a missing URL, a cut download and a cut stream fail with a typed GGUFError', async () => {
    await expect(loadModel(`${base}/missing.gguf`)).rejects.toMatchObject({ name: 'GGUFError', code: 'IO', message: expect.stringContaining('HTTP 404') });
    await expect(loadModel(`${base}/cut.gguf`)).rejects.toMatchObject({ code: 'TRUNCATED' });
    const bytes = new Uint8Array(readFileSync(PATH));
    await expect(loadModel(chunkedStream(bytes.subarray(0, 1000), 100))).rejects.toBeInstanceOf(GGUFError);
    await expect(loadModel('http://127.0.0.1:1/nothing.gguf')).rejects.toMatchObject({ code: 'IO' });
    await expect(loadModel({} as unknown as ModelSource)).rejects.toMatchObject({ name: 'InvalidOptionError' });
  });

  it('an aborted download rejects with the abort reason and leaves the server connection closed', async () => {
    const ac = new AbortController();
    const p = loadModel(`${base}/model.gguf`, { signal: ac.signal, onProgress: (x) => { if (x.fraction > 0) ac.abort(new Error('user stop')); } });
    await expect(p).rejects.toThrow('user stop');
  });
});
