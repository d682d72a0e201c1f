import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { GenerationEvent } from '../../chat/types.js';
import { ApiError, ContextOverflowError } from '../../errors.js';
import { modelsRoutes } from '../models.js';
import { openaiRoutes } from './routes.js';
import { events, fakeChat, parseSse, TEXT_EVENTS, TOOL_EVENTS, type FakeChat, type Script } from './test-fakes.js';

let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(script: Script, options: { bodyLimit?: number } = {}): Promise<{ app: FastifyInstance; chat: FakeChat }> {
  const chat = fakeChat(script);
  app = Fastify({ logger: false, ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}) });
  await app.register(openaiRoutes({ chat, newId: () => 'test123', now: () => 1_700_000_123, pingIntervalMs: 0 }));
  await app.register(modelsRoutes({ chat }));
  await app.ready();
  return { app, chat };
}

const userBody = (extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hi' }],
  ...extra,
});

function post(instance: FastifyInstance, body: unknown) {
  return instance.inject({ method: 'POST', url: '/v1/chat/completions', payload: body as object });
}

describe('POST /v1/chat/completions (non-stream)', () => {
  it('answers a chat.completion with content, reasoning and usage', async () => {
    const { app, chat } = await build(() => events(TEXT_EVENTS));
    const res = await post(app, userBody({ temperature: 0.3 }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const json = res.json();
    expect(json).toMatchObject({
      id: 'chatcmpl-test123',
      object: 'chat.completion',
      created: 1_700_000_123,
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello, world!', reasoning_content: 'Let me think. Done thinking.' },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, prompt_tokens_details: { cached_tokens: 2 } },
    });
    expect(json.system_fingerprint).toMatch(/^fp_[0-9a-f]{10}$/);
    expect(chat.calls[0]?.request).toMatchObject({
      id: 'test123',
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      sampling: { temperature: 0.3 },
    });
  });

  it('answers tool calls with null content', async () => {
    const { app } = await build(() => events(TOOL_EVENTS));
    const json = (await post(app, userBody())).json();
    expect(json.choices[0]).toMatchObject({
      message: {
        content: null,
        tool_calls: [
          { id: 'call_weather', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } },
          { id: 'call_time', type: 'function', function: { name: 'get_time', arguments: '{"tz": "CET"}' } },
        ],
      },
      finish_reason: 'tool_calls',
    });
  });

  it('turns an error before the first event into a JSON error with its status', async () => {
    const { app } = await build(async function* () {
      throw new ApiError('overloaded', 'Too many requests are queued; retry shortly.', { retryAfter: 3 });
    });
    const res = await post(app, userBody());
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.json()).toEqual({
      error: { message: 'Too many requests are queued; retry shortly.', type: 'server_error', param: null, code: null },
    });
  });

  it('handles generate() throwing synchronously', async () => {
    const { app } = await build(() => {
      throw new ApiError('unavailable', 'The model is still loading; retry shortly.', { retryAfter: 5 });
    });
    const res = await post(app, userBody());
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().error.type).toBe('service_unavailable_error');
  });

  it('hides unexpected errors behind a generic 500', async () => {
    const { app } = await build(async function* () {
      yield { type: 'text', text: 'partial' };
      throw new Error('native binding exploded at 0xdeadbeef');
    });
    const res = await post(app, userBody());
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { message: 'Internal server error', type: 'server_error', param: null, code: null } });
  });

  it('words a context overflow like OpenAI', async () => {
    const { app } = await build(async function* () {
      throw new ContextOverflowError(5000, 4096);
    });
    const res = await post(app, userBody());
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'context_length_exceeded', param: 'messages' });
    expect(res.json().error.message).toMatch(/maximum context length is 4096 tokens/);
  });
});

