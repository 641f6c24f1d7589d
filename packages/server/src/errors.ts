/**
 * Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, and the mapping from
 * everything that can go wrong while serving a request to a status code: a client's mistake is a
 * 4xx naming the field; only the server's own failures are 5xx.
 */
import type { FastifyError } from 'fastify';
import type { ZodError } from 'zod';
import { ChatTemplateError, ContextOverflowError, SamplingOptionsError } from '@legato/core';

/** The `type` field values OpenAI and vLLM use. */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'unavailable_error';

/** The JSON body of an error response. */
export interface ApiErrorBody {
  error: { message: string; type: ApiErrorType; param: string | null; code: string | null };
}

/** Longest message we send: user data echoed in an error never exceeds this. */
const MAX_MESSAGE = 300;

/** An error with the status and OpenAI fields it is answered with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ApiErrorType = status >= 500 ? 'server_error' : 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Extra response headers (Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message);
    this.name = 'ApiError';
  }

  body(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A 400 for the first problem zod found, naming the field by its path (`messages.0.content`). */
export function fromZodError(e: ZodError): ApiError {
  const issue = e.issues[0];
  const param = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  const message = issue ? (param ? `${param}: ${issue.message}` : issue.message) : 'invalid request body';
  return new ApiError(400, message, 'invalid_request_error', param, 'invalid_value');
}

const isFastifyError = (e: unknown): e is FastifyError =>
  e instanceof Error && typeof (e as FastifyError).code === 'string' && (e as FastifyError).code.startsWith('FST_');

/**
 * Any thrown value as an ApiError. Fastify's own client errors (bad JSON, body too large, wrong
 * content type) keep their 4xx status; the engine's typed option errors become 400s naming the
 * option; anything unknown is a 500 whose message does not leak internals.
 */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof ContextOverflowError) {
    return new ApiError(400, `This model's maximum context length is ${e.contextSize} tokens; the prompt has ${e.promptTokens} tokens.`, 'invalid_request_error', 'messages', 'context_length_exceeded');
  }
  if (e instanceof ChatTemplateError) return new ApiError(400, `the model's chat template refused the conversation: ${e.message}`, 'invalid_request_error', 'messages', 'invalid_chat');
  // The engine's typed option errors (InvalidOptionError carries `.option`).
  const option = (e as { option?: unknown } | null)?.option;
  if (e instanceof Error && typeof option === 'string') return new ApiError(400, e.message, 'invalid_request_error', option, 'invalid_value');
  if (e instanceof SamplingOptionsError) return new ApiError(400, e.message, 'invalid_request_error', null, 'invalid_value');
  if (isFastifyError(e)) {
    const status = e.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'request_too_large' : e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'invalid_body';
      return new ApiError(status, e.message, 'invalid_request_error', null, code);
    }
  }
  // JSON parse failures surface as SyntaxError with a 400 status from Fastify's parser.
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new ApiError(status, (e as Error).message ?? 'bad request');
  return new ApiError(500, 'internal server error', 'server_error', null, 'internal_error');
}
