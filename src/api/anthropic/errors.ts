// Everything that can go wrong on an Anthropic route → Anthropic's error envelope
// `{"type":"error","error":{"type","message"}}` plus an HTTP status and headers.
//
// Statuses and types follow Anthropic's table: 400 invalid_request_error, 401
// authentication_error, 403 permission_error, 404 not_found_error, 413 request_too_large,
// 429 rate_limit_error, 500 api_error, 529 overloaded_error. Anthropic has no 503: a full
// queue and a model still loading are both "overloaded" (529), which Claude Code and the
// SDKs retry with backoff.

import { ApiError, ContextOverflowError, type ErrorKind } from '../../errors.js';
import { fastifyClientError } from '../../http/fastify-errors.js';
import type { AnthropicErrorBody, AnthropicErrorType } from './wire.js';

const TABLE: Record<ErrorKind, { status: number; type: AnthropicErrorType }> = {
  invalid_request: { status: 400, type: 'invalid_request_error' },
  authentication: { status: 401, type: 'authentication_error' },
  permission: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'not_found_error' },
  request_too_large: { status: 413, type: 'request_too_large' },
  rate_limit: { status: 429, type: 'rate_limit_error' },
  internal: { status: 500, type: 'api_error' },
  unavailable: { status: 529, type: 'overloaded_error' },
  overloaded: { status: 529, type: 'overloaded_error' },
};

export interface AnthropicErrorResponse {
  status: number;
  body: AnthropicErrorBody;
  headers: Record<string, string>;
  /** True for failures the server should log (5xx that are not deliberate). */
  unexpected: boolean;
}

/** Map any thrown value to an Anthropic error response. Unknown errors become a generic 500. */
export function toAnthropicError(err: unknown): AnthropicErrorResponse {
  if (err instanceof ContextOverflowError) {
    // Anthropic's exact wording: Claude Code recognises it and compacts the conversation.
    return response(400, 'invalid_request_error', `prompt is too long: ${err.promptTokens} tokens > ${err.contextSize} maximum`);
  }
  if (err instanceof ApiError) {
    const { status, type } = TABLE[err.kind];
    const mapped = response(status, type, err.message, err.kind === 'internal');
    if (err.retryAfter !== undefined) mapped.headers['retry-after'] = String(Math.max(0, Math.ceil(err.retryAfter)));
    return mapped;
  }

  const client = fastifyClientError(err);
  switch (client?.kind) {
    case 'invalid_json':
      return response(400, 'invalid_request_error', 'Invalid JSON in request body');
    case 'empty_body':
      return response(400, 'invalid_request_error', 'Request body is empty; expected a JSON object');
    case 'too_large':
      return response(413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.');
    case 'media_type':
      return response(400, 'invalid_request_error', 'Unsupported content type; send the request body as application/json');
    case 'other':
      return response(client.status, client.status === 413 ? 'request_too_large' : 'invalid_request_error', client.message);
  }
  return response(500, 'api_error', 'Internal server error', true);
}

function response(status: number, type: AnthropicErrorType, message: string, unexpected = false): AnthropicErrorResponse {
  return { status, body: anthropicErrorEnvelope(type, message), headers: {}, unexpected };
}

export function anthropicErrorEnvelope(type: AnthropicErrorType, message: string): AnthropicErrorBody {
  return { type: 'error', error: { type, message } };
}

/** The Anthropic envelope for any error (for handlers outside the Anthropic plugin, e.g. the app's 404). */
export function anthropicErrorBody(error: unknown): AnthropicErrorBody {
  return toAnthropicError(error).body;
}

/** Paths whose errors are answered in Anthropic's shape wherever they are raised. */
export function isAnthropicPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === '/v1/messages' || path.startsWith('/v1/messages/');
}
