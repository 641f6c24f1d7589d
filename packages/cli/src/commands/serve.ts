/**
 * `legato serve <model.gguf>`: the OpenAI-compatible server (/v1/chat/completions, /v1/completions,
 * /v1/models, /health, /metrics, /tokenize, /detokenize, /dashboard) over one continuous-batching
 * engine. SIGTERM / SIGINT shut it down gracefully: stop accepting, drain, exit 0.
 */
import { startServer } from '@legato/server';
import { KV_FLAGS, kvContextOptions, parseBytes } from '../kv-options.js';
import { checkModelPath } from '../open-model.js';
import { backendFlag } from '../sampling-flags.js';
import { info, intOption, parseCommandArgs, requirePositional, UsageError } from '../usage.js';

const USAGE = 'legato serve <model.gguf> [--host 127.0.0.1] [--port 8080] [--model-name name] [--ctx-size n] [--max-num-seqs 8] ' +
  '[--max-num-batched-tokens 256] [--max-queue n] [--kv-type f16|f32|q8_0] [--block-size 8|16|32] [--kv-memory 256MiB] [--gc off|eager|periodic[:N]|incremental[:budget]] ' +
  '[--no-prefix-cache] [--threads n] [--backend auto|wasm|reference] [--api-key key] [--cors origin] [--drain-timeout 30] [--body-limit 4MiB] [--log]';

export async function serve(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('serve', {
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'model-name': { type: 'string' },
      'ctx-size': { type: 'string', short: 'c' },
      'max-num-seqs': { type: 'string' },
      'max-num-batched-tokens': { type: 'string' },
      'max-queue': { type: 'string' },
      threads: { type: 'string', short: 't' },
      backend: { type: 'string' },
      'api-key': { type: 'string' },
      cors: { type: 'string' },
      'drain-timeout': { type: 'string' },
      'body-limit': { type: 'string' },
      log: { type: 'boolean', default: false },
      ...KV_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const path = requirePositional(positionals, 0, 'model path', USAGE);
  checkModelPath(path);
  const port = intOption('--port', values.port, 0) ?? 8080;
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got "${values.port}"`);
  const backend = backendFlag(values.backend);
  const drain = values['drain-timeout'] === undefined ? 30 : Number(values['drain-timeout']);
  if (!(drain >= 0) || !Number.isFinite(drain)) throw new UsageError(`--drain-timeout must be seconds >= 0, got "${values['drain-timeout']}"`);
  const apiKey = values['api-key'] ?? process.env.LEGATO_API_KEY;
  const kv = kvContextOptions(values);

  const server = await startServer({
    model: path,
    modelName: values['model-name'],
    host: values.host ?? '127.0.0.1',
    port,
    contextSize: intOption('--ctx-size', values['ctx-size'], 2),
    maxSequences: intOption('--max-num-seqs', values['max-num-seqs'], 1),
    maxBatchTokens: intOption('--max-num-batched-tokens', values['max-num-batched-tokens'], 1),
    maxQueue: intOption('--max-queue', values['max-queue'], 0),
    threads: intOption('--threads', values.threads, 1),
    backend,
    apiKey,
    cors: values.cors,
    drainTimeoutMs: drain * 1000,
    bodyLimit: values['body-limit'] === undefined ? undefined : parseBytes('body-limit', values['body-limit']),
    logger: values.log,
    ...kv,
  });
  info(`legato serve: listening on ${server.url} (loading ${path}; /health answers 503 until it is loaded)`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    info(`legato serve: ${signal}, draining (up to ${drain} s)…`);
    server.close().then(
      () => {
        info('legato serve: stopped');
        process.exit(0);
      },
      (e: unknown) => {
        info(`legato serve: shutdown failed: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  try {
    await server.ready;
  } catch (e) {
    await server.close(); // a model that fails to load ends the command, not just the engine
    throw e;
  }
  const s = server.state.serving!;
  info(`legato serve: ready — model "${s.modelName}", context ${s.engine.contextSize}, ${s.engine.maxSequences} sequences, ` +
    `${s.engine.maxBatchTokens} tokens per step; dashboard ${server.url}/dashboard`);
  // Keep serving until a signal ends the process.
  await new Promise<never>(() => undefined);
}
