import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ChatPipeline } from '../chat/pipeline.js';
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE } from '../chat/template.js';
import { MockEngine } from '../engine/mock-engine.js';
import type { ModelInfo, ModelMemory } from '../engine/types.js';
import { silentLogger } from '../log.js';
import { createApp, memoryProps, ServerState, type AppOptions } from './app.js';

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

describe('GET /props', () => {
  const gemma: ModelMemory = { slidingWindow: 512, recurrent: false, rollback: 'window', cacheStrategy: 'checkpoints', maxCheckpoints: 32, checkpointMemoryBytes: 64 * 2 ** 20 };

  /** A ready server whose engine reports `info` (the rest as the mock engine has it). */
  async function withEngineInfo(info: Partial<ModelInfo>) {
    const state = new ServerState();
    const engine = new MockEngine({ slots: 2, slotContextSize: 4096 });
    (engine as { info: ModelInfo }).info = { ...engine.info, ...info };
    state.engine = engine;
    state.ready(new ChatPipeline({ engine, template: new ChatTemplate(DEFAULT_CHAT_TEMPLATE, {}), logger: silentLogger, family: 'generic', reasoningFormat: 'auto' }));
    app = await createApp({ state, host: '127.0.0.1', logger: false });
    return (await app.inject({ url: '/props', headers: local })).json();
  }

  it('adds the architecture and the memory (snake_case) when the engine knows them, next to the fields it always had', async () => {
    expect(await withEngineInfo({ architecture: 'gemma3', memory: gemma })).toEqual({
      model: 'mock',
      n_ctx: 4096,
      default_generation_settings: { n_ctx: 4096 },
      caches: [{ name: 'default', slots: 2, n_ctx: 4096 }],
      architecture: 'gemma3',
      memory: { sliding_window: 512, recurrent: false, rollback: 'window', cache_strategy: 'checkpoints', max_checkpoints: 32, checkpoint_memory_bytes: 67108864 },
    });
  });

  it('leaves them out when the engine does not know them (the mock engine)', async () => {
    const props = await withEngineInfo({});
    expect(props).toEqual({ model: 'mock', n_ctx: 4096, default_generation_settings: { n_ctx: 4096 }, caches: [{ name: 'default', slots: 2, n_ctx: 4096 }] });
  });

  it('maps every memory field, and leaves out the ones a model does not have', () => {
    expect(memoryProps({ recurrent: false, rollback: 'any', cacheStrategy: 'full-cache' })).toEqual({ recurrent: false, rollback: 'any', cache_strategy: 'full-cache' });
    expect(memoryProps({ recurrent: true, rollback: 'checkpoints', cacheStrategy: 'checkpoints', maxCheckpoints: 8 })).toEqual({
      recurrent: true,
      rollback: 'checkpoints',
      cache_strategy: 'checkpoints',
      max_checkpoints: 8,
    });
    expect(Object.keys(memoryProps(gemma)).sort()).toEqual(['cache_strategy', 'checkpoint_memory_bytes', 'max_checkpoints', 'recurrent', 'rollback', 'sliding_window']);
  });
});
