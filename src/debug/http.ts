// Hooks `--debug` traces into the HTTP server: every API request (POST under /v1/) gets a
// trace started with the request as received, and the response is captured byte for byte as
// it is written (JSON bodies and SSE streams alike), so 4-response.json is what the client got.

import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { DebugTraces, RequestTrace } from './trace.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set under `--debug` for API requests. */
    trace?: RequestTrace;
  }
}

export function installDebugTraces(app: FastifyInstance, traces: DebugTraces): void {
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || !request.url.startsWith('/v1/')) return;
    const trace = traces.start({ requestId: request.id, method: request.method, url: request.url, headers: request.headers, body: request.body });
    request.trace = trace;
    captureResponse(reply.raw, trace);
    request.log.debug({ trace: trace.folder }, 'debug trace');
  });
}

function captureResponse(res: ServerResponse, trace: RequestTrace): void {
  let headers: Record<string, unknown> = {};
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    const given = args.find((arg, index) => index > 0 && typeof arg === 'object' && arg !== null && !Array.isArray(arg));
    if (given) headers = { ...headers, ...lowerKeys(given as Record<string, unknown>) };
    return writeHead(...args);
  }) as ServerResponse['writeHead'];
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    record(chunk);
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') record(chunk);
    return end(chunk, ...rest);
  }) as ServerResponse['end'];
  res.once('close', () => {
    trace.responseHead(res.statusCode, { ...lowerKeys(res.getHeaders()), ...headers });
    trace.finish();
  });

  function record(chunk: unknown): void {
    if (typeof chunk === 'string') trace.responseChunk(chunk);
    else if (chunk instanceof Uint8Array) trace.responseChunk(Buffer.from(chunk).toString('utf8'));
  }
}

function lowerKeys(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
