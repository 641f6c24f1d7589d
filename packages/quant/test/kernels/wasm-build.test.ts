import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the committed kernel binary', () => {
  it('is what assembly/ compiles to (run `pnpm --filter @legato/quant build:wasm` after editing it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'legato-asc-'));
    try {
      const outFile = join(dir, 'kernels.wasm');
      const asc = resolve(pkg, '../../node_modules/assemblyscript/bin/asc.js');
      const r = spawnSync(process.execPath, [asc, 'assembly/index.ts', '--config', 'assembly/asconfig.json', '--outFile', outFile], {
        cwd: pkg,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(Buffer.compare(readFileSync(outFile), readFileSync(resolve(pkg, 'wasm/kernels.wasm')))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('imports only the shared memory and exports only functions', () => {
    const module = new WebAssembly.Module(readFileSync(resolve(pkg, 'wasm/kernels.wasm')));
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const kinds = new Set(WebAssembly.Module.exports(module).map((e) => e.kind));
    expect([...kinds]).toEqual(['function']);
  });
});
