// The routes through Fastify's inject (no socket): status codes, envelopes, early stream
// opening with pings, count_tokens; and the app wiring (404s, auth, /v1/models shape).

import Fastify from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { GenerationEvent } from '../../chat/types.js';
import { ContextOverflowError } from '../../errors.js';
import { createApp, ServerState } from '../../server/app.js';
import { toCountRequest } from './request.js';
import { anthropicRoutes, type AnthropicRoutesDeps } from './routes.js';
import { parseCountTokensBody } from './schema.js';
import { events, fakeChat, normaliseIds, TEXT_EVENTS, type FakeChat, type Script } from './test-fakes.js';

const apps: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function build(script: Script, options: Partial<AnthropicRoutesDeps> = {}) {
  const chat = fakeChat(script);
  const app = Fastify({ logger: false });
  await app.register(anthropicRoutes({ chat, pingIntervalMs: 0, ...options }));
  apps.push(app);
  return { app, chat };
}

const body = { model: 'claude-opus-4-1', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }] };

describe('POST /v1/messages', () => {
  it('answers with a message that echoes the model and has Anthropic ids', async () => {
    const { app, chat } = await build(() => events(TEXT_EVENTS));
    const response = await app.inject({ method: 'POST', url: '/v1/messages?beta=true', payload: body });
    expect(response.statusCode).toBe(200);
    const message = response.json();
    expect(message.id).toMatch(/^msg_01[0-9A-Za-z]{22}$/);
    expect(message.model).toBe('claude-opus-4-1');
    expect(message.content.map((b: { type: string }) => b.type)).toEqual(['thinking', 'text']);
    expect(chat.calls[0]!.request.id).toBe(message.id);
  });

  it('answers errors before the stream as JSON with their status', async () => {
    const { app } = await build(() =>
      (async function* (): AsyncGenerator<GenerationEvent> {
        throw new ContextOverflowError(5000, 4096);
      })(),
    );
    const response = await app.inject({ method: 'POST', url: '/v1/messages', payload: { ...body, stream: true } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 5000 tokens > 4096 maximum' } });
  });

  it('answers validation errors in the Anthropic envelope', async () => {
    const { app } = await build(() => events(TEXT_EVENTS));
    const response = await app.inject({ method: 'POST', url: '/v1/messages', payload: { model: 'm', messages: body.messages } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
    const invalidJson = await app.inject({ method: 'POST', url: '/v1/messages', headers: { 'content-type': 'application/json' }, payload: '{' });
    expect(invalidJson.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('opens the stream and pings while a request waits for a slot, then sends message_start', async () => {
    const { app } = await build(
      () =>
        (async function* (): AsyncGenerator<GenerationEvent> {
          await new Promise((r) => setTimeout(r, 120));
          yield* events(TEXT_EVENTS);
        })(),
      { openStreamAfterMs: 10, pingIntervalMs: 25 },
    );
    const response = await app.inject({ method: 'POST', url: '/v1/messages', payload: { ...body, stream: true } });
    expect(response.statusCode).toBe(200);
    const names = [...response.body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    const firstStart = names.indexOf('message_start');
    expect(names.slice(0, firstStart).length).toBeGreaterThanOrEqual(2);
    expect(names.slice(0, firstStart).every((n) => n === 'ping')).toBe(true);
    expect(response.body).toContain('event: ping\ndata: {"type":"ping"}\n\n');
    expect(names.at(-1)).toBe('message_stop');
  });

  it('reports a failure after a late open as an error event', async () => {
    const { app } = await build(
      () =>
        (async function* (): AsyncGenerator<GenerationEvent> {
          await new Promise((r) => setTimeout(r, 50));
          throw new ContextOverflowError(10, 5);
        })(),
      { openStreamAfterMs: 5 },
    );
    const response = await app.inject({ method: 'POST', url: '/v1/messages', payload: { ...body, stream: true } });
    expect(response.statusCode).toBe(200);
    expect(normaliseIds(response.body)).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 10 tokens > 5 maximum"}}\n\n',
    );
  });
});

describe('POST /v1/messages/count_tokens', () => {
  it('counts the converted request, system and tools included', async () => {
    const { app, chat } = await build(() => events(TEXT_EVENTS));
    const payload = {
      model: 'm',
      system: 'S',
      tools: [{ name: 't', input_schema: { type: 'object' } }],
      messages: body.messages,
    };
    const response = await app.inject({ method: 'POST', url: '/v1/messages/count_tokens?beta=true', payload });
    expect(response.statusCode).toBe(200);
    const expected = (chat as FakeChat).countTokens({
      id: 'x',
      model: 'm',
      sampling: {},
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(response.json()).toEqual({ input_tokens: expected });
  });
});

describe('images', () => {
  const png = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: Buffer.alloc(100).toString('base64') } };
  const note = '[image: image/png, 100 bytes — not shown, this model has no vision support]';
  const messages = [
    { role: 'user', content: [{ type: 'text', text: 'Read it.' }, png] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Read', input: {} }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [png] }] },
  ];

  async function withLog(options: Partial<AnthropicRoutesDeps> = {}) {
    const lines: Array<{ level: number; msg: string; images?: number }> = [];
    const chat = fakeChat(() => events(TEXT_EVENTS));
    const app = Fastify({ loggerInstance: pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) }) });
    await app.register(anthropicRoutes({ chat, pingIntervalMs: 0, ...options }));
    apps.push(app);
    return { app, chat, lines };
  }

  it('become notes in the prompt, with one warning per request naming how many', async () => {
    const { app, chat, lines } = await withLog();
    const response = await app.inject({ method: 'POST', url: '/v1/messages', payload: { ...body, messages } });
    expect(response.statusCode).toBe(200);
    const prompt = chat.calls[0]!.request.messages;
    expect(prompt[0]).toEqual({ role: 'user', content: `Read it.\n${note}` });
    expect(prompt[2]).toEqual({ role: 'tool', toolCallId: 't', content: note });
    expect(lines.filter((line) => line.level === 40)).toEqual([expect.objectContaining({ images: 2, msg: expect.stringMatching(/^2 images replaced by a text note/) })]);
  });

  it('count_tokens counts the prompt with the notes', async () => {
    const { app, chat } = await withLog();
    const response = await app.inject({ method: 'POST', url: '/v1/messages/count_tokens', payload: { model: 'm', messages } });
    expect(response.statusCode).toBe(200);
    const withNotes = chat.countTokens({ id: 'x', model: 'm', sampling: {}, messages: toCountRequest(parseCountTokensBody({ model: 'm', messages }), { id: 'x' }).messages });
    expect(response.json()).toEqual({ input_tokens: withNotes });
    expect(JSON.stringify(toCountRequest(parseCountTokensBody({ model: 'm', messages }), { id: 'x' }).messages)).toContain(note);
  });

  it('are the 400 images_not_supported with rejectImages, on both routes', async () => {
    const { app, chat } = await withLog({ rejectImages: true });
    const response = await app.inject({ method: 'POST', url: '/v1/messages', payload: { ...body, stream: true, messages } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'messages.0.content.1: this model does not accept images (the loaded model has no vision support)' },
    });
    const count = await app.inject({ method: 'POST', url: '/v1/messages/count_tokens', payload: { model: 'm', messages } });
    expect(count.statusCode).toBe(400);
    expect(chat.calls).toHaveLength(0);
  });
});

describe('app wiring', () => {
  async function app(apiKey?: string) {
    const state = new ServerState();
    state.ready(fakeChat(() => events(TEXT_EVENTS)));
    const server = await createApp({ state, host: '127.0.0.1', logger: false, ...(apiKey ? { apiKey } : {}) });
    apps.push(server);
    return server;
  }
  const headers = { host: '127.0.0.1:8000', 'anthropic-version': '2023-06-01' };

  it('routes /v1/messages and answers its 404s and auth errors in the Anthropic shape', async () => {
    const server = await app('secret');
    const denied = await server.inject({ method: 'POST', url: '/v1/messages?beta=true', headers, payload: body });
    expect(denied.statusCode).toBe(401);
    expect(denied.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const ok = await server.inject({ method: 'POST', url: '/v1/messages?beta=true', headers: { ...headers, 'x-api-key': 'secret' }, payload: body });
    expect(ok.statusCode).toBe(200);
    const missing = await server.inject({ method: 'POST', url: '/v1/messages/batches', headers: { ...headers, 'x-api-key': 'secret' }, payload: body });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    // Elsewhere the OpenAI envelope stays.
    const other = await server.inject({ method: 'GET', url: '/v1/nothing', headers: { ...headers, 'x-api-key': 'secret' } });
    expect(other.json().error.type).toBe('invalid_request_error');
  });

  it('answers 529 overloaded_error while the model loads', async () => {
    const server = await createApp({ state: new ServerState(), host: '127.0.0.1', logger: false });
    apps.push(server);
    const response = await server.inject({ method: 'POST', url: '/v1/messages', headers, payload: body });
    expect(response.statusCode).toBe(529);
    expect(response.json().error.type).toBe('overloaded_error');
    const count = await server.inject({ method: 'POST', url: '/v1/messages/count_tokens', headers, payload: body });
    expect(count.statusCode).toBe(529);
  });

  it('lists models in the Anthropic shape for Anthropic clients', async () => {
    const server = await app();
    const anthropic = await server.inject({ url: '/v1/models', headers });
    expect(anthropic.json()).toEqual({
      data: [{ type: 'model', id: 'tiny-model-Q8_0', display_name: 'tiny-model-Q8_0', created_at: '2023-11-14T22:13:20Z' }],
      has_more: false,
      first_id: 'tiny-model-Q8_0',
      last_id: 'tiny-model-Q8_0',
    });
    expect((await server.inject({ url: '/v1/models/tiny-model-Q8_0', headers })).json()).toMatchObject({ type: 'model' });
    const missing = await server.inject({ url: '/v1/models/claude-x', headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.type).toBe('not_found_error');
    const openai = await server.inject({ url: '/v1/models', headers: { host: headers.host } });
    expect(openai.json().object).toBe('list');
  });
});
