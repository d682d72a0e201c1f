// Multi-cache routing end to end on real llama.cpp inference (generated fixture models with
// the real Qwen2.5 tokenizer and template): an agent's main conversation keeps its cached
// prompt while background requests go to their own cache, /slots shows both caches, and a
// busy cache does not hold up another.

import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/start.js';
import type { SlotsWire } from '../../src/http/slots.js';
import type { RoutedCache } from '../../src/routing/types.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer } from '../helpers/server.js';

const API_KEY = 'routing-test-key';
const SCRIPT = 'Hello there! How can I help you today?';
const LOOP_SCRIPT = ' alpha beta gamma delta';

function twoCaches(contextSize: number): RoutedCache[] {
  return [
    { name: 'main', slots: 1, contextSize, queueSize: 4, routes: [], default: true },
    { name: 'background', slots: 1, contextSize, queueSize: 4, routes: [{ model: '*haiku*' }] },
  ];
}

let routed: RunningServer;
let single: RunningServer;
let looping: RunningServer;

beforeAll(async () => {
  const chatTemplate = readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8');
  const vocab = { gguf: vocabPath('qwen2') };
  const [scriptModel, loopModel] = await Promise.all([
    makeScriptedModel({ vocab, chatTemplate, script: SCRIPT }),
    makeScriptedModel({ vocab, chatTemplate, script: LOOP_SCRIPT, loop: true }),
  ]);
  [routed, single, looping] = await Promise.all([
    startTestServer({ model: scriptModel.path, caches: twoCaches(2048), apiKey: API_KEY }),
    startTestServer({ model: scriptModel.path, nCtx: 2048, parallel: 1, apiKey: API_KEY }),
    startTestServer({ model: loopModel.path, caches: twoCaches(2048), apiKey: API_KEY }),
  ]);
});

afterAll(async () => {
  await Promise.all([routed?.stop(), single?.stop(), looping?.stop()]);
});

function client(server: RunningServer): OpenAI {
  return new OpenAI({ baseURL: `${server.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
}

/** Main turn, a background request with a different long prompt, the main conversation's next turn. */
async function agentSequence(server: RunningServer) {
  const openai = client(server);
  const history: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are the main coding agent. Follow the project rules carefully. '.repeat(30) },
    { role: 'user', content: 'Please look at the failing build and explain it.' },
  ];
  const first = await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: history });
  const background = await openai.chat.completions.create({
    model: 'claude-3-5-haiku-20241022',
    messages: [
      { role: 'system', content: 'Summarize the conversation below as a short title for the session list. '.repeat(30) },
      { role: 'user', content: 'The user asked about a failing build.' },
    ],
  });
  const third = await openai.chat.completions.create({
    model: 'claude-sonnet-4-5',
    messages: [...history, { role: 'assistant', content: first.choices[0]!.message.content! }, { role: 'user', content: 'Now fix it.' }],
  });
  return { first, background, third };
}

describe('multi-cache routing', () => {
  it("keeps the main conversation's cache when a background request comes in between", async () => {
    const { first, background, third } = await agentSequence(routed);
    expect(first.usage!.prompt_tokens).toBeGreaterThan(300);
    expect(background.usage!.prompt_tokens).toBeGreaterThan(300);
    // The whole first prompt is reused (the last prompt token is always evaluated again).
    expect(third.usage!.prompt_tokens_details?.cached_tokens).toBeGreaterThanOrEqual(first.usage!.prompt_tokens - 1);
  });

  it('evicts the main conversation with a single one-slot cache (the control)', async () => {
    const { first, third } = await agentSequence(single);
    // Only the chat-template preamble both prompts start with survives.
    expect(third.usage!.prompt_tokens_details?.cached_tokens ?? 0).toBeLessThan(10);
    expect(first.usage!.prompt_tokens).toBeGreaterThan(300);
  });

  it('shows every cache and its slots at /slots, behind the API key', async () => {
    const denied = await fetch(`${routed.url}/slots`);
    expect(denied.status).toBe(401);
    const response = await fetch(`${routed.url}/slots`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as SlotsWire;
    expect(body.caches.map((cache) => [cache.name, cache.default, cache.n_ctx, cache.slots.length, cache.queue_depth])).toEqual([
      ['main', true, 2048, 1, 0],
      ['background', false, 2048, 1, 0],
    ]);
    for (const cache of body.caches) {
      const slot = cache.slots[0]!;
      expect(slot).toMatchObject({ id: 0, is_processing: false, n_ctx: 2048 });
      // Both caches hold their own conversation (the sequence test above ran on this server).
      expect(slot.n_cached_tokens).toBeGreaterThan(300);
      expect(new Date(slot.last_used!).getTime()).toBeLessThanOrEqual(Date.now());
      expect(slot.idle_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('reports the default cache as n_ctx and every cache at /props', async () => {
    const response = await fetch(`${routed.url}/props`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(await response.json()).toMatchObject({
      n_ctx: 2048,
      caches: [
        { name: 'main', slots: 1, n_ctx: 2048 },
        { name: 'background', slots: 1, n_ctx: 2048 },
      ],
    });
  });

  it('a busy main cache queues its own requests but does not block a background request', async () => {
    const openai = client(looping);
    const main = await openai.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Write a very long answer.' }],
      stream: true,
      max_tokens: 1500,
    });
    const iterator = main[Symbol.asyncIterator]();
    // Wait until the main request generates: its one slot is busy from here on.
    while (!(await iterator.next()).value?.choices[0]?.delta.content);
    let mainDone = 0;
    const draining = (async () => {
      while (!(await iterator.next()).done);
      mainDone = performance.now();
    })();
    // A second main request waits for main's slot…
    const queued = openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Queued behind.' }], max_tokens: 2 });
    const deadline = Date.now() + 5_000;
    while (looping.engine.queueDepth('main') < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(looping.engine.queueDepth('main')).toBe(1);
    // …while a background request is served right away.
    const background = await openai.chat.completions.create({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'A title, please.' }],
      max_tokens: 4,
    });
    const backgroundDone = performance.now();
    expect(background.usage!.completion_tokens).toBe(4);
    expect(mainDone).toBe(0);
    expect(looping.engine.slots().find((slot) => slot.cache === 'main')!.busy).toBe(true);
    await draining;
    expect(mainDone).toBeGreaterThan(backgroundDone);
    expect((await queued).usage!.completion_tokens).toBe(2);
  });
});
