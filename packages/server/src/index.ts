/**
 * @legato/server — an OpenAI-compatible HTTP server over one continuous-batching engine, with
 * Prometheus metrics in vLLM's terms and a live latency dashboard.
 *
 * @example
 * ```ts
 * import { startServer } from '@legato/server';
 * const server = await startServer({ model: 'model.gguf', port: 8080, maxSequences: 8 });
 * await server.ready;                       // the port answers /health with 503 until here
 * // POST http://127.0.0.1:8080/v1/chat/completions … ; GET /metrics ; GET /dashboard
 * await server.close();                     // graceful: drains in-flight requests
 * ```
 */
export { startServer, type ServeOptions, type LegatoServer } from './server.js';
export { buildApp, type AppOptions, type ServerState } from './app.js';
export { ApiError, toApiError, fromZodError, type ApiErrorBody, type ApiErrorType } from './errors.js';
export { ServerMetrics, buckets125, TTFT_BUCKETS, ITL_BUCKETS, REQUEST_LATENCY_BUCKETS, type FinishedRequest, type MetricsListener } from './metrics.js';
export { DashboardFeed, type DashboardSnapshot } from './dashboard.js';
export { renderChat, chatPrompt, messageText } from './chat.js';
export { SseStream } from './sse.js';
export { openaiFinishReason, SHUTDOWN, type ServingContext } from './openai.js';
export * from './schemas.js';
