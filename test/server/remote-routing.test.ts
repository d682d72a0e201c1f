// A remote engine for one cache and in-process llama.cpp for another, routing rules unchanged:
// the main conversation goes to a remote (a faithful fake llama-server here) while background
// requests (a haiku model name, as Claude Code's title requests) run on the local model.

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlamaServer, type FakeLlamaServer } from '../fixtures/fake-llama-server.js';
import { glmWeatherModel, GLM_REASONING } from '../fixtures/glm-weather.js';
import type { ScriptedModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';
import { WEATHER_TOOL } from '../helpers/tools.js';

describe('a remote cache and a local cache, one routing table', () => {
  let model: ScriptedModel;
  let fake: FakeLlamaServer;
  let server: RunningServer;

  beforeAll(async () => {
    model = await glmWeatherModel();
    fake = await startFakeLlamaServer({ answer: () => [...model.scriptTokens, model.endToken!], eog: [model.endToken!], slots: 4 });
    server = await startTestServer({
      model: model.path,
      caches: [
        { name: 'main', slots: 4, contextSize: 4096, queueSize: 8, default: true, routes: [] },
        { name: 'background', slots: 1, contextSize: 2048, queueSize: 8, routes: [{ model: 'claude-*haiku*' }] },
      ],
      cacheRemotes: { main: { url: fake.url } },
    });
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  const ask = (name: string) =>
    new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 }).chat.completions.create({
      model: name,
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [WEATHER_TOOL],
      temperature: 0,
    });

  it('sends the main conversation to the remote and a background request to the local model; both answer alike', async () => {
    const before = fake.requests.length;
    const main = await ask('claude-sonnet-5');
    expect(fake.requests.length).toBe(before + 1);
    const background = await ask('claude-haiku-5');
    expect(fake.requests.length).toBe(before + 1);
    for (const completion of [main, background]) {
      const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
      expect(message.reasoning_content).toBe(GLM_REASONING);
      expect(message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    }
  });

  it('lists both caches, saying which one is remote', async () => {
    const props = (await (await fetch(`${server.url}/props`)).json()) as { caches: { name: string; remote?: { url: string } }[]; architecture?: string };
    expect(props.caches).toEqual([
      { name: 'main', slots: 4, n_ctx: 4096, remote: { url: fake.url, protocol: 'llama-server' } },
      { name: 'background', slots: 1, n_ctx: 2048 },
    ]);
    // The in-process engine describes the model.
    expect(props.architecture).toBe('llama');
    expect(server.engine.slots().map((slot) => `${slot.cache}/${slot.id}`)).toEqual(['main/0', 'main/1', 'main/2', 'main/3', 'background/0']);
  });
});
