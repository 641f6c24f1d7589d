/**
 * Legato as a user receives it: every package built and packed with `pnpm pack`, the tarballs
 * installed with npm into a new project outside the workspace, the README's Quick start run as
 * an ES module and as CommonJS, each package loaded both ways, the `legato` binary run, and
 * TypeScript programs (and the package READMEs' examples) checked against the installed types.
 * Nothing here resolves to the workspace's sources: a leaked `source` condition, a missing file
 * in `files`, or declarations that break under CommonJS fail it.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelPath, REPO_ROOT } from '../../testing/models.js';

interface Manifest {
  name: string;
  private?: boolean;
  exports?: unknown;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
}

/** The workspace's published packages, by name → folder. */
const PACKAGES = new Map(
  readdirSync(join(REPO_ROOT, 'packages'))
    .map((dir) => ({ dir: join(REPO_ROOT, 'packages', dir), file: join(REPO_ROOT, 'packages', dir, 'package.json') }))
    .filter((p) => existsSync(p.file))
    .map((p) => ({ ...p, manifest: JSON.parse(readFileSync(p.file, 'utf8')) as Manifest }))
    .filter((p) => !p.manifest.private)
    .map((p) => [p.manifest.name, p.dir]),
);
/** Packages that publish a CommonJS build (a `require` condition). */
const CJS = [...PACKAGES.keys()].filter((name) => JSON.stringify(readManifest(PACKAGES.get(name)!).exports).includes('"require"'));

const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
const NODE_TYPES = join(REPO_ROOT, 'node_modules/@types');

let work: string;
let project: string;

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.error) throw r.error;
  return r;
}

function mustRun(cmd: string, args: string[], cwd: string, timeoutMs?: number): string {
  const r = run(cmd, args, cwd, timeoutMs);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

/** The first ```ts block after `heading` in a Markdown file. */
function codeBlock(markdownFile: string, heading: RegExp): string {
  const md = readFileSync(markdownFile, 'utf8');
  const at = md.search(heading);
  if (at < 0) throw new Error(`${markdownFile}: no heading ${heading}`);
  const m = /```ts\n([\s\S]*?)```/.exec(md.slice(at));
  if (!m) throw new Error(`${markdownFile}: no \`\`\`ts block after ${heading}`);
  return m[1]!;
}

/** An ES-module snippet as a CommonJS script: imports become require(), the rest runs in an async function. */
function asCommonJs(esm: string): string {
  const imports: string[] = [];
  const body = esm.replace(/^import \{([^}]+)\} from '([^']+)';\n/gm, (_m, names: string, from: string) => {
    imports.push(`const {${names.replace(/\btype \w+,?/g, '')}} = require('${from}');`);
    return '';
  });
  if (/^import /m.test(body)) throw new Error(`cannot convert an import in:\n${esm}`);
  return `${imports.join('\n')}\n(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });\n`;
}

