/**
 * llama.cpp built natively on this machine, the yardstick the benchmarks measure against.
 *
 * node-llama-cpp's prebuilt binary is compiled for a generic x64 CPU, so it is not the fastest
 * llama.cpp this machine can run. This builds the very source node-llama-cpp ships
 * (`node_modules/node-llama-cpp/llama/gitRelease.bundle`, a git bundle) once, CPU only, with
 * `GGML_NATIVE=ON` (every instruction set this CPU has) in Release, and caches it under
 * `.cache/llama.cpp-native/<commit>/` at the repository root. Only the tools the benchmarks use
 * are built: `llama-bench`, `llama-batched-bench` and `llama-server`.
 *
 * Opt-in: nothing in the test suite builds it. From the command line:
 *   node --conditions=source --import tsx benchmarks/native-llamacpp.ts [--rebuild]
 * prints the binary paths (building first if needed) and how long the build took.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'node_modules/node-llama-cpp/llama/gitRelease.bundle');

/** The tools the benchmarks run, by CMake target name. */
export const NATIVE_TARGETS = ['llama-bench', 'llama-batched-bench', 'llama-server'] as const;

/** Paths to the natively built llama.cpp tools, and how they were built. */
export interface NativeLlamaCpp {
  /** `llama-bench`: pp/tg throughput, the same tests as `bench:peer`. */
  bench: string;
  /** `llama-batched-bench`: npp/ntg/npl batched decoding. */
  batchedBench: string;
  /** `llama-server`: the OpenAI-compatible server. */
  server: string;
  /** The llama.cpp commit the bundle holds. */
  commit: string;
  /** Wall-clock seconds the build took when it ran (clone + configure + compile). */
  buildSeconds: number;
  /** The CMake flags it was configured with. */
  cmakeFlags: string[];
}

/** Options for {@link buildNativeLlamaCpp}. */
export interface BuildOptions {
  /** Throw away the cached build and build again. */
  rebuild?: boolean;
  /** Parallel compile jobs (default 2: the machine is shared). */
  jobs?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/**
 * CPU only, this CPU's instruction sets, no network at configure time (no curl, no prebuilt
 * web UI download), static so the binaries need nothing from the build tree.
 */
const CMAKE_FLAGS = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DGGML_NATIVE=ON',
  '-DGGML_CUDA=OFF',
  '-DGGML_VULKAN=OFF',
  '-DGGML_METAL=OFF',
  '-DBUILD_SHARED_LIBS=OFF',
  '-DLLAMA_CURL=OFF',
  '-DLLAMA_OPENSSL=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_UI=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
];

interface Stamp { commit: string; buildSeconds: number; cmakeFlags: string[]; builtAt: string }

function run(cmd: string, args: string[], cwd: string, log: (s: string) => void): void {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args[0]} failed (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-3000)}`);
}

function bundleCommit(): string {
  if (!existsSync(bundle)) throw new Error(`llama.cpp source bundle not found at ${bundle} (is node-llama-cpp installed?)`);
  const r = spawnSync('git', ['bundle', 'list-heads', bundle], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git bundle list-heads failed: ${r.stderr.slice(0, 500)}`);
  const head = r.stdout.split('\n').find((l) => l.endsWith(' HEAD')) ?? r.stdout.split('\n')[0];
  const commit = head.split(' ')[0];
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`unexpected git bundle heads: ${r.stdout.slice(0, 200)}`);
  return commit;
}

function paths(dir: string, stamp: Stamp): NativeLlamaCpp {
  const bin = join(dir, 'build', 'bin');
  return {
    bench: join(bin, 'llama-bench'),
    batchedBench: join(bin, 'llama-batched-bench'),
    server: join(bin, 'llama-server'),
    commit: stamp.commit,
    buildSeconds: stamp.buildSeconds,
    cmakeFlags: stamp.cmakeFlags,
  };
}

function cacheDir(commit: string): string {
  return join(root, '.cache', 'llama.cpp-native', commit.slice(0, 12));
}

/** The cached native build if it is complete, without building; `undefined` otherwise. */
export function findNativeLlamaCpp(): NativeLlamaCpp | undefined {
  const dir = cacheDir(bundleCommit());
  const stampFile = join(dir, 'build-info.json');
  if (!existsSync(stampFile)) return undefined;
  const found = paths(dir, JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp);
  return [found.bench, found.batchedBench, found.server].every((p) => existsSync(p)) ? found : undefined;
}

/**
 * The native llama.cpp tools, built first if they are not cached (minutes: see the README's
 * benchmark table). Re-running after an interrupted build resumes it (CMake's build tree is kept).
 */
export function buildNativeLlamaCpp(opts: BuildOptions = {}): NativeLlamaCpp {
  const log = opts.log ?? ((s: string) => void process.stderr.write(`${s}\n`));
  const commit = bundleCommit();
  const dir = cacheDir(commit);
  if (opts.rebuild) rmSync(dir, { recursive: true, force: true });
  else {
    const found = findNativeLlamaCpp();
    if (found) return found;
  }
  mkdirSync(dir, { recursive: true });
  const src = join(dir, 'src');
  const build = join(dir, 'build');
  const t0 = performance.now();
  if (!existsSync(join(src, 'CMakeLists.txt'))) {
    rmSync(src, { recursive: true, force: true });
    log(`cloning llama.cpp ${commit.slice(0, 12)} from node-llama-cpp's bundle…`);
    run('git', ['clone', '--quiet', '--no-checkout', bundle, src], dir, log);
    run('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', commit], src, log);
  }
  log('configuring (CPU only, GGML_NATIVE=ON, Release)…');
  run('cmake', ['-S', src, '-B', build, ...CMAKE_FLAGS], dir, log);
  log(`compiling ${NATIVE_TARGETS.join(', ')} with -j${opts.jobs ?? 2} (several minutes)…`);
  run('cmake', ['--build', build, '--config', 'Release', '-j', String(opts.jobs ?? 2), '--target', ...NATIVE_TARGETS], dir, log);
  const stamp: Stamp = { commit, buildSeconds: Math.round((performance.now() - t0) / 1000), cmakeFlags: CMAKE_FLAGS, builtAt: new Date().toISOString() };
  writeFileSync(join(dir, 'build-info.json'), `${JSON.stringify(stamp, null, 2)}\n`);
  const built = paths(dir, stamp);
  for (const p of [built.bench, built.batchedBench, built.server]) if (!existsSync(p)) throw new Error(`build finished but ${p} is missing`);
  log(`built in ${stamp.buildSeconds} s`);
  return built;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = buildNativeLlamaCpp({ rebuild: process.argv.includes('--rebuild') });
  process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
}
