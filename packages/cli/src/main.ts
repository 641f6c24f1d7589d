/**
 * `legato` — run, inspect and measure GGUF models in pure TypeScript.
 * One file per subcommand under commands/, each imported only when it runs, so `legato --help`
 * loads no model code. Every user mistake is one line on stderr: exit code 2 for a wrong call
 * (UsageError), 1 for input that cannot be used (a missing file, a corrupt model).
 */
import { clip, InputError, UsageError } from './usage.js';

type Command = (argv: string[]) => Promise<void>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: { summary: 'generate text from a prompt', load: async () => (await import('./commands/run.js')).run },
  chat: { summary: "chat in the terminal with the model's chat template (history, /reset, /system, Ctrl-C stops a reply)", load: async () => (await import('./commands/chat.js')).chat },
  tokenize: { summary: 'print token ids of a text', load: async () => (await import('./commands/tokenize.js')).tokenize },
  'chat-template': { summary: "print the prompt a model's chat template makes of a conversation", load: async () => (await import('./commands/chat-template.js')).chatTemplate },
  inspect: { summary: 'print metadata and the tensor table', load: async () => (await import('./commands/inspect.js')).inspect },
  eval: { summary: 'teacher-forced logits of token ids', load: async () => (await import('./commands/eval.js')).evalCommand },
  perplexity: { summary: 'perplexity of a text file, as llama-perplexity computes it', load: async () => (await import('./commands/perplexity.js')).perplexity },
  synth: { summary: 'write a random-weight model in a real model\'s shape', load: async () => (await import('./commands/synth.js')).synth },
  quantize: { summary: 'quantize a model to Q8_0, Q4_0, Q4_K_M, … as llama-quantize does', load: async () => (await import('./commands/quantize.js')).quantize },
  demo: { summary: 'a sample from a trained model, then the quick GC-stutter experiment (the README main job)', load: async () => (await import('./commands/demo.js')).demo },
  lab: { summary: 'experiments: lab stutter (KV-cache and V8 GC vs inter-token latency)', load: async () => (await import('./commands/lab.js')).lab },
  bench: { summary: "llama-bench's pp/tg tests; bench serve: a serving load with goodput", load: async () => (await import('./commands/bench.js')).bench },
  serve: { summary: 'an OpenAI-compatible server with continuous batching, /metrics and a live /dashboard', load: async () => (await import('./commands/serve.js')).serve },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const rows = Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(width)} ${v.summary}`);
  return `usage: legato <command> [options]\n\ncommands:\n${rows.join('\n')}\n\nRun "legato <command> --help" for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    process.stderr.write(`${help()}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return 0;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  const label = cmd ? `legato ${name}` : name.startsWith('-') ? 'legato' : `legato ${clip(name)}`;
  try {
    if (!cmd) {
      const what = name.startsWith('-') ? `unknown option ${clip(name)}` : `unknown command "${clip(name)}"`;
      throw new UsageError(`${what} (commands: ${Object.keys(COMMANDS).join(', ')}; see legato --help)`);
    }
    await (await cmd.load())(rest);
    return 0;
  } catch (e) {
    process.stderr.write(`${label}: ${await describeError(e)}\n`);
    if (process.env.LEGATO_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

/** User-facing errors are known types; anything else is still one line, with a hint for the stack. */
async function describeError(e: unknown): Promise<string> {
  if (e instanceof UsageError || e instanceof InputError) return e.message;
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return e.message;
    if (await isGGUFError(e)) return e.message;
    return `${e.message}${process.env.LEGATO_DEBUG ? '' : ' (set LEGATO_DEBUG=1 for details)'}`;
  }
  return String(e);
}

/** Only a command that read a model throws a GGUFError, and it has loaded core already. */
async function isGGUFError(e: Error): Promise<boolean> {
  try {
    const { GGUFError } = await import('@legato/core');
    return e instanceof GGUFError;
  } catch {
    return false; // core itself failed to load: that failure is the message
  }
}
