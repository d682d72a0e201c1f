// gpt-oss (Harmony) end to end on scripted fixture models: real llama.cpp inference with the
// qwen2 vocab, where `<|channel|>`, `<|message|>`, `<|end|>`… are not special tokens but
// several plain text pieces (`<|`, `channel`, `|>`…), so every marker reaches the parser
// split across streamed pieces. The official OpenAI client must get the analysis as
// reasoning_content and the final channel as content, streamed and not, as llama.cpp's
// server does.

import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/start.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer } from '../helpers/server.js';
import { WEATHER_TOOL } from '../helpers/tools.js';

const TEMPLATE = 'openai-gpt-oss-120b';
/** The end of the template's generation prompt. */
const START_AFTER = '<|start|>assistant';

type Message = OpenAI.ChatCompletionMessage & { reasoning_content?: string };
type Delta = { content?: string | null; reasoning_content?: string; tool_calls?: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] };

async function scriptedServer(script: string): Promise<{ server: RunningServer; client: OpenAI; pieces: number }> {
  const model = await makeScriptedModel({
    vocab: { gguf: vocabPath('qwen2') },
    chatTemplate: readFileSync(templatePath(TEMPLATE), 'utf8'),
    script,
    startAfter: START_AFTER,
    memory: 3,
  });
  const server = await startTestServer({ model: model.path, nCtx: 4096, parallel: 1 });
  return { server, client: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 }), pieces: model.scriptTokens.length };
}

async function streamed(client: OpenAI, body: Omit<OpenAI.ChatCompletionCreateParamsStreaming, 'stream'>) {
  const stream = await client.chat.completions.create({ ...body, stream: true });
  let content = '';
  let reasoning = '';
  let finish: string | null = null;
  const calls: { name: string; arguments: string }[] = [];
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    const delta = choice.delta as Delta;
    content += delta.content ?? '';
    reasoning += delta.reasoning_content ?? '';
    for (const call of delta.tool_calls ?? []) {
      calls[call.index] ??= { name: '', arguments: '' };
      calls[call.index]!.name += call.function?.name ?? '';
      calls[call.index]!.arguments += call.function?.arguments ?? '';
    }
    finish = choice.finish_reason ?? finish;
  }
  return { content, reasoning, calls, finish };
}

const TOOLS: OpenAI.ChatCompletionFunctionTool[] = [WEATHER_TOOL];

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello.' }];

describe('gpt-oss analysis then final, markers as plain text pieces (real inference)', () => {
  const analysis = 'The user wants a greeting.';
  const final = 'Hello! How can I help you today?';
  let server: RunningServer;
  let client: OpenAI;
  let pieces: number;

  beforeAll(async () => {
    ({ server, client, pieces } = await scriptedServer(`<|channel|>analysis<|message|>${analysis}<|end|><|start|>assistant<|channel|>final<|message|>${final}`));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('the markers really are several pieces each', () => {
    // `<|channel|>` alone would be one piece with a gpt-oss vocab; with qwen2 the script is far longer.
    expect(pieces).toBeGreaterThan(30);
  });

  it('returns the analysis as reasoning_content and the final channel as content', async () => {
    const completion = await client.chat.completions.create({ model: 'm', messages, temperature: 0 });
    const message = completion.choices[0]!.message as Message;
    expect(message.content).toBe(final);
    expect(message.reasoning_content).toBe(analysis);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
  });

  it('streams the same', async () => {
    const result = await streamed(client, { model: 'm', messages, temperature: 0 });
    expect(result).toEqual({ content: final, reasoning: analysis, calls: [], finish: 'stop' });
  });

  it('answers the same with tools offered (the lazy tool-call grammar watching for its trigger)', async () => {
    const completion = await client.chat.completions.create({ model: 'm', messages, tools: TOOLS, temperature: 0 });
    const message = completion.choices[0]!.message as Message;
    expect(message.content).toBe(final);
    expect(message.reasoning_content).toBe(analysis);
    expect(message.tool_calls ?? []).toHaveLength(0);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    const result = await streamed(client, { model: 'm', messages, tools: TOOLS, temperature: 0 });
    expect(result).toEqual({ content: final, reasoning: analysis, calls: [], finish: 'stop' });
  });
});

describe('gpt-oss final channel only, markers as plain text pieces (real inference)', () => {
  const final = 'Hello there.';
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    ({ server, client } = await scriptedServer(`<|channel|>final<|message|>${final}<|return|>`));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('returns the final channel as content, streamed and not', async () => {
    const completion = await client.chat.completions.create({ model: 'm', messages, temperature: 0 });
    const message = completion.choices[0]!.message as Message;
    expect(message.content).toBe(final);
    expect(message.reasoning_content ?? '').toBe('');
    const result = await streamed(client, { model: 'm', messages, temperature: 0 });
    expect(result).toEqual({ content: final, reasoning: '', calls: [], finish: 'stop' });
  });
});

describe('gpt-oss with whitespace between its messages, markers as plain text pieces (real inference)', () => {
  // Streamed, the parser meets the whitespace before it has seen the header that follows; it
  // must still read that header as one (whole, it always did).
  const analysis = 'Greet them.';
  const final = 'Hello!';
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    ({ server, client } = await scriptedServer(`\n<|channel|>analysis<|message|>${analysis}<|end|>\n<|channel|>final<|message|>${final}`));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('returns the analysis as reasoning_content and the final channel as content, streamed and not', async () => {
    const completion = await client.chat.completions.create({ model: 'm', messages, temperature: 0 });
    const message = completion.choices[0]!.message as Message;
    expect(message.content).toBe(final);
    expect(message.reasoning_content).toBe(analysis);
    const result = await streamed(client, { model: 'm', messages, temperature: 0 });
    expect(result).toEqual({ content: final, reasoning: analysis, calls: [], finish: 'stop' });
  });
});

describe('gpt-oss tool call, markers as plain text pieces (real inference)', () => {
  const analysis = 'User asks about weather.';
  const tools = TOOLS;
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    ({ server, client } = await scriptedServer(
      `<|channel|>analysis<|message|>${analysis}<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>`,
    ));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('returns the call with the analysis as reasoning_content, streamed and not', async () => {
    const body = { model: 'm', messages: [{ role: 'user' as const, content: 'Weather in Paris?' }], tools, temperature: 0 };
    const completion = await client.chat.completions.create(body);
    const choice = completion.choices[0]!;
    const message = choice.message as Message;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(message.reasoning_content).toBe(analysis);
    expect(message.content ?? '').toBe('');
    expect(message.tool_calls).toHaveLength(1);
    const call = message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    const result = await streamed(client, body);
    expect(result.finish).toBe('tool_calls');
    expect(result.reasoning).toBe(analysis);
    expect(result.content).toBe('');
    expect(result.calls.map((c) => ({ name: c.name, args: JSON.parse(c.arguments) as unknown }))).toEqual([{ name: 'get_weather', args: { city: 'Paris' } }]);
  });
});
