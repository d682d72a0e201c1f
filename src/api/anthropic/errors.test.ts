import { describe, expect, it } from 'vitest';
import { ApiError, ContextOverflowError, type ErrorKind } from '../../errors.js';
import { anthropicErrorBody, isAnthropicPath, toAnthropicError } from './errors.js';

describe('toAnthropicError', () => {
  it.each<[ErrorKind, number, string]>([
    ['invalid_request', 400, 'invalid_request_error'],
    ['authentication', 401, 'authentication_error'],
    ['permission', 403, 'permission_error'],
    ['not_found', 404, 'not_found_error'],
    ['request_too_large', 413, 'request_too_large'],
    ['rate_limit', 429, 'rate_limit_error'],
    ['internal', 500, 'api_error'],
    ['unavailable', 529, 'overloaded_error'],
    ['overloaded', 529, 'overloaded_error'],
  ])('%s → %i %s', (kind, status, type) => {
    const mapped = toAnthropicError(new ApiError(kind, 'msg'));
    expect(mapped.status).toBe(status);
    expect(mapped.body).toEqual({ type: 'error', error: { type, message: 'msg' } });
    expect(mapped.unexpected).toBe(kind === 'internal');
  });

  it('words a context overflow exactly as Anthropic does', () => {
    const mapped = toAnthropicError(new ContextOverflowError(210_000, 200_000));
    expect(mapped.status).toBe(400);
    expect(mapped.body.error).toEqual({ type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' });
  });

  it('sends Retry-After', () => {
    expect(toAnthropicError(new ApiError('overloaded', 'busy', { retryAfter: 1.5 })).headers).toEqual({ 'retry-after': '2' });
  });

  it('maps Fastify body errors and hides unknown errors', () => {
    expect(toAnthropicError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }))).toMatchObject({
      status: 413,
      body: { error: { type: 'request_too_large' } },
    });
    expect(toAnthropicError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 })).status).toBe(400);
    const unknown = toAnthropicError(new Error('secret detail'));
    expect(unknown).toMatchObject({ status: 500, unexpected: true, body: { error: { type: 'api_error', message: 'Internal server error' } } });
    expect(anthropicErrorBody(new ApiError('not_found', 'nope'))).toEqual({ type: 'error', error: { type: 'not_found_error', message: 'nope' } });
  });

  it('knows the Anthropic paths', () => {
    expect(isAnthropicPath('/v1/messages?beta=true')).toBe(true);
    expect(isAnthropicPath('/v1/messages/count_tokens')).toBe(true);
    expect(isAnthropicPath('/v1/messages/batches/x')).toBe(true);
    expect(isAnthropicPath('/v1/messagesx')).toBe(false);
    expect(isAnthropicPath('/v1/chat/completions')).toBe(false);
  });
});
