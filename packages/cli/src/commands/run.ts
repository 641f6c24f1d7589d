/** `legato run <model.gguf> -p <prompt>`: stream a completion, then a TTFT / tokens-per-second summary. */
import { info, intOption, parseCommandArgs, requirePositional, UsageError } from '../usage.js';
import { backendFlag, SAMPLING_FLAGS, samplingFromFlags } from '../sampling-flags.js';
import { openModel } from '../open-model.js';
import { KV_FLAGS, kvContextOptions } from '../kv-options.js';

const USAGE = 'legato run <model.gguf> -p <prompt> [--chat [--system text]] [-n max] [--temp t] [--seed s] [--top-k k] [--top-p p] [--min-p p] [--repeat-penalty r] [--ctx n] [--kv-type f16|f32|q8_0] [--block-size 8|16|32] [--kv-memory 256MiB] [--gc off|eager|periodic[:N]|incremental[:budget]] [--no-prefix-cache] [--threads n] [--backend auto|wasm|reference] [--json]';

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('run', {
    args: argv,
    allowPositionals: true,
    options: {
      prompt: { type: 'string', short: 'p' },
      'n-predict': { type: 'string', short: 'n' },
      ...SAMPLING_FLAGS,
      ctx: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
      chat: { type: 'boolean', default: false },
      system: { type: 'string' },
      threads: { type: 'string', short: 't' },
      backend: { type: 'string' },
      ...KV_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const path = requirePositional(positionals, 0, 'model path', USAGE);
  if (values.prompt === undefined) throw new UsageError(`missing -p <prompt>; usage: ${USAGE}`);
  const maxTokens = intOption('-n', values['n-predict']) ?? 128;
  const contextSize = intOption('--ctx', values.ctx, 2);
  const sampling = samplingFromFlags(values);
  const kvOptions = kvContextOptions(values);
  const threads = intOption('--threads', values.threads, 1);
  const model = await openModel(path, { quiet: values.json, threads, backend: backendFlag(values.backend) });
  try {
    const ctx = model.createContext({ contextSize, ...kvOptions });
    if (values.system !== undefined && !values.chat) throw new UsageError('--system needs --chat');
    // --chat: the prompt is one user message, rendered with the model's chat template.
    const gen = values.chat
      ? ctx.chat([...(values.system !== undefined ? [{ role: 'system', content: values.system }] : []), { role: 'user', content: values.prompt }], { ...sampling, maxTokens })
      : ctx.generate(values.prompt, { ...sampling, maxTokens });
    for await (const t of gen) if (!values.json) process.stdout.write(t.text);
    const r = await gen.result();
    const tm = r.timings;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({
        prompt_ids: r.promptIds,
        ids: r.ids,
        text: r.text,
        finish_reason: r.finishReason,
        ttft_ms: round(tm.ttftMs),
        tokens_per_s: round(tm.decodeTokensPerSecond),
        prompt_tokens_per_s: round(tm.prefillTokensPerSecond),
        itl_ms: Array.from(tm.itlMs, round),
        cached_prompt_tokens: r.cachedPromptTokens,
        kv_cache: r.kvCache,
      })}\n`);
    } else {
      process.stdout.write('\n');
      info(`\n${r.promptIds.length} prompt tokens, ${r.ids.length} generated (${r.finishReason}); ` +
        `TTFT ${tm.ttftMs.toFixed(1)} ms, prefill ${tm.prefillTokensPerSecond.toFixed(1)} tok/s, decode ${tm.decodeTokensPerSecond.toFixed(1)} tok/s`);
    }
  } finally {
    model.dispose();
  }
}

const round = (x: number): number => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