describe('POST /v1/chat/completions (validation and body errors)', () => {
  const never: Script = () => events([]);

  it('rejects an unknown role with a 400 naming the field', async () => {
    const { app, chat } = await build(never);
    const res = await post(app, {
      model: 'm',
      messages: [
        { role: 'user', content: 'a' },
        { role: 'wizard', content: 'b' },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        message: 'messages[1].role: Invalid option: expected one of "system"|"developer"|"user"|"assistant"|"tool"',
        type: 'invalid_request_error',
        param: 'messages[1].role',
        code: null,
      },
    });
    expect(chat.calls).toHaveLength(0);
  });

  it('rejects n > 1 and logprobs', async () => {
    const { app } = await build(never);
    expect((await post(app, userBody({ n: 3 }))).json().error.param).toBe('n');
    expect((await post(app, userBody({ logprobs: true }))).json().error.param).toBe('logprobs');
  });

  it('rejects malformed JSON', async () => {
    const { app } = await build(never);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      payload: '{"model": "m", "messages": [',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: { message: 'Invalid JSON in request body', type: 'invalid_request_error', param: null, code: null },
    });
  });

  it('rejects an empty JSON body', async () => {
    const { app } = await build(never);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.type).toBe('invalid_request_error');
  });

  it('rejects a non-JSON content type with 415', async () => {
    const { app } = await build(never);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=b',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.type).toBe('invalid_request_error');
  });

  it('rejects a body over the limit with 413', async () => {
    const { app } = await build(never, { bodyLimit: 100 });
    const res = await post(app, userBody({ messages: [{ role: 'user', content: 'x'.repeat(500) }] }));
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
  });
});

