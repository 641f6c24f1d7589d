/**
 * One side of the peer benchmark, in its own process so its peak RSS is its own:
 *   peer-runner.ts <legato|llamacpp> <model.gguf> <tests, e.g. pp128,pp512,tg128> <threads> <reps>
 * <threads> may be `default` for Legato: loadModel without a thread count, as an app calls it.
 * Prints one JSON line: { results: { [test]: number[] (tokens/s per rep) }, maxRssMb }.
 * Tests follow llama-bench: ppN prefills N tokens into an empty cache; tgN generates N tokens
 * one at a time after a single BOS token; neither counts tokenization or sampling choices.
 */
import { loadModel } from '@legato/core';

const [engine, modelPath, testsArg, threadsArg, repsArg] = process.argv.slice(2);
const tests = testsArg.split(',');
const threads = threadsArg === 'default' ? undefined : Number(threadsArg);
const reps = Number(repsArg);

function promptOf(n: number, vocab: number, bos: number): number[] {
  // Deterministic ordinary tokens (not control/byte tokens) after BOS.
  return [bos, ...Array.from({ length: n - 1 }, (_, i) => 300 + ((i * 7919) % Math.min(20000, vocab - 300)))];
}

async function legato(): Promise<Record<string, number[]>> {
  const model = await loadModel(modelPath, { threads });
  const out: Record<string, number[]> = {};
  try {
    const bos = model.tokenizer.bos ?? 1;
    for (const test of tests) {
      const n = Number(test.slice(2));
      const maxCtx = Math.max(n + 8, 256);
      const ctx = model.createContext({ contextSize: maxCtx, batchSize: Math.min(512, maxCtx), prefixCaching: false });
      const runOnce = async (): Promise<number> => {
        if (test.startsWith('pp')) {
          const r = await ctx.generate(promptOf(n, model.config.vocabSize, bos), { maxTokens: 1, temperature: 0 }).result();
          return (n * 1000) / r.timings.prefillMs;
        }
        const r = await ctx.generate([bos], { maxTokens: n + 1, temperature: 0, ignoreEos: true }).result();
        // n gaps after the first generated token: the decode rate.
        const t = r.timings.tokenTimes;
        return (n * 1000) / (t[n] - t[0]);
      };
      await runOnce(); // warm-up, as llama-bench does
      out[test] = [];
      for (let i = 0; i < reps; i++) out[test].push(await runOnce());
      ctx.dispose();
    }
  } finally {
    model.dispose();
  }
  return out;
}

async function llamacpp(): Promise<Record<string, number[]>> {
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const model = await llama.loadModel({ modelPath });
  const out: Record<string, number[]> = {};
  const bos = Number(model.tokens.bos ?? 1);
  for (const test of tests) {
    const n = Number(test.slice(2));
    const ctx = await model.createContext({ contextSize: Math.max(n + 8, 256), threads, batchSize: 512 });
    const runOnce = async (): Promise<number> => {
      const seq = ctx.getSequence();
      try {
        if (test.startsWith('pp')) {
          const ids = promptOf(n, model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 32000, bos);
          const t0 = performance.now();
          await seq.evaluateWithoutGeneratingNewTokens(ids as never);
          return (n * 1000) / (performance.now() - t0);
        }
        let count = 0;
        let t0 = 0;
        for await (const _t of seq.evaluate([bos] as never, { temperature: 0 })) {
          if (count === 0) t0 = performance.now();
          if (++count > n) break;
        }
        return (n * 1000) / (performance.now() - t0);
      } finally {
        seq.dispose();
      }
    };
    await runOnce();
    out[test] = [];
    for (let i = 0; i < reps; i++) out[test].push(await runOnce());
    await ctx.dispose();
  }
  await model.dispose();
  await llama.dispose();
  return out;
}

const results = engine === 'legato' ? await legato() : await llamacpp();
process.stdout.write(`${JSON.stringify({ results, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
