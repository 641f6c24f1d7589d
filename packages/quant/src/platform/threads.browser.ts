/**
 * Starting the worker team's supervisor in a browser: a Web Worker running the bundled
 * web-worker.mjs (inlined as text, started from a Blob URL), which starts the kernel workers as
 * its own nested workers. They share the arena's WebAssembly.Memory, which a browser allows only
 * on a cross-origin isolated page (COOP/COEP headers); elsewhere the team runs on one thread.
 */
import { WEB_WORKER_SOURCE } from './web-worker.generated.js';
import type { SupervisorData, SupervisorEvents, SupervisorThread } from './threads.node.js';

export type { SupervisorData, SupervisorEvents, SupervisorThread } from './threads.node.js';

/** Why threads cannot be used here, or undefined when they can. */
export function threadsUnavailableReason(): string | undefined {
  if (typeof Worker !== 'function') return 'this context cannot start Web Workers';
  // A window's thread may not block in Atomics.wait, which a job's thread does while workers finish.
  if (typeof (globalThis as { document?: unknown }).document === 'object') {
    return "a page's main thread cannot wait for workers; run Legato in a Web Worker to use threads";
  }
  if (typeof SharedArrayBuffer !== 'function' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp), so memory cannot be shared with workers';
  }
  return undefined;
}

let scriptUrl: string | undefined;

export function startSupervisor(data: SupervisorData, on: SupervisorEvents): SupervisorThread {
  scriptUrl ??= URL.createObjectURL(new Blob([WEB_WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(scriptUrl, { name: 'legato-supervisor' });
  worker.onmessage = (e: MessageEvent) => on.message(e.data);
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    on.error(new Error(`legato supervisor worker: ${String(e.message).slice(0, 200)}`));
  };
  worker.postMessage({ role: 'supervisor', ...data, source: WEB_WORKER_SOURCE });
  return {
    postMessage: (m) => worker.postMessage(m),
    terminate: () => worker.terminate(),
    ref: () => undefined,
    unref: () => undefined,
  };
}
