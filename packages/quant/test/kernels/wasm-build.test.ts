import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { relaxedSimdSupported } from '../../src/kernels/module.js';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// The plain SIMD128 module and the relaxed-SIMD build of the same sources (asconfig target
// "relaxed"); both are committed and must match what assembly/ compiles to.
const ARTIFACTS = [
  { file: 'kernels.wasm', args: [] as string[] },
  { file: 'kernels-relaxed.wasm', args: ['--target', 'relaxed'] },
];

describe.each(ARTIFACTS)('the committed kernel binary $file', ({ file, args }) => {
  it('is what assembly/ compiles to (run `pnpm --filter @legato/quant build:wasm` after editing it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'legato-asc-'));
    try {
      const outFile = join(dir, file);
      const asc = resolve(pkg, '../../node_modules/assemblyscript/bin/asc.js');
      const r = spawnSync(process.execPath, [asc, 'assembly/index.ts', '--config', 'assembly/asconfig.json', ...args, '--outFile', outFile], {
        cwd: pkg,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(Buffer.compare(readFileSync(outFile), readFileSync(resolve(pkg, 'wasm', file)))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('imports only the shared memory and exports only functions', () => {
    // Compiling the relaxed module needs the runtime's relaxed SIMD, which module.ts turns on.
    if (file !== 'kernels.wasm' && !relaxedSimdSupported()) return;
    const module = new WebAssembly.Module(readFileSync(resolve(pkg, 'wasm', file)));
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const kinds = new Set(WebAssembly.Module.exports(module).map((e) => e.kind));
    expect([...kinds]).toEqual(['function']);
  });
});

it.skipIf(!relaxedSimdSupported())('the relaxed build has the plain build\'s imports and exports', () => {
  const shape = (file: string) => {
    const module = new WebAssembly.Module(readFileSync(resolve(pkg, 'wasm', file)));
    return { imports: WebAssembly.Module.imports(module), exports: WebAssembly.Module.exports(module) };
  };
  expect(shape('kernels-relaxed.wasm')).toEqual(shape('kernels.wasm'));
});
