/**
 * The README's Quick start, unchanged, under Deno and Bun (their npm packages' binaries) prints
 * what it prints on Node: the same progress lines and the same seeded story. A second script
 * checks each runtime runs the WASM kernels on the worker team (2 threads) and generates Node's
 * greedy ids. Sources are used as the workspace uses them (the `source` export condition; Deno
 * also needs --sloppy-imports for the sources' `.js` import specifiers of `.ts` files).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelPath, REPO_ROOT } from '../../testing/models.js';

const MODEL = modelPath('stories260K.gguf');
const BIN = join(REPO_ROOT, 'node_modules/.bin');
const RUNTIMES: Record<string, (script: string) => [string, string[]]> = {
  // tsx by file URL: the scripts run in the models folder, where `--import tsx` would not resolve.
  node: (s) => [process.execPath, ['--conditions=source', '--import', pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href, s]],
  deno: (s) => [join(BIN, 'deno'), ['run', '--allow-all', '--sloppy-imports', '--conditions=source', '--quiet', s]],
  bun: (s) => [join(BIN, 'bun'), ['--conditions=source', s]],
};

const CHECK = `import { loadModel } from '@legato/core';
const model = await loadModel(${JSON.stringify(MODEL)}, { threads: 2 });
const r = await model.createContext({ contextSize: 256 }).generate('Once upon a time', { maxTokens: 24, temperature: 0 }).result();
const backend = model.backend as { name: string; workerChunks?: number };
console.log(JSON.stringify({ backend: backend.name, workerChunks: backend.workerChunks, ids: r.ids }));
model.dispose();
`;

let dir: string;
beforeAll(() => {
  // Scripts beside a node_modules that holds @legato/core, as in a project that installed it.
  dir = mkdtempSync(join(tmpdir(), 'legato-runtimes-'));
  symlinkSync(join(REPO_ROOT, 'examples/node_modules'), join(dir, 'node_modules'), 'dir');
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const quick = /## Quick start\n\n```ts\n([\s\S]*?)```/.exec(readme);
  if (!quick) throw new Error('README.md has no Quick start code block');
  writeFileSync(join(dir, 'quickstart.ts'), quick[1]);
  writeFileSync(join(dir, 'check.ts'), CHECK);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(runtime: string, script: string): string {
  const [cmd, args] = RUNTIMES[runtime](join(dir, script));
  // The Quick start names the model by a relative path: run it in the models folder.
  const r = spawnSync(cmd, args, { cwd: dirname(MODEL), encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  expect(r.status, `${runtime} ${script}: ${r.stderr}`).toBe(0);
  // Nothing on stderr: an error in a worker thread (say at shutdown) does not change the exit code.
  expect(r.stderr.trim(), `${runtime} ${script}`).toBe('');
  return r.stdout;
}

describe('Deno and Bun', () => {
  it('run the README Quick start unchanged and print what Node prints', () => {
    const outputs = Object.fromEntries(Object.keys(RUNTIMES).map((rt) => [rt, run(rt, 'quickstart.ts')]));
    const story = (s: string): string => s.replace(/\nTTFT [\s\S]*$/, '');
    expect(outputs.node).toMatch(/^0\n([\d.]+\n)*1\n\S/); // progress fractions, then the story
    expect(outputs.node).toMatch(/\nTTFT [\d.]+ ms, [\d.]+ tok\/s\n$/);
    for (const rt of ['deno', 'bun']) {
      expect(outputs[rt]).toMatch(/\nTTFT [\d.]+ ms, [\d.]+ tok\/s\n$/);
      expect(story(outputs[rt]), rt).toBe(story(outputs.node));
    }
  });

  it('use the WASM kernels on a 2-thread worker team and generate Node\'s greedy ids', () => {
    const results = Object.fromEntries(Object.keys(RUNTIMES).map((rt) => [rt, JSON.parse(run(rt, 'check.ts').trim().split('\n').at(-1)!)]));
    for (const rt of Object.keys(RUNTIMES)) {
      expect(results[rt].backend, rt).toMatch(/^wasm-(relaxed-)?simd×2$/);
      expect(results[rt].ids, rt).toEqual(results.node.ids);
      expect(results[rt].ids).toHaveLength(24);
    }
  });
});
