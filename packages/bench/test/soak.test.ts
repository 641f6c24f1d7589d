/**
 * The short soak: a few hundred requests with random lengths, aborts at every moment and invalid
 * options through one engine with a pool small enough to preempt. Nothing may leak or hang, and the
 * completed requests must equal the same seeds run alone. (`pnpm soak` is the long run.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LlamaModel } from '@legato/core';
import { runSoak } from '../src/soak.js';
import { modelPath } from '../../../testing/models.js';

let model: LlamaModel;
beforeAll(async () => {
  model = await loadModel(modelPath('stories260K.gguf'), { threads: 2 });
});
afterAll(() => model.dispose());

describe('engine soak', () => {
  it('400 requests, 30 % aborted at random moments, 5 % invalid: nothing leaked, every generation settled, texts equal solo runs', async () => {
    const r = await runSoak(model, { requests: 400, verify: 40, seed: 7 });
    expect(r.unsettled).toBe(0);
    expect(r.failed).toBe(0);
    expect(r.invalidAccepted).toBe(0);
    expect(r.invalidRejected).toBeGreaterThan(5);
    expect(r.aborted.queued).toBeGreaterThan(10);
    expect(r.aborted.prefill).toBeGreaterThan(10);
    expect(r.aborted.decode).toBeGreaterThan(10);
    expect(r.abortedResults).toBeGreaterThan(30);
    expect(r.kvBlocksLeaked).toBe(0);
    expect(r.kvSequencesLeaked).toBe(0);
    expect(r.kvAuditPassed).toBe(true);
    expect(r.preemptions).toBeGreaterThan(0);
    expect(r.verified).toBe(40);
    expect(r.mismatches).toBe(0);
  });
});