/** Every string leaf of an `exports` map, with the conditions that lead to it. */
function exportTargets(exp: unknown, path: string[] = []): { path: string[]; target: string }[] {
  if (typeof exp === 'string') return [{ path, target: exp }];
  if (exp && typeof exp === 'object') return Object.entries(exp).flatMap(([k, v]) => exportTargets(v, [...path, k]));
  return [];
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'legato-packed-'));
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  // Each package's prepack script builds it (tsup) before it is packed.
  mustRun('pnpm', ['--recursive', '--filter', './packages/**', 'pack', '--pack-destination', tarballs], REPO_ROOT, 900_000);
  const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
  const deps: Record<string, string> = {};
  for (const name of PACKAGES.keys()) {
    const file = files.find((f) => f.startsWith(`${name.replace('@', '').replace('/', '-')}-`));
    if (!file) throw new Error(`pnpm pack made no tarball for ${name} (made: ${files.join(', ')})`);
    deps[name] = `file:${join(tarballs, file)}`;
  }
  project = join(work, 'project');
  mkdirSync(project);
  // `overrides` makes each package's dependency on a sibling resolve to its tarball, not the registry.
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'legato-user', private: true, dependencies: deps, overrides: deps }, null, 2));
  mustRun('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], project, 600_000);
}, 1_200_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed packages, installed from their tarballs outside the workspace', () => {
  it('each carries LICENSE and README.md, every exported file, and no source condition or workspace: range', () => {
    for (const name of PACKAGES.keys()) {
      const dir = join(project, 'node_modules', name);
      const m = readManifest(dir);
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), name).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the Legato authors\n/);
      expect(readFileSync(join(dir, 'README.md'), 'utf8'), name).toMatch(new RegExp(`^# ${name}\\n`));
      expect(JSON.stringify(m), name).not.toMatch(/workspace:/);
      const targets = exportTargets(m.exports);
      expect(targets.length, name).toBeGreaterThan(0);
      expect(targets.filter((t) => t.path.includes('source')), `${name}: a "source" condition was published`).toEqual([]);
      const leaves = [...targets.map((t) => t.target), m.main, m.types, ...Object.values(m.bin ?? {})].filter((t): t is string => t !== undefined);
      for (const t of leaves) expect(existsSync(resolve(dir, t)), `${name}: ${t} is not in the tarball`).toBe(true);
    }
  });

  it('each runtime dependency is imported, required or resolved by the built code', () => {
    for (const name of PACKAGES.keys()) {
      const dir = join(project, 'node_modules', name);
      const dist = readdirSync(join(dir, 'dist')).filter((f) => /\.(c?js|d\.c?ts)$/.test(f));
      const code = dist.map((f) => readFileSync(join(dir, 'dist', f), 'utf8')).join('\n');
      for (const dep of Object.keys(readManifest(dir).dependencies ?? {})) {
        const escaped = dep.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        const used = new RegExp(`(from |import\\(|require\\(|resolve\\()["']${escaped}(/[^"']*)?["']`).test(code);
        expect(used, `${name} depends on ${dep}, which its build never loads`).toBe(true);
      }
    }
  });

  it("runs the README's Quick start as an ES module, as CommonJS, and with --conditions=source", () => {
    const quickStart = codeBlock(join(REPO_ROOT, 'README.md'), /^## Quick start$/m).replaceAll("'stories260K.gguf'", JSON.stringify(modelPath('stories260K.gguf')));
    expect(quickStart).toContain(JSON.stringify(modelPath('stories260K.gguf')));
    writeFileSync(join(project, 'quick-start.mjs'), quickStart);
    writeFileSync(join(project, 'quick-start.cjs'), asCommonJs(quickStart));
    const outputs: string[] = [];
    for (const args of [['quick-start.mjs'], ['quick-start.cjs'], ['--conditions=source', 'quick-start.mjs']]) {
      // The process must also end by itself: a hang is a timeout here.
      const r = run(process.execPath, args, project, 90_000);
      expect(r.status, `node ${args.join(' ')}\n${r.stderr}`).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/TTFT [\d.]+ ms, [\d.]+ tok\/s\n$/);
      const text = r.stdout.replace(/^[\d.]+\n/gm, '').replace(/\s*TTFT [\s\S]*$/, ''); // drop progress lines and the summary
      expect(text.length, args.join(' ')).toBeGreaterThan(40);
      outputs.push(text);
    }
    // Same seed, same model: the CommonJS build generates what the ESM build does.
    expect(outputs[1]).toBe(outputs[0]);
    expect(outputs[2]).toBe(outputs[0]);
  });

  it('every package loads with import(), and with require() where it publishes CommonJS, each class once', () => {
    const subpaths = exportTargets(readManifest(join(project, 'node_modules/@legato/core')).exports)
      .map((t) => t.path[0]!)
      .filter((p, i, all) => (p === '.' || p.startsWith('./')) && p !== './package.json' && all.indexOf(p) === i)
      .map((p) => `@legato/core${p.slice(1)}`);
    expect(subpaths).toEqual(expect.arrayContaining(['@legato/core', '@legato/core/gguf', '@legato/core/internals']));
    const esmNames = [...PACKAGES.keys(), ...subpaths.filter((s) => s !== '@legato/core')];
    const cjsNames = [...CJS, ...subpaths.filter((s) => s !== '@legato/core')];
    expect(CJS).toEqual(expect.arrayContaining(['@legato/core', '@legato/quant', '@legato/kvcache', '@legato/metrics']));
    writeFileSync(join(project, 'load.mjs'), [
      `for (const n of ${JSON.stringify(esmNames)}) if (Object.keys(await import(n)).length === 0) throw new Error(n + ' exports nothing');`,
      "const [a, b] = await Promise.all([import('@legato/core'), import('@legato/core/gguf')]);",
      "if (a.GGUFError !== b.GGUFError) throw new Error('two GGUFError classes');",
      "console.log('esm ok');",
    ].join('\n'));
    writeFileSync(join(project, 'load.cjs'), [
      `for (const n of ${JSON.stringify(cjsNames)}) if (Object.keys(require(n)).length === 0) throw new Error(n + ' exports nothing');`,
      "if (require('@legato/core').GGUFError !== require('@legato/core/gguf').GGUFError) throw new Error('two GGUFError classes');",
      "if (require('@legato/core').Tokenizer !== require('@legato/core/tokenizer').Tokenizer) throw new Error('two Tokenizer classes');",
      "console.log('cjs ok');",
    ].join('\n'));
    for (const file of ['load.mjs', 'load.cjs']) {
      const r = run(process.execPath, [file], project, 60_000);
      expect(r.status, `${file}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/ok\n$/);
    }
  });

  it('the installed legato command runs', () => {
    const r = run(join(project, 'node_modules/.bin/legato'), ['--help'], project, 60_000);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: legato <command>/);
    const tok = run(join(project, 'node_modules/.bin/legato'), ['tokenize', modelPath('stories260K.gguf'), 'Once upon a time'], project, 60_000);
    expect(tok.status, tok.stderr).toBe(0);
    expect(tok.stdout.trim()).toMatch(/^1( \d+)+$/);
  });

  it('TypeScript checks programs against the installed types: ESM and CommonJS, nodenext and node16', () => {
    const esm = [
      "import { loadModel, GGUFError, Tokenizer, DisposedError, type GenerateOptions, type GenerationResult } from '@legato/core';",
      "import { readGGUFHeader, writeGGUF } from '@legato/core/gguf';",
      "import { StreamingDetokenizer } from '@legato/core/tokenizer';",
      "import { Sampler } from '@legato/core/sample';",
      "import { SHAPES, synthesizeModel } from '@legato/core/synth';",
      "import { quantizeFile } from '@legato/core/quantize';",
      "import { LlamaForward } from '@legato/core/internals';",
      "import { GGMLType, getFormat } from '@legato/quant';",
      "import { PagedKVCache } from '@legato/kvcache';",
      "import { MetricsCollector, renderSvg, type ChartSpec } from '@legato/metrics';",
      "import { runLlamaBench } from '@legato/bench';",
      "import { startServer } from '@legato/server';",
      "import { main } from '@legato/cli';",
      '',
      "const options: GenerateOptions = { maxTokens: 4, temperature: 0 };",
      "const model = await loadModel('model.gguf', { threads: 1 });",
      "const result: GenerationResult = await model.createContext({ contextSize: 64 }).generate('x', options).result();",
      'const ttft: number = result.timings.ttftMs;',
      'const chart: ChartSpec | undefined = undefined;',
      'export const used = [ttft, chart, GGUFError, Tokenizer, DisposedError, readGGUFHeader, writeGGUF, StreamingDetokenizer, Sampler, SHAPES, synthesizeModel, quantizeFile, LlamaForward, GGMLType.Q8_0, getFormat, PagedKVCache, MetricsCollector, renderSvg, runLlamaBench, startServer, main] as const;',
    ].join('\n');
    const cjs = [
      "import { loadModel, GGUFError, type GenerationResult } from '@legato/core';",
      "import { readGGUFHeader } from '@legato/core/gguf';",
      "import { SHAPES } from '@legato/core/synth';",
      "import { LlamaForward } from '@legato/core/internals';",
      "import { GGMLType } from '@legato/quant';",
      "import { PagedKVCache } from '@legato/kvcache';",
      "import { MetricsCollector, renderSvg, type ChartSpec } from '@legato/metrics';",
      "import { runLlamaBench } from '@legato/bench';",
      '',
      'export async function ttft(): Promise<number> {',
      "  const model = await loadModel('model.gguf');",
      "  const result: GenerationResult = await model.createContext().generate('x', { maxTokens: 4 }).result();",
      '  model.dispose();',
      '  return result.timings.ttftMs;',
      '}',
      'export type Chart = ChartSpec;',
      'export const used = [GGUFError, readGGUFHeader, SHAPES, LlamaForward, GGMLType.Q8_0, PagedKVCache, MetricsCollector, renderSvg, runLlamaBench] as const;',
    ].join('\n');
    writeFileSync(join(project, 'check-esm.mts'), esm);
    writeFileSync(join(project, 'check-cjs.cts'), cjs);
    // Each package README's example must compile against what it documents.
    const readmes: string[] = [];
    for (const [name, dir] of PACKAGES) {
      if (name === '@legato/cli') continue; // its README shows shell commands
      const file = `readme-${name.split('/')[1]}.mts`;
      writeFileSync(join(project, file), `${codeBlock(join(dir, 'README.md'), /^## (Quick start|Example)$/m)}\nexport {};\n`);
      readmes.push(file);
    }
    const base = { target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [NODE_TYPES] };
    const configs = {
      'tsconfig.nodenext.json': { compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['check-esm.mts', 'check-cjs.cts', ...readmes] },
      // node16 models a runtime without require(esm) (Node 20 before 20.19): an ESM-only import
      // reachable from a .d.cts is TS1479 here, as in a CommonJS project on an older TypeScript.
      'tsconfig.node16.json': { compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' }, files: ['check-cjs.cts'] },
    };
    for (const [file, config] of Object.entries(configs)) {
      writeFileSync(join(project, file), JSON.stringify(config, null, 2));
      const r = run(process.execPath, [TSC, '-p', file], project, 300_000);
      expect(`${r.stdout}${r.stderr}`, file).toBe('');
      expect(r.status, file).toBe(0);
    }
  });
});
