// A refused key or Host on every route answers in an API envelope: Anthropic's on /v1/messages*,
// OpenAI's elsewhere (the llama-server-style routes /metrics, /slots and /props used Fastify's
// own `{statusCode, error, message}` shape). /health and / stay open.

import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type RunningServer } from '../helpers/server.js';

const KEY = 'sk-reliability-7d1e';
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({ mock: true, apiKey: KEY });
});
afterAll(async () => {
  await server?.stop();
});

const ROUTES: [method: 'GET' | 'POST', path: string][] = [
  ['GET', '/metrics'],
  ['GET', '/slots'],
  ['GET', '/props'],
  ['GET', '/v1/models'],
  ['POST', '/v1/chat/completions'],
  ['POST', '/v1/messages'],
  ['POST', '/v1/messages/count_tokens'],
];

const KEY_MESSAGE = 'Invalid or missing API key. Send it as "Authorization: Bearer <key>" or "x-api-key: <key>".';

function envelope(path: string, status: 401 | 403, message: string): unknown {
  if (path.startsWith('/v1/messages')) return { type: 'error', error: { type: status === 401 ? 'authentication_error' : 'permission_error', message } };
  return { error: { message, type: status === 401 ? 'invalid_request_error' : 'permission_error', param: null, code: status === 401 ? 'invalid_api_key' : null } };
}

/** Through node:http, which sends the Host header given (fetch replaces it). */
function call(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const sent = request(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, json: JSON.parse(body) as unknown }));
    });
    sent.on('error', reject);
    sent.end(method === 'POST' ? '{}' : undefined);
  });
}

describe.each(ROUTES)('%s %s', (method, path) => {
  it('without the key: 401 in its API envelope', async () => {
    expect(await call(method, path)).toEqual({ status: 401, json: envelope(path, 401, KEY_MESSAGE) });
  });

  it('with the key in the query string only: 401 as well', async () => {
    expect((await call(method, `${path}?key=${KEY}`)).status).toBe(401);
  });

  it('from a foreign Host (DNS rebinding): 403 in its API envelope, even with the key', async () => {
    const refused = await call(method, path, { host: 'evil.example', 'x-api-key': KEY });
    expect(refused).toEqual({ status: 403, json: envelope(path, 403, 'Host "evil.example" is not allowed: this server only answers to loopback names.') });
  });
});

describe('open routes', () => {
  it('/health and / answer without a key', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/`)).status).toBe(200);
  });

  it('CORS is off by default: a page on another origin gets no Access-Control-Allow-Origin, preflight or not', async () => {
    const preflight = await fetch(`${server.url}/v1/messages`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key,content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${server.url}/health`, { headers: { origin: 'https://evil.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('/props answers with the key', async () => {
    expect((await call('GET', '/props', { authorization: `Bearer ${KEY}` })).status).toBe(200);
  });
});
