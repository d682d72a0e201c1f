// The remote engine (`--remote`, llama.cpp server protocol) against a protocol-faithful fake
// llama-server (test/fixtures/fake-llama-server.ts): our server renders GLM-4.7-Flash's template
// and tokenizes with the fixture's vocabulary; the fake streams the scripted answer's token ids
// back. Checked: what we send (token ids, slot, cache_prompt, sampling, the lazy tool-call
// grammar with its triggers), the answers through the official SDKs, usage from the remote's own
// counts, stop strings and thinking budgets kept here, and every fault a remote has.

import Anthropic from '@anthropic-ai/sdk';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlamaServer, type FakeLlamaServer } from '../fixtures/fake-llama-server.js';
import { glmWeatherModel, GLM_REASONING } from '../fixtures/glm-weather.js';
import type { ScriptedModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';
import { WEATHER_TOOL } from '../helpers/tools.js';

const ASK: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];

describe('remote engine: llama.cpp server protocol, against a faithful fake', () => {
  let model: ScriptedModel;
  let fake: FakeLlamaServer;
  let server: RunningServer;
  let debugDir: string;

  beforeAll(async () => {
    model = await glmWeatherModel();
    fake = await startFakeLlamaServer({ answer: () => [...model.scriptTokens, model.endToken!], eog: [model.endToken!], slots: 2, slotContext: 4096, apiKey: 'remote-secret' });
    process.env.LLAMA_BRIDGE_REMOTE_API_KEY = 'remote-secret';
    debugDir = join(mkdtempSync(join(tmpdir(), 'remote-engine-')), 'logs');
    server = await startTestServer({ model: model.path, remote: fake.url, parallel: 2, remoteTimeout: 2, debug: true, debugDir });
  }, 300_000);
  afterEach(() => {
    fake.fault = 'none';
    fake.tokenDelayMs = 0;
  });
  afterAll(async () => {
    delete process.env.LLAMA_BRIDGE_REMOTE_API_KEY;
    await server?.stop();
    await fake?.close();
  });

  const openai = () => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
  const anthropic = () => new Anthropic({ baseURL: server.url, apiKey: 'x', maxRetries: 0 });

  it('sends token ids, the slot, cache_prompt, sampling and the lazy tool-call grammar; answers with reasoning and the call', async () => {
    const before = fake.requests.length;
    const completion = await openai().chat.completions.create({ model: 'glm', messages: ASK, tools: [WEATHER_TOOL], temperature: 0 });
    const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.reasoning_content).toBe(GLM_REASONING);
    expect(message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(completion.usage).toMatchObject({ completion_tokens: model.scriptTokens.length });

    const body = fake.requests[before]!;
    expect(Array.isArray(body.prompt) && (body.prompt as unknown[]).every((token) => Number.isInteger(token))).toBe(true);
    expect(completion.usage?.prompt_tokens).toBe((body.prompt as number[]).length);
    expect(body).toMatchObject({ stream: true, cache_prompt: true, return_tokens: true, temperature: 0, grammar_lazy: true, preserved_tokens: ['<tool_call>'] });
    expect([0, 1]).toContain(body.id_slot);
    expect(body.n_predict).toBe(4096 - (body.prompt as number[]).length);
    expect(typeof body.grammar).toBe('string');
    // GLM's generation prompt opens thinking: a trigger only counts once thinking is closed.
    expect(body.grammar_triggers).toEqual([{ type: 3, value: '[\\s\\S]*?</think>[\\s\\S]*?(<tool_call>)[\\s\\S]*' }]);
  });

  it('streams thinking and tool_use to the Anthropic SDK, and reports the remote cache reuse of the next turn', async () => {
    const ask = {
      model: 'glm',
      max_tokens: 400,
      messages: [{ role: 'user' as const, content: 'What is the weather in Paris?' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } }],
    };
    const stream = anthropic().messages.stream(ask);
    const thinking: string[] = [];
    stream.on('thinking', (delta) => thinking.push(delta));
    const message = await stream.finalMessage();
    expect(thinking.join('')).toBe(GLM_REASONING);
    expect(message.content.at(-1)).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expect(message.stop_reason).toBe('tool_use');
    const again = await anthropic().messages.create(ask);
    expect(again.usage.cache_read_input_tokens).toBeGreaterThan(100);
    expect(again.usage.cache_read_input_tokens).toBe(fake.requests.at(-1) && (fake.requests.at(-1)!.prompt as number[]).length - 1);
  });

  it('keeps stop strings here and closes the remote request at one', async () => {
    const abandoned = fake.abandoned;
    // Slow enough that the stop string is seen while the remote still generates.
    fake.tokenDelayMs = 10;
    const completion = await openai().chat.completions.create({ model: 'glm', messages: ASK, stop: ['Paris'], temperature: 0 });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect((completion.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBe('The user wants the weather in ');
    await expect.poll(() => fake.abandoned).toBe(abandoned + 1);
  });

  it('keeps a thinking budget: the remote generation is ended, the closing text written in, and generation goes on after it', async () => {
    const before = fake.requests.length;
    const response = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'glm',
        max_tokens: 400,
        thinking: { type: 'enabled', budget_tokens: 3 },
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      }),
    });
    const message = (await response.json()) as { content: { type: string; thinking?: string }[] };
    expect(message.content[0]).toMatchObject({ type: 'thinking', thinking: 'The user wants' });
    const [first, second] = fake.requests.slice(before) as { prompt: number[] }[];
    expect(second).toBeDefined();
    // The continuation is the first prompt, the three thinking tokens, then the closing text.
    expect(second!.prompt.slice(0, first!.prompt.length + 3)).toEqual([...first!.prompt, ...model.scriptTokens.slice(0, 3)]);
    expect(second!.prompt.length).toBeGreaterThan(first!.prompt.length + 3);
  });

  it('answers a remote that is busy with overloaded, in each API', async () => {
    fake.fault = 'refuse-503';
    const openaiError = await openai()
      .chat.completions.create({ model: 'glm', messages: ASK })
      .catch((error: unknown) => error);
    expect(openaiError).toBeInstanceOf(OpenAI.APIError);
    expect((openaiError as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    const anthropicError = await anthropic()
      .messages.create({ model: 'glm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    expect((anthropicError as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((anthropicError as InstanceType<typeof Anthropic.APIError>).message).toContain(fake.url);
  });

  for (const [fault, code] of [
    ['cut-stream', 'remote_unreachable'],
    ['garbage', 'remote_bad_data'],
    ['error-event', 'remote_error'],
    ['stall', 'remote_timeout'],
  ] as const) {
    it(`ends a stream whose remote fails mid-way (${fault}) with the API's error event, and frees the slot`, async () => {
      fake.fault = fault;
      const response = await fetch(`${server.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'glm', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'What is the weather in Paris?' }] }),
      });
      const text = await response.text();
      expect(text).toContain('event: error');
      expect(text).toMatch(/"type":"(overloaded_error|api_error)"/);
      expect(text).toContain(fake.url);
      expect(text.includes(code) || text.includes('remote engine')).toBe(true);
      fake.fault = 'none';
      // Both slots are free again: two requests at once are served.
      const both = await Promise.all([0, 1].map(() => openai().chat.completions.create({ model: 'glm', messages: ASK, temperature: 0 })));
      expect(both.map((c) => c.choices[0]!.finish_reason)).toEqual(['stop', 'stop']);
      expect(server.engine.slots().every((slot) => !slot.busy)).toBe(true);
    });
  }

  it('closes the remote request when the client goes away', async () => {
    const slow = await startFakeLlamaServer({ answer: () => Array.from({ length: 200 }, () => model.scriptTokens[0]!), eog: [model.endToken!], slots: 1, tokenDelayMs: 20 });
    const local = await startTestServer({ model: model.path, remote: slow.url, parallel: 1 });
    try {
      const abort = new AbortController();
      const response = await fetch(`${local.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'glm', stream: true, messages: ASK }),
        signal: abort.signal,
      });
      const reader = response.body!.getReader();
      await reader.read();
      await reader.read();
      abort.abort();
      await expect.poll(() => slow.abandoned).toBe(1);
      await expect.poll(() => local.engine.slots()[0]!.busy).toBe(false);
    } finally {
      await local.stop();
      await slow.close();
    }
  });

  it('says at start-up when the remote does not answer, naming it', async () => {
    await expect(startTestServer({ model: model.path, remote: 'http://127.0.0.1:9', parallel: 1 })).rejects.toThrow(/remote engine at http:\/\/127\.0\.0\.1:9 does not answer/);
  });

  it('refuses more slots than the remote has, and a remote whose key we lack', async () => {
    await expect(startTestServer({ model: model.path, remote: fake.url, parallel: 3 })).rejects.toThrow(/has 2 slots, and the caches here want 3/);
    delete process.env.LLAMA_BRIDGE_REMOTE_API_KEY;
    try {
      await expect(startTestServer({ model: model.path, remote: fake.url, parallel: 1 })).rejects.toThrow(/HTTP 401 \(check its API key\)/);
    } finally {
      process.env.LLAMA_BRIDGE_REMOTE_API_KEY = 'remote-secret';
    }
  });

  it('counts remote generations in /metrics and keeps their --debug traces', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/llama_bridge_generated_tokens_total\{cache="default"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    const traces = readdirSync(debugDir);
    expect(traces.length).toBeGreaterThan(3);
    const raw = traces.map((name) => join(debugDir, name, '3-raw-output.txt')).find((file) => existsSync(file) && readFileSync(file, 'utf8').includes('<tool_call>'));
    expect(raw).toBeDefined();
    expect(readFileSync(raw!.replace('3-raw-output.txt', '2-prompt.txt'), 'utf8')).toMatch(/# promptTokens: \d+/);
  });

  it('lists its slots in /slots and says in /props where the model runs', async () => {
    const slots = (await (await fetch(`${server.url}/slots`)).json()) as { caches: { slots: unknown[] }[] };
    expect(slots.caches[0]!.slots).toHaveLength(2);
    const props = (await (await fetch(`${server.url}/props`)).json()) as { remote?: unknown; n_ctx: number };
    expect(props).toMatchObject({ n_ctx: 4096, remote: { url: fake.url, protocol: 'llama-server' } });
  });
});
