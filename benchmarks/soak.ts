/**
 * `pnpm soak`: the engine soak (see packages/bench/src/soak.ts) on a trained tiny model, printed.
 *   node --conditions=source --import tsx benchmarks/soak.ts [--requests 10000] [--model m.gguf]
 *        [--threads n] [--verify 200] [--seed 1] [--json]
 * Exits 1 when any guarantee failed (a leaked block, an unsettled or failed generation, an invalid
 * request accepted, RSS growth ≥ 5 %, a batched text differing from the same seed run alone).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModel } from '@legato/core';
import { formatSoak, runSoak } from '@legato/bench';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    model: { type: 'string' },
    threads: { type: 'string' },
    verify: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const modelFile = values.model ?? resolve(process.env.LEGATO_TEST_MODELS ?? resolve(root, '../shared/models'), 'stories260K.gguf');
const model = await loadModel(modelFile, { threads: values.threads ? Number(values.threads) : undefined });
const requests = Number(values.requests);
const r = await runSoak(model, {
  requests,
  verify: Number(values.verify),
  seed: Number(values.seed),
  onProgress: (done, total) => process.stderr.write(`\r${done}/${total}`),
});
process.stderr.write('\n');
model.dispose();
console.log(values.json ? JSON.stringify(r) : `soak on ${modelFile} (${model.backend.name})\n${formatSoak(r)}`);
const ok = r.kvBlocksLeaked === 0 && r.kvSequencesLeaked === 0 && r.kvAuditPassed && r.failed === 0 && r.unsettled === 0 && r.invalidAccepted === 0 && r.rssGrowth < 0.05 && r.mismatches === 0;
if (!ok) {
  console.error('soak: a guarantee failed');
  process.exitCode = 1;
}
