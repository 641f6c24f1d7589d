/**
 * The Fastify application: routes, API-key check, CORS, and one error handler that answers every
 * failure in OpenAI's shape. Fastify gives the body limit (413), the JSON parser's errors (400)
 * and content-type checks (415) for free; the handlers validate fields with zod.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { registerDashboard, type DashboardFeed } from './dashboard.js';
import { ApiError, toApiError } from './errors.js';
import { handleCompletion, parseBody, type ServingContext } from './openai.js';
import { detokenizeRequest, tokenizeRequest } from './schemas.js';

/** Where the server stands: the model loads after the port is open, so /health can say 503. */
export interface ServerState {
  status: 'loading' | 'ready' | 'draining' | 'failed';
  serving?: ServingContext;
  dashboard?: DashboardFeed;
  /** Why loading failed. */
  error?: string;
}

export interface AppOptions {
  /** Requests must carry `Authorization: Bearer <apiKey>` on /v1/*, /tokenize and /detokenize. */
  apiKey?: string;
  /** Allowed CORS origin (`*` for any); CORS is off without it. */
  cors?: string;
  /** Largest request body in bytes (413 above). Default 4 MiB. */
  bodyLimit?: number;
  /** Fastify's logger (pino). Default off. */
  logger?: boolean;
}

const PROTECTED = /^\/(v1\/|tokenize|detokenize)/;

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** The serving context, or a 503 saying why there is none. */
function serving(state: ServerState): ServingContext {
  if (state.status === 'ready' && state.serving) return state.serving;
  if (state.status === 'loading') throw new ApiError(503, 'Loading model', 'unavailable_error', null, 'model_loading');
  if (state.status === 'draining') throw new ApiError(503, 'the server is shutting down', 'unavailable_error', null, 'shutting_down');
  throw new ApiError(503, `the model failed to load: ${state.error ?? 'unknown error'}`, 'unavailable_error', null, 'model_load_failed');
}

/** Builds the application over `state` (not listening yet). */
export async function buildApp(state: ServerState, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: opts.bodyLimit ?? 4 * 1024 * 1024, return503OnClosing: true });

  app.setErrorHandler((err, req, reply) => {
    const e = toApiError(err);
    if (e.status >= 500 && e.code === 'internal_error') req.log.error(err);
    return reply.code(e.status).headers(e.headers).send(e.body());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError(404, `no route for ${req.method} ${req.url.slice(0, 120)}`, 'not_found_error', null, 'not_found');
    return reply.code(404).send(e.body());
  });

  if (opts.cors) await app.register(cors, { origin: opts.cors === '*' ? true : opts.cors });

  if (opts.apiKey) {
    const expected = sha256(`Bearer ${opts.apiKey}`);
    app.addHook('onRequest', async (req: FastifyRequest) => {
      if (req.method === 'OPTIONS' || !PROTECTED.test(req.url)) return;
      const got = req.headers.authorization;
      if (typeof got !== 'string' || !timingSafeEqual(sha256(got), expected)) {
        throw new ApiError(401, 'Incorrect or missing API key (send Authorization: Bearer <key>).', 'authentication_error', null, 'invalid_api_key', { 'www-authenticate': 'Bearer' });
      }
    });
  }

  app.get('/health', async (_req, reply: FastifyReply) => {
    try {
      serving(state);
      return { status: 'ok' };
    } catch (e) {
      return reply.code(503).send(toApiError(e).body());
    }
  });

  app.get('/v1/models', async () => {
    const s = serving(state);
    return {
      object: 'list',
      data: [{ id: s.modelName, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'legato', root: s.modelPath, max_model_len: s.engine.contextSize }],
    };
  });

  app.post('/v1/completions', (req, reply) => handleCompletion(serving(state), 'text', req, reply));
  app.post('/v1/chat/completions', (req, reply) => handleCompletion(serving(state), 'chat', req, reply));

  app.post('/tokenize', async (req) => {
    const s = serving(state);
    const b = parseBody(tokenizeRequest, req.body);
    const ids = s.model.tokenize(b.content, { addSpecial: b.add_special ?? false, parseSpecial: b.parse_special ?? true });
    if (!b.with_pieces) return { tokens: ids };
    return { tokens: ids.map((id) => ({ id, piece: Buffer.from(s.model.tokenizer.tokenToPiece(id)).toString('utf8') })) };
  });

  app.post('/detokenize', async (req) => {
    const s = serving(state);
    const b = parseBody(detokenizeRequest, req.body);
    const V = s.model.config.vocabSize;
    const i = b.tokens.findIndex((id) => id >= V);
    if (i >= 0) throw new ApiError(400, `tokens.${i}: token id ${b.tokens[i]} is outside the vocabulary (0..${V - 1})`, 'invalid_request_error', `tokens.${i}`, 'invalid_value');
    return { content: s.model.detokenize(b.tokens) };
  });

  app.get('/metrics', async (_req, reply) => {
    const s = serving(state);
    return reply.header('content-type', s.metrics.contentType).send(await s.metrics.text());
  });

  registerDashboard(app, () => state.dashboard);
  return app;
}
