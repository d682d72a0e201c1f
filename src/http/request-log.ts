// Fastify's request log lines ("incoming request", "request completed"), written by us so the
// URL can be cleaned first: a client that passes its key in the query string
// (`/v1/models?key=sk-…`) had it written to the log verbatim (issue 15).

import type { FastifyInstance } from 'fastify';

const SECRET_PARAM = /key|token|secret|password|auth|signature/i;

/** The URL with the value of every secret-looking query parameter, and of any known secret, replaced. */
export function redactUrl(url: string, secrets: readonly string[] = []): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const params = url
    .slice(query + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals === -1) return pair;
      const name = pair.slice(0, equals);
      const value = pair.slice(equals + 1);
      let decoded = value;
      try {
        decoded = decodeURIComponent(value.replaceAll('+', ' '));
      } catch {
        // Not valid percent-encoding: compare as written.
      }
      return SECRET_PARAM.test(name) || secrets.some((secret) => decoded.includes(secret) || value.includes(secret)) ? `${name}=[REDACTED]` : pair;
    });
  return `${url.slice(0, query)}?${params.join('&')}`;
}

/** Logs each request and its completion as Fastify does (same messages and fields), with the URL redacted. Pair with `disableRequestLogging`. */
export function installRequestLog(app: FastifyInstance, secrets: readonly (string | undefined)[]): void {
  const known = secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
  app.addHook('onRequest', async (request) => {
    request.log.info(
      { req: { method: request.method, url: redactUrl(request.url, known), host: request.host, remoteAddress: request.ip, remotePort: request.socket.remotePort } },
      'incoming request',
    );
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, 'request completed');
  });
}
