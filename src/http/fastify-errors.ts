// Fastify's own client errors (bad JSON, empty body, body too large, wrong content type, …),
// recognised once; each API answers them in its own envelope and words. And the one error
// handler shape every route plugin installs with its API's error table.

import type { FastifyReply, FastifyRequest } from 'fastify';

export type FastifyClientErrorKind = 'invalid_json' | 'empty_body' | 'too_large' | 'media_type' | 'other';

export interface FastifyClientError {
  kind: FastifyClientErrorKind;
  /** Fastify's status for it (meaningful for `other`). */
  status: number;
  /** Fastify's message (safe to show for its client errors). */
  message: string;
}

/** The Fastify client error `err` is, or undefined for anything else (our bugs included). */
export function fastifyClientError(err: unknown): FastifyClientError | undefined {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; statusCode?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const status = typeof e.statusCode === 'number' ? e.statusCode : 400;
  const message = typeof e.message === 'string' ? e.message : 'Bad request';
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { kind: 'invalid_json', status: 400, message };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { kind: 'empty_body', status: 400, message };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { kind: 'too_large', status: 413, message };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { kind: 'media_type', status: 415, message };
  }
  // A JSON parser error (SyntaxError) that the body parser already marked as 400.
  if (err instanceof SyntaxError && e.statusCode === 400) return { kind: 'invalid_json', status: 400, message };
  // Other client errors raised by Fastify itself (bad content length, …).
  if (code?.startsWith('FST_') && typeof e.statusCode === 'number' && status >= 400 && status < 500) return { kind: 'other', status, message };
  return undefined;
}

/** An error as one API answers it: what each API's error table (errors.ts in its folder) returns. */
export interface MappedError {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** True for failures the server should log (5xx that are not deliberate). */
  unexpected: boolean;
}

/**
 * A Fastify error handler that answers in one API's envelope: `map` is that API's error table
 * (chosen per request where one handler serves both APIs). Logs unexpected failures with
 * `failure` as the message, and leaves a response that has already started alone.
 */
export function errorHandlerFor(map: (err: unknown, url: string) => MappedError, failure: string) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const mapped = map(err, request.url);
    if (mapped.unexpected) request.log.error({ err }, failure);
    if (reply.sent || reply.raw.headersSent) return;
    void reply.code(mapped.status).headers(mapped.headers).send(mapped.body);
  };
}