describe('POST /v1/chat/completions (stream)', () => {
  it('streams chunks in OpenAI order and ends with [DONE]', async () => {
    const { app } = await build(() => events(TEXT_EVENTS));
    const res = await post(app, userBody({ stream: true }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-accel-buffering']).toBe('no');
    const frames = parseSse(res.body);
    expect(frames.at(-1)).toBe('[DONE]');
    const chunks = frames.slice(0, -1) as Array<{ id: string; object: string; model: string; choices: Array<{ delta: unknown; finish_reason: unknown }> }>;
    expect(chunks.every((c) => c.id === 'chatcmpl-test123' && c.object === 'chat.completion.chunk' && c.model === 'gpt-4o-mini')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'Let me think. ' },
      { reasoning_content: 'Done thinking.' },
      { content: 'Hello' },
      { content: ', world!' },
      {},
    ]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    // Data-only framing, as OpenAI sends it.
    expect(res.body).not.toMatch(/^event:/m);
    expect(res.body.startsWith('data: {')).toBe(true);
  });

  it('adds a usage chunk with stream_options.include_usage', async () => {
    const { app } = await build(() => events(TEXT_EVENTS));
    const frames = parseSse((await post(app, userBody({ stream: true, stream_options: { include_usage: true } }))).body);
    expect(frames.at(-1)).toBe('[DONE]');
    expect(frames.at(-2)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, prompt_tokens_details: { cached_tokens: 2 } },
    });
    expect((frames.at(-3) as { usage: unknown }).usage).toBeNull();
  });

  it('streams two tool calls', async () => {
    const { app } = await build(() => events(TOOL_EVENTS));
    const frames = parseSse((await post(app, userBody({ stream: true }))).body);
    const deltas = (frames.slice(0, -1) as Array<{ choices: Array<{ delta: unknown; finish_reason: unknown }> }>).map((c) => c.choices[0]);
    expect(deltas.map((d) => d?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { tool_calls: [{ index: 0, id: 'call_weather', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: ' "Paris"}' } }] },
      { tool_calls: [{ index: 1, id: 'call_time', type: 'function', function: { name: 'get_time', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{"tz": "CET"}' } }] },
      {},
    ]);
    expect(deltas.at(-1)?.finish_reason).toBe('tool_calls');
  });

  it('answers an error before the first event as plain JSON with its status', async () => {
    const { app } = await build(async function* () {
      throw new ApiError('invalid_request', 'This template cannot render images', { param: 'messages' });
    });
    const res = await post(app, userBody({ stream: true }));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json().error).toEqual({
      message: 'This template cannot render images',
      type: 'invalid_request_error',
      param: 'messages',
      code: null,
    });
  });

  it('ends with an error chunk (no [DONE]) when generation fails mid-stream', async () => {
    let cleanedUp = false;
    const { app } = await build(async function* () {
      try {
        yield { type: 'accepted', promptTokens: 1, cachedTokens: 0, cache: 'default', route: 'r' } satisfies GenerationEvent;
        yield { type: 'text', text: 'Part' } satisfies GenerationEvent;
        throw new ApiError('internal', 'The model produced invalid UTF-8');
      } finally {
        cleanedUp = true;
      }
    });
    const res = await post(app, userBody({ stream: true }));
    expect(res.statusCode).toBe(200);
    const frames = parseSse(res.body);
    expect(frames).not.toContain('[DONE]');
    expect(frames.at(-1)).toEqual({
      error: { message: 'The model produced invalid UTF-8', type: 'server_error', param: null, code: null },
    });
    expect((frames[1] as { choices: Array<{ delta: unknown }> }).choices[0]?.delta).toEqual({ content: 'Part' });
    expect(cleanedUp).toBe(true);
  });

  it('hides an unexpected mid-stream error', async () => {
    const { app } = await build(async function* () {
      yield { type: 'text', text: 'a' } satisfies GenerationEvent;
      throw new TypeError('cannot read properties of undefined');
    });
    const frames = parseSse((await post(app, userBody({ stream: true }))).body);
    expect(frames.at(-1)).toEqual({ error: { message: 'Internal server error', type: 'server_error', param: null, code: null } });
  });

  it('reports a stream that ends without a done event', async () => {
    const { app } = await build(() => events([{ type: 'text', text: 'a' }]));
    const frames = parseSse((await post(app, userBody({ stream: true }))).body);
    expect(frames.at(-1)).toMatchObject({ error: { type: 'server_error' } });
  });

  it('keeps draining the producer after done', async () => {
    let finished = false;
    const { app } = await build(async function* () {
      yield { type: 'done', stop: 'end', usage: { promptTokens: 1, cachedTokens: 0, completionTokens: 0 } } satisfies GenerationEvent;
      await new Promise((r) => setTimeout(r, 5));
      finished = true;
    });
    const frames = parseSse((await post(app, userBody({ stream: true }))).body);
    expect(frames.at(-1)).toBe('[DONE]');
    await new Promise((r) => setTimeout(r, 20));
    expect(finished).toBe(true);
  });
});

describe('POST /v1/chat/completions (images)', () => {
  const content = [
    { type: 'text', text: 'What is this?' },
    { type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.alloc(100).toString('base64')}` } },
    { type: 'image_url', image_url: 'https://example.com/b.jpg' },
  ];

  async function withLog(rejectImages?: boolean) {
    const lines: Array<{ level: number; msg: string; images?: number }> = [];
    const chat = fakeChat(() => events(TEXT_EVENTS));
    const instance = Fastify({ loggerInstance: pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) }) as FastifyBaseLogger });
    app = instance;
    await instance.register(openaiRoutes({ chat, newId: () => 'test123', pingIntervalMs: 0, ...(rejectImages ? { rejectImages } : {}) }));
    return { app: instance, chat, lines };
  }

  it('become notes in the prompt, with one warning per request naming how many', async () => {
    const { app, chat, lines } = await withLog();
    const res = await post(app, userBody({ stream: true, messages: [{ role: 'user', content }] }));
    expect(res.statusCode).toBe(200);
    expect(chat.calls[0]!.request.messages).toEqual([
      {
        role: 'user',
        content: 'What is this?\n[image: image/png, 100 bytes — not shown, this model has no vision support]\n[image: example.com — not shown, this model has no vision support]',
      },
    ]);
    expect(lines.filter((line) => line.level === 40)).toEqual([expect.objectContaining({ images: 2, msg: expect.stringMatching(/^2 images replaced by a text note/) })]);
  });

  it('are the 400 images_not_supported with rejectImages', async () => {
    const { app, chat } = await withLog(true);
    const res = await post(app, userBody({ messages: [{ role: 'user', content }] }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: { message: 'this model does not accept images', type: 'invalid_request_error', param: 'messages[0].content[1]', code: 'images_not_supported' },
    });
    expect(chat.calls).toHaveLength(0);
  });
});

describe('GET /v1/models', () => {
  it('lists the loaded model', async () => {
    const { app } = await build(() => events([]));
    const res = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      object: 'list',
      data: [{ id: 'tiny-model-Q8_0', object: 'model', created: 1_700_000_000, owned_by: 'llama-bridge' }],
    });
  });

  it('retrieves the model by id and 404s on others', async () => {
    const { app } = await build(() => events([]));
    const ok = await app.inject({ method: 'GET', url: '/v1/models/tiny-model-Q8_0' });
    expect(ok.json()).toEqual({ id: 'tiny-model-Q8_0', object: 'model', created: 1_700_000_000, owned_by: 'llama-bridge' });
    const missing = await app.inject({ method: 'GET', url: '/v1/models/org/other' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      error: { message: "The model 'org/other' does not exist", type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
    });
  });
});
