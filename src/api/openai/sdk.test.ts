// The official `openai` client against a real server on 127.0.0.1 (port 0), with a fake ChatService.

import Fastify, { type FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest, GenerationEvent } from '../../chat/types.js';
import { ApiError } from '../../errors.js';
import { modelsRoutes } from '../models.js';
import { openaiRoutes } from './routes.js';
import { events, fakeChat, TEXT_EVENTS, TOOL_EVENTS } from './test-fakes.js';

let app: FastifyInstance;
let client: OpenAI;
let baseURL: string;
/** Signals of the slow generations, and whether each one's producer was cleaned up. */
const slow: Array<{ signal: AbortSignal; cleanedUp: boolean }> = [];

function lastUserText(request: ChatRequest): string {
  const last = request.messages.at(-1);
  return last?.role === 'user' && typeof last.content === 'string' ? last.content : '';
}

async function* slowGeneration(signal: AbortSignal): AsyncGenerator<GenerationEvent> {
  const record = { signal, cleanedUp: false };
  slow.push(record);
  try {
    yield { type: 'accepted', promptTokens: 5, cachedTokens: 0, cache: 'default', route: 'slot0' };
    for (let i = 0; i < 1000 && !signal.aborted; i++) {
      yield { type: 'text', text: `tok${i} ` };
      await new Promise((r) => setTimeout(r, 10));
    }
    if (signal.aborted) throw signal.reason;
    yield { type: 'done', stop: 'end', usage: { promptTokens: 5, cachedTokens: 0, completionTokens: 1000 } };
  } finally {
    record.cleanedUp = true;
  }
}

beforeAll(async () => {
  const chat = fakeChat((request, signal) => {
    switch (lastUserText(request)) {
      case 'tools':
        return events(TOOL_EVENTS);
      case 'fail-early':
        return (async function* () {
          throw new ApiError('invalid_request', 'The prompt contains an image but this model has no vision support', {
            param: 'messages',
          });
        })();
      case 'fail-mid':
        return (async function* (): AsyncGenerator<GenerationEvent> {
          yield { type: 'text', text: 'Hal' };
          throw new ApiError('internal', 'The engine stopped unexpectedly');
        })();
      case 'slow':
        return slowGeneration(signal);
      default:
        return events(TEXT_EVENTS);
    }
  });
  // After an abort, undici opens a spare connection that never sends a request; Node does not
  // count it as idle, so only a forced close ends it without waiting for its timeout.
  app = Fastify({ logger: false, forceCloseConnections: true });
  await app.register(openaiRoutes({ chat, newId: () => Math.random().toString(36).slice(2), pingIntervalMs: 0 }));
  await app.register(modelsRoutes({ chat }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  baseURL = `${address}/v1`;
  client = new OpenAI({ baseURL, apiKey: 'x', maxRetries: 0 });
});

afterAll(async () => {
  await app.close();
});

const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  {
    type: 'function',
    function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } },
  },
];

describe('openai SDK against the server', () => {
  it('non-stream: create()', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices[0]?.message.content).toBe('Hello, world!');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect((completion.choices[0]?.message as unknown as { reasoning_content?: string }).reasoning_content).toBe('Let me think. Done thinking.');
    expect(completion.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 });
  });

  it('non-stream: tool calls', async () => {
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'tools' }],
      tools,
    });
    const message = completion.choices[0]?.message;
    expect(message?.content).toBeNull();
    expect(message?.tool_calls).toEqual([
      { id: 'call_weather', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } },
      { id: 'call_time', type: 'function', function: { name: 'get_time', arguments: '{"tz": "CET"}' } },
    ]);
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('stream: iterating chunks accumulates the text and usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let reasoning = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      content += choice?.delta.content ?? '';
      reasoning += (choice?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(content).toBe('Hello, world!');
    expect(reasoning).toBe('Let me think. Done thinking.');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 2 } });
  });

  it('stream: chat.completions.stream() assembles two tool calls', async () => {
    const runner = client.chat.completions.stream({
      model: 'm',
      messages: [{ role: 'user', content: 'tools' }],
      tools,
    });
    const argumentDeltas: string[] = [];
    runner.on('tool_calls.function.arguments.delta', (e) => argumentDeltas.push(e.arguments_delta));
    const final = await runner.finalChatCompletion();
    const message = final.choices[0]?.message;
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(message?.tool_calls?.map((c) => c.type === 'function' && [c.id, c.function.name, c.function.arguments])).toEqual([
      ['call_weather', 'get_weather', '{"city": "Paris"}'],
      ['call_time', 'get_time', '{"tz": "CET"}'],
    ]);
    expect(argumentDeltas.filter((d) => d !== '')).toEqual(['{"city":', ' "Paris"}', '{"tz": "CET"}']);
  });

  it('stream: finalContent() of a text answer', async () => {
    const runner = client.chat.completions.stream({ model: 'm', messages: [{ role: 'user', content: 'hello' }] });
    expect(await runner.finalContent()).toBe('Hello, world!');
  });

  it('error: BadRequestError carries our message and param', async () => {
    const error = await client.chat.completions.create({ model: 'm', messages: [{ role: 'wizard' as 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.status).toBe(400);
    expect(bad.message).toContain('messages[0].role: Invalid option: expected one of "system"');
    expect(bad.param).toBe('messages[0].role');
    expect(bad.type).toBe('invalid_request_error');
  });

  it('error before the first event of a stream: BadRequestError', async () => {
    const error = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'fail-early' }], stream: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toContain('no vision support');
  });

  it('error mid-stream: the SDK throws an APIError while iterating', async () => {
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'fail-mid' }],
      stream: true,
    });
    let content = '';
    const error = await (async () => {
      for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(content).toBe('Hal');
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('The engine stopped unexpectedly');
  });

  it('models.list() and models.retrieve()', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['tiny-model-Q8_0']);
    const model = await client.models.retrieve('tiny-model-Q8_0');
    expect(model.owned_by).toBe('llama-bridge');
    await expect(client.models.retrieve('nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('a client that goes away aborts the generation', async () => {
    const before = slow.length;
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'slow' }], stream: true }, { signal: controller.signal });
    let received = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) received++;
      if (received === 3) controller.abort();
    }
    const record = slow[before];
    expect(record).toBeDefined();
    await waitFor(() => record!.signal.aborted && record!.cleanedUp);
    expect(record!.signal.aborted).toBe(true);
  });

  it('a non-stream client that goes away aborts the generation', async () => {
    const before = slow.length;
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'slow' }] }, { signal: controller.signal }).catch((e: unknown) => e);
    await waitFor(() => slow.length > before);
    await new Promise((r) => setTimeout(r, 30));
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    const record = slow[before]!;
    await waitFor(() => record.signal.aborted && record.cleanedUp);
  });

  it('a raw fetch sees SSE framing and keep-alive pings', async () => {
    // A second server with fast pings to see them on the wire.
    const pingApp = Fastify({ logger: false });
    await pingApp.register(
      openaiRoutes({
        chat: fakeChat(async function* () {
          yield { type: 'accepted', promptTokens: 1, cachedTokens: 0, cache: 'default', route: 'r' };
          await new Promise((r) => setTimeout(r, 120));
          yield { type: 'done', stop: 'end', usage: { promptTokens: 1, cachedTokens: 0, completionTokens: 0 } };
        }),
        newId: () => 'ping',
        pingIntervalMs: 20,
      }),
    );
    const address = await pingApp.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${address}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], stream: true }),
      });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = await res.text();
      expect(text).toMatch(/^: ping$/m);
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    } finally {
      await pingApp.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}
