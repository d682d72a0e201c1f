// The remote engine with `--remote-protocol openai-completions` (vLLM, SGLang) against a fake
// shaped as their sources stream `POST /v1/completions` (test/fixtures/fake-completions-server.ts).
// GLM-4.7-Flash's template on a scripted vocabulary: our server renders and tokenizes; the fake
// streams the answer's token ids (or, playing an older server, text only) back.

import type { LlamaModel, Token } from 'node-llama-cpp';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCompletionsServer, type FakeCompletionsServer } from '../fixtures/fake-completions-server.js';
import { vocabPath } from '../fixtures/llama-cpp-source.js';
import { glmWeatherModel, GLM_REASONING } from '../fixtures/glm-weather.js';
import { fixtureLlama, type ScriptedModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';
import { WEATHER_TOOL } from '../helpers/tools.js';

const ASK: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];

describe('remote engine: OpenAI-style completions (vLLM, SGLang), against a faithful fake', () => {
  let model: ScriptedModel;
  let vocabulary: LlamaModel;
  let vllm: FakeCompletionsServer;
  let sglang: FakeCompletionsServer;
  let server: RunningServer;
  let textOnly: RunningServer;

  beforeAll(async () => {
    model = await glmWeatherModel();
    vocabulary = await (await fixtureLlama()).loadModel({ modelPath: vocabPath('qwen2'), vocabOnly: true, gpuLayers: 0 });
    const common = {
      answer: () => [...model.scriptTokens, model.endToken!],
      eog: [model.endToken!],
      text: (tokens: number[]) => vocabulary.detokenize(tokens as Token[], true),
      maxModelLen: 8192,
    };
    vllm = await startFakeCompletionsServer({ ...common, flavor: 'vllm', model: 'zai-org/GLM-4.7-Flash', reportCached: true });
    sglang = await startFakeCompletionsServer({ ...common, flavor: 'sglang', model: 'default', tokenIds: false });
    server = await startTestServer({ model: model.path, remote: vllm.url, remoteProtocol: 'openai-completions', parallel: 2 });
    textOnly = await startTestServer({ model: model.path, remote: sglang.url, remoteProtocol: 'openai-completions', parallel: 1 });
  }, 300_000);
  afterEach(() => {
    vllm.fault = 'none';
  });
  afterAll(async () => {
    await server?.stop();
    await textOnly?.stop();
    await vllm?.close();
    await sglang?.close();
    await vocabulary?.dispose();
  });

  const client = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });

  it('sends the served model, token ids, usage and token-id requests; parses the free-running tool call here', async () => {
    const completion = await client(server.url).chat.completions.create({ model: 'glm', messages: ASK, tools: [WEATHER_TOOL], temperature: 0 });
    const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.reasoning_content).toBe(GLM_REASONING);
    expect(message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    const { body } = vllm.requests.at(-1)!;
    expect(body).toMatchObject({
      model: 'zai-org/GLM-4.7-Flash',
      stream: true,
      stream_options: { include_usage: true },
      return_token_ids: true,
      skip_special_tokens: false,
      temperature: 0,
      max_tokens: 8192 - (body.prompt as number[]).length,
    });
    expect((body.prompt as unknown[]).every((token) => Number.isInteger(token))).toBe(true);
    // No lazy grammars there: a tool call offered with tool_choice auto runs free.
    expect(body).not.toHaveProperty('structured_outputs');
    expect(body).not.toHaveProperty('ebnf');
  });

  it("reports the remote's own count of cached prompt tokens", async () => {
    await client(server.url).chat.completions.create({ model: 'glm', messages: ASK, temperature: 0 });
    const again = await client(server.url).chat.completions.create({ model: 'glm', messages: ASK, temperature: 0 });
    expect(again.usage?.prompt_tokens_details?.cached_tokens).toBe(again.usage!.prompt_tokens - 1);
  });

  it("sends a response_format grammar in vLLM's field", async () => {
    await client(server.url)
      .chat.completions.create({
        model: 'glm',
        messages: [{ role: 'user', content: 'A JSON object, please.' }],
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } } },
        max_tokens: 5,
      })
      .catch(() => undefined);
    const { body } = vllm.requests.at(-1)!;
    expect((body.structured_outputs as { grammar?: unknown }).grammar).toMatch(/root\s*::=/);
    expect(body).not.toHaveProperty('ebnf');
  });

  it('sends the conversation key where prefix-aware routers look for it', async () => {
    await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-claude-code-session-id': 'session-42' },
      body: JSON.stringify({ model: 'glm', messages: ASK, max_tokens: 3 }),
    });
    expect(vllm.requests.at(-1)!.headers).toMatchObject({ 'x-session-id': 'session-42', 'x-smg-routing-key': 'session-42' });
    // Without a session header: the first user message stands for the conversation, the same on every turn.
    await client(server.url).chat.completions.create({ model: 'glm', messages: ASK, max_tokens: 3 });
    const first = vllm.requests.at(-1)!.headers['x-session-id'];
    await client(server.url).chat.completions.create({
      model: 'glm',
      messages: [...ASK, { role: 'assistant', content: 'Sunny.' }, { role: 'user', content: 'Thanks' }],
      max_tokens: 3,
    });
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(vllm.requests.at(-1)!.headers['x-session-id']).toBe(first);
  });

  it('serves a server that sends text only (SGLang before token ids) by tokenizing its text', async () => {
    const completion = await client(textOnly.url).chat.completions.create({ model: 'glm', messages: ASK, tools: [WEATHER_TOOL], temperature: 0 });
    const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.reasoning_content).toBe(GLM_REASONING);
    expect(message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    expect(sglang.requests.at(-1)!.body).toMatchObject({ model: 'default' });
    // SGLang did not report cache hits: none are claimed.
    expect(completion.usage?.prompt_tokens_details?.cached_tokens ?? 0).toBe(0);
  });

  it("ends a stream with the API's error when the remote reports one mid-way", async () => {
    vllm.fault = 'error-event';
    const stream = await client(server.url).chat.completions.create({ model: 'glm', messages: ASK, stream: true });
    const failure = await (async () => {
      for await (const _chunk of stream) void _chunk;
    })().catch((error: unknown) => error);
    expect(String(failure)).toContain('Internal server error');
    expect(server.engine.slots().every((slot) => !slot.busy)).toBe(true);
  });

  it('refuses at start-up a server that does not say its context length', async () => {
    const bare = await startFakeCompletionsServer({ flavor: 'vllm', model: 'm', maxModelLen: 0, answer: () => [], eog: [], text: () => '' });
    try {
      await expect(startTestServer({ model: model.path, remote: bare.url, remoteProtocol: 'openai-completions', parallel: 1 })).rejects.toThrow(/does not say its context length/);
    } finally {
      await bare.close();
    }
  });
});
