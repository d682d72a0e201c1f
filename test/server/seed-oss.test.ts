// ByteDance Seed-OSS through the server, with real inference (issue 14). Its template starts
// with a dict literal with int keys (`{0: 0, 512: 128, …}`, read back with `|dictsort` and
// `[16384]`), which our interpreter refused: every request, with or without tools, was a 500
// ("Object keys must be strings: got IntegerValue"). Here a scripted model (real qwen2
// tokenizer) with Seed-OSS's template answers a conversation with tools, a system message,
// reasoning, a tool call whose arguments the template walks with `| items`, and its result.

import { readFileSync } from 'node:fs';
import { getLlama, type LlamaModel } from 'node-llama-cpp';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatTemplate } from '../../src/chat/template.js';
import type { ChatMessage } from '../../src/chat/types.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';

const ANSWER = 'It is sunny in Paris.';

const TOOLS: OpenAI.ChatCompletionFunctionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string', description: 'City name' }, days: { type: 'integer', description: 'Days ahead' } },
        required: ['city'],
      },
    },
  },
];

const ARGUMENTS = '{"city": "Paris", "days": 2, "options": {"units": "metric"}}';

const MESSAGES: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are a weather bot.' },
  { role: 'user', content: 'What is the weather in Paris?' },
  {
    role: 'assistant',
    content: 'Let me check.',
    reasoning_content: 'The user wants the weather; call the tool.',
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: ARGUMENTS } }],
  } as OpenAI.ChatCompletionAssistantMessageParam,
  { role: 'tool', tool_call_id: 'call_1', content: '{"temperature_c": 21, "sky": "clear"}' },
];

/** The same conversation as the server receives it. */
const CHAT_MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are a weather bot.' },
  { role: 'user', content: 'What is the weather in Paris?' },
  {
    role: 'assistant',
    content: 'Let me check.',
    reasoning: 'The user wants the weather; call the tool.',
    toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: ARGUMENTS }],
  },
  { role: 'tool', toolCallId: 'call_1', content: '{"temperature_c": 21, "sky": "clear"}' },
];

describe('ByteDance Seed-OSS on a scripted model (real inference)', () => {
  let server: RunningServer;
  let client: OpenAI;
  let tokenizer: LlamaModel;
  const source = readFileSync(templatePath('ByteDance-Seed-OSS'), 'utf8');

  beforeAll(async () => {
    const model = await makeScriptedModel({ vocab: { gguf: vocabPath('qwen2') }, chatTemplate: source, script: ANSWER });
    server = await startTestServer({ model: model.path, nCtx: 4096, parallel: 1 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
    tokenizer = await (await getLlama({ build: 'never' })).loadModel({ modelPath: model.path, vocabOnly: true });
  });
  afterAll(async () => {
    await server?.stop();
    await tokenizer?.dispose();
  });

  it('renders tools, the tool-call history and its result as Seed-OSS writes them', () => {
    const prompt = new ChatTemplate(source).render({
      messages: CHAT_MESSAGES,
      tools: TOOLS.map((tool) => ({ name: tool.function.name, description: tool.function.description!, parameters: tool.function.parameters! })),
    });
    expect(prompt).toContain('<seed:bos>system\nYou are a weather bot.\n\nFunction:\ndef get_weather(city: str,days: int):');
    expect(prompt).toContain('- city (str) [必填]: City name');
    expect(prompt).toContain(
      '<seed:bos>assistant\n<seed:think>The user wants the weather; call the tool.</seed:think>\nLet me check.\n\n<seed:tool_call>\n<function=get_weather>\n' +
        "<parameter=city>Paris</parameter>\n<parameter=days>2</parameter>\n<parameter=options>{'units': 'metric'}</parameter>\n</function>\n</seed:tool_call><seed:eos>",
    );
    expect(prompt.endsWith('<seed:bos>tool\n{"temperature_c": 21, "sky": "clear"}<seed:eos><seed:bos>assistant\n')).toBe(true);
  });

  it('answers a request with tools and a tool-call history, not streamed', async () => {
    const completion = await client.chat.completions.create({ model: 'm', messages: MESSAGES, tools: TOOLS, temperature: 0 });
    const choice = completion.choices[0]!;
    expect(choice.message.content).toBe(ANSWER);
    expect(choice.message.tool_calls ?? []).toHaveLength(0);
    expect(choice.finish_reason).toBe('stop');
    // The server rendered exactly the template's prompt for this conversation.
    const prompt = new ChatTemplate(source).render({
      messages: CHAT_MESSAGES,
      tools: TOOLS.map((tool) => ({ name: tool.function.name, description: tool.function.description!, parameters: tool.function.parameters! })),
    });
    expect(completion.usage!.prompt_tokens).toBe(tokenizer.tokenize(prompt, true).length);
  });

  it('answers the same request streamed', async () => {
    const stream = await client.chat.completions.create({ model: 'm', messages: MESSAGES, tools: TOOLS, temperature: 0, stream: true });
    let content = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(content).toBe(ANSWER);
    expect(finish).toBe('stop');
  });

  it('takes a thinking budget, which the template looks up in its int-keyed table', async () => {
    const body = { model: 'm', messages: MESSAGES, tools: TOOLS, temperature: 0, chat_template_kwargs: { thinking_budget: 600 } };
    const completion = await client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(completion.choices[0]!.message.content).toBe(ANSWER);
    const prompt = new ChatTemplate(source).render({
      messages: CHAT_MESSAGES,
      tools: TOOLS.map((tool) => ({ name: tool.function.name, description: tool.function.description!, parameters: tool.function.parameters! })),
      kwargs: { thinking_budget: 600 },
    });
    // 600 falls in the 1024 gear, whose reflection interval is 256.
    expect(prompt).toContain('which is 600. That is, you need to complete your thinking within 600 tokens');
    expect(prompt).toContain('every 256 tokens');
    expect(completion.usage!.prompt_tokens).toBe(tokenizer.tokenize(prompt, true).length);
  });
});
