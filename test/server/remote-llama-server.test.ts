// The remote engine against the real llama.cpp server (built by `npm run bench` from the source
// node-llama-cpp ships; skipped where that build is absent, as in CI, which runs the same
// checks against the fake in remote-engine.test.ts). The fixture model is GLM-4.7-Flash's
// template on a scripted model: reasoning, then a tool call. Our server renders and tokenizes,
// llama-server evaluates, samples and applies the lazy tool-call grammar; the official SDKs must
// get the call and the stream exactly as in-process.
//
//   npm run bench -- --spec --reps 1 --spec-variants ls-none   # builds llama-server once (~15 min)
//   npx vitest run test/server/remote-llama-server.test.ts

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glmWeatherModel, GLM_REASONING } from '../fixtures/glm-weather.js';
import { builtLlamaServer, startRealLlamaServer, type RealLlamaServer } from '../helpers/llama-server.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';
import { WEATHER_TOOL } from '../helpers/tools.js';

const binary = builtLlamaServer();

describe.runIf(binary)('remote engine against the real llama.cpp server', () => {
  let remote: RealLlamaServer;
  let server: RunningServer;
  let inProcess: RunningServer;

  beforeAll(async () => {
    const model = await glmWeatherModel();
    remote = await startRealLlamaServer(binary!, model.path, { slots: 2, slotContext: 4096 });
    server = await startTestServer({ model: model.path, remote: remote.url, parallel: 2 });
    inProcess = await startTestServer({ model: model.path, nCtx: 4096, parallel: 1 });
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    await inProcess?.stop();
    await remote?.stop();
  });

  it('streams reasoning and the tool call to the OpenAI SDK as the in-process engine does', async () => {
    const run = async (url: string) => {
      const stream = await new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 }).chat.completions.create({
        model: 'glm',
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
        tools: [WEATHER_TOOL],
        temperature: 0,
        stream: true,
      });
      let reasoning = '';
      let args = '';
      let name = '';
      let finish: string | null = null;
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        reasoning += (choice?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
        for (const call of choice?.delta.tool_calls ?? []) {
          name += call.function?.name ?? '';
          args += call.function?.arguments ?? '';
        }
        finish = choice?.finish_reason ?? finish;
      }
      return { reasoning, name, args, finish };
    };
    const remoteAnswer = await run(server.url);
    expect(remoteAnswer).toEqual({ reasoning: GLM_REASONING, name: 'get_weather', args: '{"city":"Paris"}', finish: 'tool_calls' });
    expect(remoteAnswer).toEqual(await run(inProcess.url));
  });

  it('gives the Anthropic SDK thinking and tool_use, and the next turn reuses the remote slot', async () => {
    const client = new Anthropic({ baseURL: server.url, apiKey: 'x', maxRetries: 0 });
    const ask = {
      model: 'glm',
      max_tokens: 300,
      messages: [{ role: 'user' as const, content: 'What is the weather in Paris?' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } }],
    };
    const first = await client.messages.stream(ask).finalMessage();
    expect(first.content[0]).toMatchObject({ type: 'thinking', thinking: GLM_REASONING });
    expect(first.content.at(-1)).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    const second = await client.messages.create(ask);
    // llama-server's own count of the prompt tokens it kept (timings.cache_n).
    expect(second.usage.cache_read_input_tokens).toBeGreaterThan(first.usage.input_tokens - 5);
  });
});
