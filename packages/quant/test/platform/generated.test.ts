/**
 * The browser build's inlined assets are the current ones: the base64 kernel modules equal
 * wasm/*.wasm byte for byte, and the inlined worker script is web-worker.mjs as bundled now.
 * Regenerate with `node packages/quant/scripts/inline-wasm.mjs` / `inline-web-worker.mjs`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_WASM_BASE64 } from '../../src/platform/wasm-inline.generated.js';
import { WEB_WORKER_SOURCE } from '../../src/platform/web-worker.generated.js';

const wasm = (name: string): Buffer => readFileSync(new URL(`../../wasm/${name}.wasm`, import.meta.url));

describe('browser assets', () => {
  it('the inlined kernel modules are wasm/kernels.wasm and wasm/kernels-relaxed.wasm', () => {
    const stale = 'src/platform/wasm-inline.generated.ts is stale: run node packages/quant/scripts/inline-wasm.mjs';
    expect(Buffer.from(KERNELS_WASM_BASE64, 'base64').equals(wasm('kernels')), stale).toBe(true);
    expect(Buffer.from(KERNELS_RELAXED_WASM_BASE64, 'base64').equals(wasm('kernels-relaxed')), stale).toBe(true);
  });

  it('the inlined worker script is src/threads/web-worker.mjs bundled now', async () => {
    // @ts-expect-error plain JavaScript build script without types
    const { webWorkerModule } = await import('../../scripts/inline-web-worker.mjs');
    const text = readFileSync(new URL('../../src/platform/web-worker.generated.ts', import.meta.url), 'utf8');
    const stale = 'src/platform/web-worker.generated.ts is stale (protocol.mjs, kernel-loop.mjs or web-worker.mjs changed): run node packages/quant/scripts/inline-web-worker.mjs';
    expect(text === (await webWorkerModule()), stale).toBe(true);
    expect(WEB_WORKER_SOURCE).toContain('serveJobs');
  });
});
