import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatPipeline } from '../chat/pipeline.js';
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE } from '../chat/template.js';
import { MockEngine } from '../engine/mock-engine.js';
import { silentLogger } from '../log.js';
import { createApp, ServerState } from '../server/app.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const headers = { host: '127.0.0.1:8000', 'x-api-key': 'secret' };
const openai = { model: 'm', messages: [{ role: 'user', content: 'Tell me something about the weather today.' }] };
const anthropic = { model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'Tell me something about the weather today.' }] };

async function build(ready = true) {
  const state = new ServerState();
  if (ready) {
    const engine = new MockEngine({ slots: 1 });
    state.engine = engine;
    state.ready(new ChatPipeline({ engine, template: new ChatTemplate(DEFAULT_CHAT_TEMPLATE, {}), logger: silentLogger, family: 'generic', reasoningFormat: 'auto' }));
  }
  app = await createApp({ state, host: '127.0.0.1', apiKey: 'secret', logger: false });
  return app;
}

/** Parse the Prometheus text into `name{labels}` → value, checking every sample has HELP and TYPE. */
async function scrape(server: FastifyInstance): Promise<Map<string, number>> {
  const response = await server.inject({ url: '/metrics', headers });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('text/plain; version=0.0.4');
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of response.body.trimEnd().split('\n')) {
    const type = /^# TYPE (\S+) (counter|gauge)$/.exec(line);
    if (type) typed.add(type[1]!);
    if (line.startsWith('#') || line === '') continue;
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    expect(match, line).not.toBeNull();
    expect(typed.has(match![1]!), `TYPE for ${match![1]}`).toBe(true);
    samples.set(match![1]! + (match![2] ?? ''), Number(match![3]));
  }
  return samples;
}

describe('GET /metrics', () => {
  it('needs the API key', async () => {
    const server = await build();
    expect((await server.inject({ url: '/metrics', headers: { host: headers.host } })).statusCode).toBe(401);
  });

  it('counts requests by route and status, and tokens across both APIs', async () => {
    const server = await build();
    const before = await scrape(server);
    expect(before.get('llama_bridge_prompt_tokens_total{cache="default"}') ?? 0).toBe(0);
    expect(before.get('llama_bridge_prompt_cache_hit_ratio')).toBe(0);
    expect(before.get('llama_bridge_queue_depth{cache="default"}')).toBe(0);
    // Process memory, read at scrape time.
    expect(before.get('llama_bridge_process_memory_bytes{kind="rss"}')).toBeGreaterThan(before.get('llama_bridge_process_memory_bytes{kind="heap_used"}')!);
    expect(before.get('llama_bridge_process_memory_bytes{kind="heap_total"}')).toBeGreaterThanOrEqual(before.get('llama_bridge_process_memory_bytes{kind="heap_used"}')!);

    const first = (await server.inject({ method: 'POST', url: '/v1/chat/completions', headers, payload: openai })).json();
    const second = (await server.inject({ method: 'POST', url: '/v1/chat/completions', headers, payload: openai })).json();
    const third = await server.inject({ method: 'POST', url: '/v1/messages', headers, payload: { ...anthropic, stream: true } });
    expect(third.statusCode).toBe(200);
    await server.inject({ url: '/nowhere', headers });
    await server.inject({ method: 'POST', url: '/v1/chat/completions', headers: { host: headers.host }, payload: openai });

    const after = await scrape(server);
    expect(after.get('llama_bridge_http_requests_total{route="/v1/chat/completions",method="POST",status="200"}')).toBe(2);
    expect(after.get('llama_bridge_http_requests_total{route="/v1/chat/completions",method="POST",status="401"}')).toBe(1);
    expect(after.get('llama_bridge_http_requests_total{route="/v1/messages",method="POST",status="200"}')).toBe(1);
    expect(after.get('llama_bridge_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(1);
    expect(after.get('llama_bridge_http_requests_total{route="/metrics",method="GET",status="200"}')).toBe(1);

    // The OpenAI answers report their usage; the Anthropic one renders the same prompt.
    const prompt = first.usage.prompt_tokens + second.usage.prompt_tokens;
    const cachedSecond: number = second.usage.prompt_tokens_details?.cached_tokens ?? 0;
    expect(cachedSecond).toBeGreaterThan(0);
    const promptTotal = after.get('llama_bridge_prompt_tokens_total{cache="default"}')!;
    const cachedTotal = after.get('llama_bridge_prompt_cached_tokens_total{cache="default"}')!;
    expect(promptTotal).toBeGreaterThan(prompt);
    expect(cachedTotal).toBeGreaterThanOrEqual(cachedSecond);
    expect(after.get('llama_bridge_generated_tokens_total{cache="default"}')).toBeGreaterThanOrEqual(first.usage.completion_tokens + second.usage.completion_tokens);
    expect(after.get('llama_bridge_prompt_cache_hit_ratio')).toBeCloseTo(cachedTotal / promptTotal, 10);
    expect(after.get('llama_bridge_generation_seconds_total{cache="default"}')).toBeGreaterThanOrEqual(0);
    const finished = [...after].filter(([name]) => name.startsWith('llama_bridge_generations_total{')).reduce((sum, [, value]) => sum + value, 0);
    expect(finished).toBe(3);
    expect(after.get('llama_bridge_generations_in_flight')).toBe(0);
  });

  it('answers while the model loads, and counts the refused generation', async () => {
    const server = await build(false);
    expect((await server.inject({ method: 'POST', url: '/v1/chat/completions', headers, payload: openai })).statusCode).toBe(503);
    const samples = await scrape(server);
    expect(samples.get('llama_bridge_queue_depth') ?? 0).toBe(0);
    expect(samples.get('llama_bridge_generations_total{cache="default",outcome="error"}')).toBe(1);
    expect(samples.get('llama_bridge_http_requests_total{route="/v1/chat/completions",method="POST",status="503"}')).toBe(1);
  });
});
