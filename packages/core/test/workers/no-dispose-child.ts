// Run as a child process by no-dispose.test.ts: loads a model on the default WASM backend with two
// threads, generates, and never calls model.dispose(). It must still exit once its work is done:
// idle kernel workers may not hold the event loop.
import { loadModel } from '@legato/core';
import { modelPath } from '../../../../testing/models.js';

const model = await loadModel(modelPath('stories260K.gguf'), { threads: 2 });
const ctx = model.createContext({ contextSize: 256 });
const { text } = await ctx.generate('Once upon a time', { maxTokens: 8, temperature: 0 }).result();
console.log(`ok ${text.length > 0}`);
