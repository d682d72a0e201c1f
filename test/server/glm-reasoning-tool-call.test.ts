// GLM-4.7-Flash through the server with real inference (issue 14): its generation prompt opens
// thinking (`<|assistant|><think>`), so the model writes its reasoning, `</think>`, then a tool
// call in GLM-4.7's own syntax (no newlines). The lazy tool-call grammar takes over at
// `<tool_call>`: the engine rewinds to the trigger and the grammar writes the call again. The
// answer must come back as llama.cpp's server gives it: reasoning_content the reasoning, no
// markup in content, one call with its name and arguments; streamed and not.

import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';
import { WEATHER_TOOL } from '../helpers/tools.js';

const REASONING = 'The user wants the weather in Paris, so I call the tool.';
const CALL = '<tool_call>get_weather<arg_key>city</arg_key><arg_value>Paris</arg_value></tool_call>';

const TOOLS: OpenAI.ChatCompletionFunctionTool[] = [WEATHER_TOOL];

const MESSAGES: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];

type ReasoningMessage = { content?: string | null; reasoning_content?: string };

describe('GLM-4.7-Flash: reasoning then a tool call on a scripted model (real inference)', () => {
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    const model = await makeScriptedModel({
      vocab: { gguf: vocabPath('qwen2') },
      chatTemplate: readFileSync(templatePath('GLM-4.7-Flash'), 'utf8'),
      script: `${REASONING}</think>${CALL}`,
      startAfter: 'Paris?<|assistant|><think>',
      memory: 2,
    });
    server = await startTestServer({ model: model.path, nCtx: 4096, parallel: 1 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('returns the reasoning and the call, not streamed', async () => {
    const completion = await client.chat.completions.create({ model: 'm', messages: MESSAGES, tools: TOOLS, temperature: 0 });
    const choice = completion.choices[0]!;
    const message = choice.message as OpenAI.ChatCompletionMessage & ReasoningMessage;
    expect(message.reasoning_content).toBe(REASONING);
    expect(message.content ?? '').toBe('');
    expect(choice.finish_reason).toBe('tool_calls');
    expect(message.tool_calls).toHaveLength(1);
    const call = message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
  });

  it('returns the reasoning and the call, streamed', async () => {
    const stream = await client.chat.completions.create({ model: 'm', messages: MESSAGES, tools: TOOLS, temperature: 0, stream: true });
    let content = '';
    let reasoning = '';
    let finish: string | null | undefined;
    const calls: { name: string; arguments: string }[] = [];
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      const delta = choice?.delta as (OpenAI.ChatCompletionChunk.Choice.Delta & ReasoningMessage) | undefined;
      content += delta?.content ?? '';
      reasoning += delta?.reasoning_content ?? '';
      for (const call of delta?.tool_calls ?? []) {
        calls[call.index] ??= { name: '', arguments: '' };
        calls[call.index]!.name += call.function?.name ?? '';
        calls[call.index]!.arguments += call.function?.arguments ?? '';
      }
      finish = choice?.finish_reason ?? finish;
    }
    expect(reasoning).toBe(REASONING);
    expect(content).toBe('');
    expect(finish).toBe('tool_calls');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.name).toBe('get_weather');
    expect(JSON.parse(calls[0]!.arguments)).toEqual({ city: 'Paris' });
  });

  it('returns the reasoning and the call with tool_choice required (the grammar from the end of thinking)', async () => {
    const completion = await client.chat.completions.create({ model: 'm', messages: MESSAGES, tools: TOOLS, tool_choice: 'required', temperature: 0 });
    const choice = completion.choices[0]!;
    const message = choice.message as OpenAI.ChatCompletionMessage & ReasoningMessage;
    expect(message.reasoning_content).toBe(REASONING);
    expect(message.content ?? '').toBe('');
    expect(choice.finish_reason).toBe('tool_calls');
    const call = message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
  });

  it('answers without tools with the same output as text after the reasoning', async () => {
    const completion = await client.chat.completions.create({ model: 'm', messages: MESSAGES, temperature: 0 });
    const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & ReasoningMessage;
    expect(message.reasoning_content).toBe(REASONING);
    expect(message.tool_calls ?? []).toHaveLength(0);
  });
});
