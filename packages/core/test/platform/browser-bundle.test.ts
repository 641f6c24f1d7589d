/**
 * `@legato/core` bundles for a browser: esbuild with platform 'browser' over the TypeScript sources
 * (the `source` condition, as the workspace uses them) and over the published layout (each
 * package's browser build, found through its publishConfig exports' `browser` condition) gives no
 * errors, and nothing in the output imports a Node built-in or anything else left outside.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '@legato/core';
import { modelPath, REPO_ROOT } from '../../../../testing/models.js';

const APP = `import { loadModel, InferenceEngine, ChatSession } from '@legato/core';
globalThis.legato = { loadModel, InferenceEngine, ChatSession };`;

// The published layout gets its own node_modules; the other entries must not see it.
const tmp = mkdtempSync(join(tmpdir(), 'legato-browser-bundle-'));
const tmpSource = mkdtempSync(join(tmpdir(), 'legato-browser-bundle-src-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(tmpSource, { recursive: true, force: true });
});

/** Every module the bundle reads, and every import it leaves to the runtime. */
function inspect(metafile: Metafile): { inputs: string[]; leftOutside: string[] } {
  const leftOutside = Object.values(metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
  return { inputs: Object.keys(metafile.inputs), leftOutside };
}

function expectBrowserClean(code: string, metafile: Metafile): void {
  const { inputs, leftOutside } = inspect(metafile);
  expect(leftOutside).toEqual([]);
  expect(inputs.filter((p) => p.startsWith('node:') || /\/piscina\/|\.node\.ts$/.test(p))).toEqual([]);
  expect(code).not.toMatch(/\bfrom\s*["'](node:)?(fs|os|path|url|module|v8|worker_threads|perf_hooks)["']/);
  expect(code).not.toMatch(/require\(["'](node:)?[a-z_]+["']\)/);
  // The browser twins are in: the inlined worker script and kernel module.
  expect(code).toContain('legato-supervisor');
  expect(code).toContain('"AGFzbQ'); // base64 of the wasm magic bytes
}

describe('browser bundle', () => {
  it('from the TypeScript sources (source condition): zero errors, no Node built-ins', async () => {
    const entry = join(tmpSource, 'app-source.js');
    writeFileSync(entry, APP);
    const r = await build({
      entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', conditions: ['source'],
      nodePaths: [join(REPO_ROOT, 'node_modules')], write: false, metafile: true, logLevel: 'silent',
      absWorkingDir: REPO_ROOT,
    });
    expect(r.errors).toEqual([]);
    expectBrowserClean(r.outputFiles[0].text, r.metafile);
  });

  it('from the published layout (publishConfig exports, browser builds): zero errors, no Node built-ins', async () => {
    // Each package as npm would install it: its publishConfig exports, and a dist/browser built as
    // its tsup config builds it (ESM, platform browser, dependencies left to the app's bundler).
    const modules = join(tmp, 'node_modules');
    for (const name of ['core', 'quant', 'kvcache']) {
      const dir = join(REPO_ROOT, 'packages', name);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const out = join(modules, '@legato', name);
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'package.json'), JSON.stringify({ ...pkg, exports: pkg.publishConfig.exports, imports: undefined }));
      const browserEntry = pkg.publishConfig.exports['.'].browser.default;
      expect(browserEntry).toBe('./dist/browser/index.js');
      const r = await build({
        entryPoints: [join(dir, 'src/index.ts')], bundle: true, platform: 'browser', format: 'esm', packages: 'external',
        outfile: join(out, browserEntry), write: true, logLevel: 'silent', absWorkingDir: dir,
      });
      expect(r.errors).toEqual([]);
    }
    const entry = join(tmp, 'app-dist.js');
    writeFileSync(entry, APP);
    const r = await build({
      entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent',
      nodePaths: [modules, join(REPO_ROOT, 'packages/core/node_modules')], absWorkingDir: tmp,
    });
    expect(r.errors).toEqual([]);
    expectBrowserClean(r.outputFiles[0].text, r.metafile);
    expect(Object.keys(r.metafile.inputs).some((p) => p.includes('@legato/core/dist/browser/index.js'))).toBe(true);
  });

  it('the browser build itself (every browser twin, one thread) generates the ids Node does, from bytes', async () => {
    // Run in Node, which has what the twins use (atob, TextDecoder, DataView, performance,
    // MessageChannel, fetch) but no Worker: the team falls back to one thread, as a page would.
    const out = join(tmpSource, 'legato-browser.mjs');
    const r = await build({
      stdin: { contents: "export * from '@legato/core';", resolveDir: join(REPO_ROOT, 'examples') },
      bundle: true, platform: 'browser', format: 'esm', conditions: ['source'], outfile: out, logLevel: 'silent',
      absWorkingDir: REPO_ROOT,
    });
    expect(r.errors).toEqual([]);
    const browserBuild = (await import(pathToFileURL(out).href)) as typeof import('@legato/core');
    const bytes = new Uint8Array(readFileSync(modelPath('stories260K.gguf')));
    const greedy = async (lib: typeof import('@legato/core'), threads: number): Promise<{ ids: number[]; backend: string }> => {
      const model = await lib.loadModel(bytes, { threads });
      try {
        const res = await model.createContext({ contextSize: 128 }).generate('Once upon a time', { maxTokens: 24, temperature: 0 }).result();
        return { ids: res.ids, backend: model.backend.name };
      } finally {
        model.dispose();
      }
    };
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (m: unknown) => void warnings.push(String(m));
    let fromBrowser: { ids: number[]; backend: string };
    try {
      fromBrowser = await greedy(browserBuild, 2);
    } finally {
      console.warn = warn;
    }
    const fromNode = await greedy({ loadModel } as typeof import('@legato/core'), 1);
    expect(fromBrowser.ids).toEqual(fromNode.ids);
    expect(fromBrowser.backend).toMatch(/single-thread fallback/);
    expect(warnings.join('\n')).toContain('Legato runs on one thread: this context cannot start Web Workers');
  });

  it('fails without the browser twins (the check has teeth)', async () => {
    const entry = join(tmpSource, 'app-node.js');
    writeFileSync(entry, APP);
    const r = await build({
      entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', conditions: ['source'],
      // Resolving #platform/* as Node would: the twins that import node: modules.
      plugins: [{
        name: 'node-twins',
        setup(b) {
          b.onResolve({ filter: /^#platform\// }, (a) => ({
            path: `${a.resolveDir.replace(/(\/src)(\/.*)?$/, '$1')}/platform/${a.path.slice('#platform/'.length)}.node.ts`,
          }));
        },
      }],
      nodePaths: [join(REPO_ROOT, 'node_modules')], write: false, logLevel: 'silent', absWorkingDir: REPO_ROOT,
    }).catch((e: { errors: { text: string }[] }) => e);
    const texts = (r as { errors: { text: string }[] }).errors.map((e) => e.text);
    expect(texts.length, texts.join("; ")).toBeGreaterThan(0);
    expect(texts.some((t) => /Could not resolve "node:/.test(t)), texts.slice(0, 3).join("; ")).toBe(true);
  });
});
