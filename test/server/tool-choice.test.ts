// tool_choice enforced by grammar, through both APIs and the official clients, on real
// inference with a random-weights model: without the grammar such a model writes noise, so
// a well-formed call of the right tool with schema-valid arguments can only come from the
// grammar. Also: a model that would answer in text is made to call when the client requires it.

import Anthropic from '@anthropic-ai/sdk';
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/start.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeRandomModel, makeScriptedModel } from '../fixtures/models.js';
import { startTestServer } from '../helpers/server.js';

const WEATHER = { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'], additionalProperties: false };
const TIME = { type: 'object', properties: { timezone: { type: 'string', enum: ['UTC', 'Europe/Paris'] } }, required: ['timezone'], additionalProperties: false };
const TOOLS: OpenAI.ChatCompletionFunctionTool[] = [
  { type: 'function', function: { name: 'get_weather', parameters: WEATHER } },
  { type: 'function', function: { name: 'get_time', parameters: TIME } },
];
const SCHEMAS: Record<string, object> = { get_weather: WEATHER, get_time: TIME };
const ajv = new Ajv();

function expectValidCall(name: string | undefined, args: string | undefined, allowed: string[]): void {
  expect(allowed).toContain(name);
  const parsed: unknown = JSON.parse(args ?? '');
  expect(ajv.validate(SCHEMAS[name!]!, parsed), JSON.stringify(ajv.errors)).toBe(true);
}

describe('tool_choice on a random model (hermes, Qwen2.5 template)', () => {
  let server: RunningServer;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    const model = await makeRandomModel({
      shape: 'tiny',
      vocab: { gguf: vocabPath('qwen2') },
      chatTemplate: readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8'),
    });
    server = await startTestServer({ model: model.path, nCtx: 2048, parallel: 2 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: server.url, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];

  it.each([1, 2, 3])('required: a call of an offered tool with valid arguments (seed %i)', async (seed) => {
    const completion = await openai.chat.completions.create({ model: 'm', messages, tools: TOOLS, tool_choice: 'required', seed, max_tokens: 200 });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls!.length).toBeGreaterThanOrEqual(1);
    for (const call of choice.message.tool_calls!) {
      if (call.type !== 'function') throw new Error('not a function call');
      expectValidCall(call.function.name, call.function.arguments, ['get_weather', 'get_time']);
    }
  });

  it('a named function, streamed, with parallel_tool_calls false: exactly that one call', async () => {
    const final = await openai.chat.completions
      .stream({ model: 'm', messages, tools: TOOLS, tool_choice: { type: 'function', function: { name: 'get_time' } }, parallel_tool_calls: false, seed: 7, max_tokens: 200 })
      .finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls!;
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    if (call.type !== 'function') throw new Error('not a function call');
    expectValidCall(call.function.name, call.function.arguments, ['get_time']);
  });

  it('Anthropic tool_choice any and tool: tool_use blocks with valid input', async () => {
    const tools: Anthropic.Tool[] = [
      { name: 'get_weather', input_schema: WEATHER as Anthropic.Tool.InputSchema },
      { name: 'get_time', input_schema: TIME as Anthropic.Tool.InputSchema },
    ];
    // One call: with parallel calls allowed, a random model (unseeded: Anthropic has no seed) may
    // chain calls until max_tokens, and the stop reason would be max_tokens, not the grammar's fault.
    const any = await anthropic.messages
      .stream({ model: 'claude-x', max_tokens: 200, messages: [{ role: 'user', content: 'Weather?' }], tools, tool_choice: { type: 'any', disable_parallel_tool_use: true } })
      .finalMessage();
    expect(any.stop_reason).toBe('tool_use');
    const uses = any.content.filter((block) => block.type === 'tool_use');
    expect(uses.length).toBeGreaterThanOrEqual(1);
    for (const use of uses) expectValidCall(use.name, JSON.stringify(use.input), ['get_weather', 'get_time']);

    const named = await anthropic.messages.create({
      model: 'claude-x',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Time?' }],
      tools,
      tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
    });
    const only = named.content.filter((block) => block.type === 'tool_use');
    expect(only).toHaveLength(1);
    expectValidCall(only[0]!.name, JSON.stringify(only[0]!.input), ['get_weather']);
  });

  it('rejects a named tool that is not offered, in each API’s error shape', async () => {
    await expect(openai.chat.completions.create({ model: 'm', messages, tools: TOOLS, tool_choice: { type: 'function', function: { name: 'nope' } } })).rejects.toMatchObject({
      status: 400,
    });
  });
});

describe('tool_choice required on a model that would answer in text (scripted, Qwen2.5 template)', () => {
  let server: RunningServer;
  let openai: OpenAI;

  beforeAll(async () => {
    const model = await makeScriptedModel({
      vocab: { gguf: vocabPath('qwen2') },
      chatTemplate: readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8'),
      script: 'It is sunny.',
    });
    server = await startTestServer({ model: model.path, nCtx: 2048, parallel: 1 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers in text with tool_choice auto, and calls a tool when required', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const free = await openai.chat.completions.create({ model: 'm', messages, tools: TOOLS, temperature: 0 });
    expect(free.choices[0]!.message.content).toBe('It is sunny.');
    expect(free.choices[0]!.finish_reason).toBe('stop');

    const forced = await openai.chat.completions.create({
      model: 'm',
      messages,
      tools: TOOLS,
      tool_choice: 'required',
      parallel_tool_calls: false,
      temperature: 0,
      max_tokens: 200,
    });
    expect(forced.choices[0]!.finish_reason).toBe('tool_calls');
    const call = forced.choices[0]!.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('not a function call');
    expectValidCall(call.function.name, call.function.arguments, ['get_weather', 'get_time']);
  });
});
