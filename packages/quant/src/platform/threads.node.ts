/**
 * Starting the worker team's supervisor thread on Node (worker_threads; Deno and Bun run it through
 * their Node compatibility). The browser twin is threads.browser.ts.
 */
import { Worker } from 'node:worker_threads';
import { locatePackageFile } from './runtime.node.js';

/** What the supervisor needs to start and watch the kernel workers (see supervisor.mjs). */
export interface SupervisorData {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  control: SharedArrayBuffer;
  workers: number;
  maxRestarts: number;
}

/** The parent's handle on the supervisor thread. */
export interface SupervisorThread {
  postMessage(message: unknown): void;
  /** Ends the supervisor (and with it the kernel workers). */
  terminate(): void;
  /** Keep the process alive while something is awaited from the supervisor (no-op in browsers). */
  ref(): void;
  unref(): void;
}

export interface SupervisorEvents {
  message(m: unknown): void;
  error(err: unknown): void;
  /** The thread ended (never reported in browsers, which have no such event). */
  exit(): void;
}

/** Why threads cannot be used here, or undefined when they can. */
export function threadsUnavailableReason(): string | undefined {
  return undefined;
}

export function startSupervisor(data: SupervisorData, on: SupervisorEvents): SupervisorThread {
  const worker = new Worker(locatePackageFile(['../threads/supervisor.mjs', '../src/threads/supervisor.mjs']), {
    workerData: data,
    // Plain JavaScript: spare it the parent's loaders (tsx, test runners).
    execArgv: [],
  });
  worker.on('message', (m: unknown) => on.message(m));
  worker.on('error', (err: unknown) => on.error(err));
  worker.on('exit', () => on.exit());
  return {
    postMessage: (m) => worker.postMessage(m),
    terminate: () => void worker.terminate().catch(() => {}),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
}
