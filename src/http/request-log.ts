// Fastify's own request log lines, with the URL cleaned first: a client that passes its key in
// the query string (`/v1/models?key=sk-…`) had it written to the log verbatim (issue 15).
// Fastify's LogController is its documented way to change those lines; the ones that show the
// request (incoming request, route not found, a 5xx from the default error handler) get a
// redacted copy of it, the rest stay Fastify's.

import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

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

export class RedactingLogController extends LogController {
  private readonly secrets: string[];

  constructor(secrets: readonly (string | undefined)[]) {
    super();
    this.secrets = secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
  }

  /** The fields Fastify's `req` serializer logs, with the URL redacted. */
  private describe(request: FastifyRequest) {
    return { method: request.method, url: redactUrl(request.url, this.secrets), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort };
  }

  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.info({ req: this.describe(request) }, 'incoming request');
  }

  override routeNotFound(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.info(`Route ${request.method}:${redactUrl(request.url, this.secrets)} not found`);
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (reply.statusCode >= 500) reply.log.error({ req: this.describe(request), res: reply, err: error }, error?.message);
    else reply.log.info({ res: reply, err: error }, error?.message);
  }
}
