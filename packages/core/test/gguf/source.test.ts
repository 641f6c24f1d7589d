/**
 * readGGUFHeader and loadGGUF take a path, a file: URL, a Uint8Array (Buffer included) or an
 * ArrayBuffer, and give the same file for each; anything else is a BAD_SOURCE GGUFError whose
 * message names the type, never the contents.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GGUFError, loadGGUF, readGGUFHeader, type ModelSource } from '../../src/gguf/index.js';
import { modelPath } from '../../../../testing/models.js';

const path = modelPath('TinyStories-656K-Q8_0.gguf');
const buf = readFileSync(path);

function refusal(source: unknown): GGUFError {
  try {
    readGGUFHeader(source as ModelSource);
  } catch (e) {
    expect(e).toBeInstanceOf(GGUFError);
    return e as GGUFError;
  }
  throw new Error('expected a GGUFError');
}

describe('GGUF sources', () => {
  it('a path, a file URL, a Buffer, a Uint8Array view and an ArrayBuffer give the same file', async () => {
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    // A view that does not start at offset 0 of its buffer.
    const padded = new Uint8Array(buf.length + 8);
    padded.set(buf, 8);
    const sources: ModelSource[] = [path, pathToFileURL(path), buf, new Uint8Array(ab), ab, padded.subarray(8)];
    const ref = await loadGGUF(path);
    for (const s of sources) {
      const f = await loadGGUF(s);
      expect(f.header.tensors).toEqual(ref.header.tensors);
      expect(f.header.metadata).toEqual(ref.header.metadata);
      for (const t of ref.tensors.values()) expect(Buffer.from(f.tensor(t.name).data).equals(Buffer.from(t.data))).toBe(true);
    }
    expect(readGGUFHeader(buf).file).toBe(`<Buffer of ${buf.length} bytes>`);
    expect(readGGUFHeader(pathToFileURL(path)).file).toBe(path);
  });

  it('a 1 MB buffer of garbage is refused in a short message (it used to be opened as a path and quoted whole)', async () => {
    const junk = new Uint8Array(1 << 20).fill(0x41);
    const e = await loadGGUF(junk).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GGUFError);
    expect((e as GGUFError).code).toBe('BAD_MAGIC');
    expect((e as GGUFError).message.length).toBeLessThan(200);
    expect((e as GGUFError).message).not.toContain('AAAAAAAA');
  });

  it('anything else is BAD_SOURCE naming only its type', () => {
    for (const [source, type] of [[42, 'number'], [null, 'null'], [undefined, 'undefined'], [{ path }, 'Object'], [new Float32Array(4), 'Float32Array'], [['a.gguf'], 'Array']] as const) {
      const e = refusal(source);
      expect(e.code).toBe('BAD_SOURCE');
      expect(e.message).toContain(type);
    }
    expect(refusal(new URL('https://example.com/m.gguf')).code).toBe('BAD_SOURCE');
    expect(refusal('').code).toBe('BAD_SOURCE');
    expect(refusal('a\0b.gguf').code).toBe('BAD_SOURCE');
  });

  it('a missing or megabyte-long path is an IO error whose message keeps only the end of the path', () => {
    const e = refusal('/nonexistent/model.gguf');
    expect(e.code).toBe('IO');
    expect(e.message).toMatch(/ENOENT/);
    const long = refusal('/x/' + 'y'.repeat(1 << 20));
    expect(long.code).toBe('IO');
    expect(long.message.length).toBeLessThan(250);
    expect(refusal(pathToFileURL('/work')).code).toBe('IO'); // a directory
    // A device that never ends is refused, not read forever.
    expect(refusal('/dev/zero').message).toMatch(/not a regular file/);
  });
});
