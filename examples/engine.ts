/**
 * Several requests through one engine (continuous batching), one of them cancelled mid-stream.
 *   node --conditions=source --import tsx examples/engine.ts <model.gguf>
 * Every request settles: a cancelled one resolves with finishReason 'abort' and what it had
 * generated; bad options throw InvalidOptionError before anything is queued.
 */
import { InferenceEngine, InvalidOptionError, loadModel } from '@legato/core';

const path = process.argv[2];
if (!path) throw new Error('usage: engine.ts <model.gguf>');
using model = await loadModel(path);
using engine = new InferenceEngine(model, { maxSequences: 4, contextSize: 256 });

const prompts = ['Once upon a time', 'The little dog', 'One day, Lily', 'The sun was'];
const gens = prompts.map((p, i) => engine.submit(p, { maxTokens: 32, temperature: 0.8, seed: i }));
// Stop the last one after its first five tokens.
void (async () => {
  let n = 0;
  for await (const _t of gens[3]) if (++n === 5) gens[3].cancel();
})();
for (const [i, g] of gens.entries()) {
  const r = await g.result();
  console.log(`${i}: [${r.finishReason}] ${prompts[i]}${r.text.replace(/\n/g, ' ')} (TTFT ${r.timings.ttftMs.toFixed(1)} ms)`);
}
try {
  engine.submit('x', { maxTokens: -1 });
} catch (e) {
  if (e instanceof InvalidOptionError) console.log(`rejected: ${e.message}`);
}
