/**
 * A two-turn conversation with the model's chat template; the second turn reuses the first
 * turn's KV from the prefix cache.
 *   node --conditions=source --import tsx examples/chat.ts <model.gguf>
 */
import { ChatSession, loadModel } from '@legato/core';

const path = process.argv[2];
if (!path) throw new Error('usage: chat.ts <model.gguf>');
using model = await loadModel(path);
const chat = new ChatSession(model.createContext({ contextSize: 1024 }), { system: 'You are a storyteller.' });
for (const question of ['Tell me a story about a dog.', 'And what happened next?']) {
  console.log(`> ${question}`);
  const reply = chat.prompt(question, { maxTokens: 48, temperature: 0.7, seed: 1 });
  for await (const t of reply) process.stdout.write(t.text);
  const r = await reply.result();
  console.log(`\n[${r.promptIds.length} prompt tokens, ${r.cachedPromptTokens} from the prefix cache; ${r.finishReason}]`);
}
