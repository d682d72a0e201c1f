import { describe, expect, it } from 'vitest';
import { ApiError, ContextOverflowError } from '../../errors.js';
import { openaiErrorBody, toOpenAIError } from './errors.js';

describe('toOpenAIError', () => {
  it('maps ApiError kinds to status and OpenAI error types', () => {
    const cases: Array<[ApiError, number, string, string | null]> = [
      [new ApiError('invalid_request', 'bad'), 400, 'invalid_request_error', null],
      [new ApiError('authentication', 'key'), 401, 'invalid_request_error', 'invalid_api_key'],
      [new ApiError('permission', 'no'), 403, 'permission_error', null],
      [new ApiError('not_found', 'gone', { code: 'model_not_found' }), 404, 'invalid_request_error', 'model_not_found'],
      [new ApiError('request_too_large', 'big'), 413, 'invalid_request_error', null],
      [new ApiError('rate_limit', 'slow'), 429, 'rate_limit_error', 'rate_limit_exceeded'],
      [new ApiError('internal', 'oops'), 500, 'server_error', null],
      [new ApiError('unavailable', 'loading'), 503, 'service_unavailable_error', null],
      [new ApiError('overloaded', 'busy'), 503, 'server_error', null],
    ];
    for (const [err, status, type, code] of cases) {
      const mapped = toOpenAIError(err);
      expect(mapped.status).toBe(status);
      expect(mapped.body).toEqual({ error: { message: err.message, type, param: null, code } });
    }
  });

  it('carries param, code and Retry-After', () => {
    const mapped = toOpenAIError(new ApiError('overloaded', 'Queue full', { retryAfter: 2.2, code: 'queue_full', param: 'x' }));
    expect(mapped.body.error).toEqual({ message: 'Queue full', type: 'server_error', param: 'x', code: 'queue_full' });
    expect(mapped.headers).toEqual({ 'retry-after': '3' });
    expect(toOpenAIError(new ApiError('invalid_request', 'x')).headers).toEqual({});
  });

  it('words a context overflow the way OpenAI does', () => {
    const mapped = toOpenAIError(new ContextOverflowError(9000, 8192));
    expect(mapped.status).toBe(400);
    expect(mapped.body.error).toEqual({
      message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    });
  });

  it('maps Fastify body errors', () => {
    const fst = (code: string, statusCode: number, message = 'm') => Object.assign(new Error(message), { code, statusCode });
    expect(toOpenAIError(fst('FST_ERR_CTP_INVALID_JSON_BODY', 400)).status).toBe(400);
    expect(toOpenAIError(fst('FST_ERR_CTP_INVALID_JSON_BODY', 400)).body.error.message).toMatch(/Invalid JSON/);
    expect(toOpenAIError(fst('FST_ERR_CTP_EMPTY_JSON_BODY', 400)).status).toBe(400);
    expect(toOpenAIError(fst('FST_ERR_CTP_BODY_TOO_LARGE', 413)).status).toBe(413);
    expect(toOpenAIError(fst('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).status).toBe(415);
    expect(toOpenAIError(fst('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'length mismatch')).body.error).toEqual({
      message: 'length mismatch',
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
    expect(toOpenAIError(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 })).status).toBe(400);
  });

  it('hides anything else behind a generic 500', () => {
    const mapped = toOpenAIError(new Error('secret internals at /home/x'));
    expect(mapped.status).toBe(500);
    expect(mapped.unexpected).toBe(true);
    expect(mapped.body.error).toEqual({ message: 'Internal server error', type: 'server_error', param: null, code: null });
    expect(toOpenAIError('a string').status).toBe(500);
    expect(toOpenAIError(Object.assign(new Error('x'), { statusCode: 400 })).status).toBe(500);
  });

  it('openaiErrorBody gives the envelope', () => {
    expect(openaiErrorBody(new ApiError('not_found', 'Not found: GET /x'))).toEqual({
      error: { message: 'Not found: GET /x', type: 'invalid_request_error', param: null, code: null },
    });
  });
});
