/**
 * `legato chat <model.gguf>`: an interactive chat in the terminal — the model's chat template,
 * streamed replies, history across turns (the prefix cache reuses the earlier turns' KV), and
 * commands: /reset, /system <text>, /stats, /exit. Ctrl-C stops the reply, not the program; a
 * second Ctrl-C at the prompt leaves. Lines piped on stdin are turns, one per line.
 */
import { createInterface } from 'node:readline';
import { info, intOption, parseCommandArgs, requirePositional } from '../usage.js';
import { backendFlag, SAMPLING_FLAGS, samplingFromFlags } from '../sampling-flags.js';
import { openModel } from '../open-model.js';
import { parseKvType } from '../kv-options.js';

const USAGE = 'legato chat <model.gguf> [--system text] [--stats] [-n max] [--temp t] [--seed s] [--top-k k] [--top-p p] [--min-p p] [--repeat-penalty r] [--ctx n] [--kv-type f16|f32|q8_0] [--threads n] [--backend auto|wasm|reference]';

const HELP = `commands: /reset (forget the conversation), /system <text> (set the system message; empty removes it), /stats (toggle TTFT and tok/s after each reply), /exit`;

export async function chat(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('chat', {
    args: argv,
    allowPositionals: true,
    options: {
      system: { type: 'string' },
      stats: { type: 'boolean', default: false },
      'n-predict': { type: 'string', short: 'n' },
      ...SAMPLING_FLAGS,
      ctx: { type: 'string', short: 'c' },
      'kv-type': { type: 'string' },
      threads: { type: 'string', short: 't' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n${HELP}\n`);
  const path = requirePositional(positionals, 0, 'model path', USAGE);
  const maxTokens = intOption('-n', values['n-predict']);
  const contextSize = intOption('--ctx', values.ctx, 2);
  const sampling = samplingFromFlags(values);
  const threads = intOption('--threads', values.threads, 1);
  const backend = backendFlag(values.backend);

  const model = await openModel(path, { threads, backend });
  const { ChatSession } = await import('@legato/core');
  const session = new ChatSession(model.createContext({ contextSize, kvType: parseKvType(values['kv-type']) }), { system: values.system });
  const interactive = process.stdin.isTTY === true;
  let stats = values.stats;
  let replying: { cancel(): void } | undefined;
  let lastInterrupt = 0;
  const rl = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive });
  const interrupt = (): void => {
    if (replying) {
      replying.cancel(); // the reply ends as an abort; the conversation keeps what was said
      return;
    }
    const now = Date.now();
    if (now - lastInterrupt < 2000 || !interactive) rl.close();
    else {
      process.stdout.write('\n(Ctrl-C again to leave)\n');
      lastInterrupt = now;
      rl.prompt();
    }
  };
  rl.on('SIGINT', interrupt);
  process.on('SIGINT', interrupt);
  if (interactive) {
    info(`chatting with ${path} — ${HELP}`);
    rl.setPrompt('> ');
    rl.prompt();
  }
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === '') {
        if (interactive) rl.prompt();
        continue;
      }
      if (line.startsWith('/')) {
        const [cmd, ...rest] = line.split(/\s+/);
        if (cmd === '/exit' || cmd === '/quit') break;
        else if (cmd === '/reset') {
          session.reset();
          info('(conversation reset)');
        } else if (cmd === '/system') {
          const text = line.slice('/system'.length).trim();
          session.setSystem(text === '' ? undefined : text);
          info(text === '' ? '(system message removed)' : '(system message set)');
        } else if (cmd === '/stats') {
          stats = !stats;
          info(`(stats ${stats ? 'on' : 'off'})`);
        } else info(`unknown command ${cmd}${rest.length ? ' …' : ''}; ${HELP}`);
        if (interactive) rl.prompt();
        continue;
      }
      const gen = session.prompt(line, { ...sampling, maxTokens });
      replying = gen;
      try {
        for await (const t of gen) process.stdout.write(t.text);
        const r = await gen.result();
        process.stdout.write('\n');
        if (r.finishReason === 'abort') info('(stopped)');
        if (stats) {
          const tm = r.timings;
          info(`[${r.promptIds.length} prompt tokens (${r.cachedPromptTokens} cached), ${r.ids.length} generated; TTFT ${tm.ttftMs.toFixed(1)} ms, ${tm.decodeTokensPerSecond.toFixed(1)} tok/s]`);
        }
      } finally {
        replying = undefined;
      }
      if (interactive) rl.prompt();
    }
  } finally {
    process.off('SIGINT', interrupt);
    rl.close();
    model.dispose();
  }
}
