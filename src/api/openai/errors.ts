// Everything that can go wrong on an OpenAI route → OpenAI's error envelope
// `{error: {message, type, param, code}}` plus an HTTP status and headers.
//
// Error types follow what api.openai.com actually sends where that is known: 400, 401, 404
// and 413 are all `invalid_request_error` (a wrong key is `invalid_request_error` with code
// `invalid_api_key`; an unknown model is `invalid_request_error` with code `model_not_found`),
// 500 and "overloaded" 503 are `server_error`. The SDKs pick their exception class from the
// HTTP status, never from `type`.

import { ApiError, ContextOverflowError, type ErrorKind } from '../../errors.js';
import { fastifyClientError } from '../../http/fastify-errors.js';
import type { OpenAIErrorBody } from './wire.js';

const TYPE: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'invalid_request_error',
  permission: 'permission_error',
  not_found: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  rate_limit: 'rate_limit_error',
  internal: 'server_error',
  unavailable: 'service_unavailable_error',
  overloaded: 'server_error',
};

/** Used when the ApiError carries no code of its own. */
const DEFAULT_CODE: Partial<Record<ErrorKind, string>> = {
  authentication: 'invalid_api_key',
  rate_limit: 'rate_limit_exceeded',
};

export interface OpenAIErrorResponse {
  status: number;
  body: OpenAIErrorBody;
  headers: Record<string, string>;
  /** True for failures the server should log (5xx that are not deliberate). */
  unexpected: boolean;
}

/** Map any thrown value to an OpenAI error response. Unknown errors become a generic 500. */
export function toOpenAIError(err: unknown): OpenAIErrorResponse {
  if (err instanceof ContextOverflowError) {
    // OpenAI's own wording: client libraries (LangChain, LiteLLM, …) detect overflow by it.
    return {
      status: err.status,
      body: envelope(
        `This model's maximum context length is ${err.contextSize} tokens. However, your messages resulted in ${err.promptTokens} tokens. Please reduce the length of the messages.`,
        'invalid_request_error',
        err.param ?? 'messages',
        err.code ?? 'context_length_exceeded',
      ),
      headers: {},
      unexpected: false,
    };
  }
  if (err instanceof ApiError) {
    const headers: Record<string, string> = {};
    if (err.retryAfter !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(err.retryAfter)));
    return {
      status: err.status,
      body: envelope(err.message, TYPE[err.kind], err.param ?? null, err.code ?? DEFAULT_CODE[err.kind] ?? null),
      headers,
      unexpected: err.kind === 'internal',
    };
  }

  const client = fastifyClientError(err);
  switch (client?.kind) {
    case 'invalid_json':
      return clientError(400, 'Invalid JSON in request body');
    case 'empty_body':
      return clientError(400, 'Request body is empty; expected a JSON object');
    case 'too_large':
      return clientError(413, 'Request body is too large', 'request_too_large');
    case 'media_type':
      return clientError(415, 'Unsupported content type; send the request body as application/json');
    case 'other':
      return clientError(client.status, client.message);
  }
  return {
    status: 500,
    body: envelope('Internal server error', 'server_error', null, null),
    headers: {},
    unexpected: true,
  };
}

function clientError(status: number, message: string, code: string | null = null): OpenAIErrorResponse {
  return { status, body: envelope(message, 'invalid_request_error', null, code), headers: {}, unexpected: false };
}

function envelope(message: string, type: string, param: string | null, code: string | null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** The OpenAI envelope for an ApiError (for handlers outside the OpenAI plugin, e.g. the app's 404). */
export function openaiErrorBody(error: ApiError): OpenAIErrorBody {
  return toOpenAIError(error).body;
}
