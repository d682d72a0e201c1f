import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ChatPipeline } from '../chat/pipeline.js';
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE } from '../chat/template.js';
import { MockEngine } from '../engine/mock-engine.js';
import { silentLogger } from '../log.js';
import { createApp, ServerState, type AppOptions } from './app.js';

let app: FastifyInstance | undefined;

async function build(options: Partial<AppOptions> = {}, ready = true) {
  const state = new ServerState();
  if (ready) {
    const engine = new MockEngine();
    state.ready(new ChatPipeline({ engine, template: new ChatTemplate(DEFAULT_CHAT_TEMPLATE, {}), logger: silentLogger, family: 'generic', reasoningFormat: 'auto' }));
  }
  app = await createApp({ state, host: '127.0.0.1', logger: false, ...options });
  return app;
}

const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const local = { host: '127.0.0.1:8000' };

afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('http app', () => {
  it('answers /health with 503 while the model loads and the API with a retryable 503', async () => {
    const server = await build({}, false);
    expect((await server.inject({ url: '/health', headers: local })).statusCode).toBe(503);
    const response = await server.inject({ method: 'POST', url: '/v1/chat/completions', headers: local, payload: chat });
    expect(response.statusCode).toBe(503);
    expect(response.json().error.message).toContain('loading');
  });

  it('answers the client probes and /health when ready', async () => {
    const server = await build();
    expect((await server.inject({ method: 'HEAD', url: '/', headers: local })).statusCode).toBe(200);
    expect((await server.inject({ url: '/health', headers: local })).json()).toEqual({ status: 'ok' });
  });

  it('requires the API key on the API but not on /health', async () => {
    const server = await build({ apiKey: 'secret' });
    const denied = await server.inject({ method: 'POST', url: '/v1/chat/completions', headers: local, payload: chat });
    expect(denied.statusCode).toBe(401);
    // OpenAI's real 401: invalid_request_error with code invalid_api_key.
    expect(denied.json().error.code).toBe('invalid_api_key');
    const bearer = await server.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...local, authorization: 'Bearer secret' }, payload: chat });
    expect(bearer.statusCode).toBe(200);
    const xApiKey = await server.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...local, 'x-api-key': 'secret' }, payload: chat });
    expect(xApiKey.statusCode).toBe(200);
    expect((await server.inject({ url: '/health', headers: local })).statusCode).toBe(200);
  });

  it('rejects a foreign Host header while bound to loopback (DNS rebinding)', async () => {
    const server = await build();
    const response = await server.inject({ method: 'POST', url: '/v1/chat/completions', headers: { host: 'attacker.example:8000' }, payload: chat });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.message).toContain('attacker.example');
  });

  it('keeps CORS off unless configured', async () => {
    const closed = await build();
    const preflight = { method: 'OPTIONS' as const, url: '/v1/chat/completions', headers: { ...local, origin: 'http://app.example', 'access-control-request-method': 'POST' } };
    expect((await closed.inject(preflight)).headers['access-control-allow-origin']).toBeUndefined();
    await closed.close();
    const open = await build({ corsOrigins: ['http://app.example'] });
    expect((await open.inject(preflight)).headers['access-control-allow-origin']).toBe('http://app.example');
  });

  it('answers a body over the limit with 413 and unknown paths with 404, in the OpenAI envelope', async () => {
    const server = await build({ bodyLimit: 1024 });
    const big = { ...chat, messages: [{ role: 'user', content: 'x'.repeat(4096) }] };
    const tooLarge = await server.inject({ method: 'POST', url: '/v1/chat/completions', headers: local, payload: big });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error.message).toBeTruthy();
    const missing = await server.inject({ url: '/v2/nothing', headers: local });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toContain('/v2/nothing');
  });
});
