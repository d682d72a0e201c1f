// The Anthropic Messages API end to end with the official `@anthropic-ai/sdk` client against
// the real server: (a) on the mock engine with scripted raw output (Qwen3's template, so
// thinking and tool calls go through the real parsers), (b) on a scripted fixture model with a
// real vocabulary and template (real llama.cpp inference) for tool calls and token counts.

import Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/start.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer } from '../helpers/server.js';

const API_KEY = 'test-key';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const TOOLS: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Current weather in a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

const COUNTING = 'one two three four five six seven eight nine ten';

/** A valid 1×1 PNG (70 bytes). */
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const PNG_NOTE = '[image: image/png, 70 bytes — not shown, this model has no vision support]';
const pngBlock = (): Anthropic.ImageBlockParam => ({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1X1 } });

describe('on the mock engine', () => {
  let server: RunningServer;
  let client: Anthropic;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anthropic-mock-'));
    const script = join(dir, 'script.json');
    writeFileSync(
      script,
      JSON.stringify({
        responses: [
          // Matched against the rendered prompt: only a prompt holding the note answers this.
          { match: `<tool_response>\\n${escapeRegExp(PNG_NOTE)}`, output: 'The tool returned an image I cannot see. TOOL-IMAGE-NOTED' },
          { match: escapeRegExp(PNG_NOTE), output: 'I cannot see that image. IMAGE-NOTED' },
          { match: 'MARK_TOOL', output: '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>' },
          { match: 'MARK_THINK', output: '<think>\nTwo plus two is four.\n</think>\n\nThe answer is 4.' },
          { match: 'MARK_COUNT', output: COUNTING },
          { output: 'Hello from the mock engine.' },
        ],
      }),
    );
    server = await startTestServer({ mock: true, mockScript: script, chatTemplateFile: templatePath('Qwen-Qwen3-0.6B'), apiKey: API_KEY });
    client = new Anthropic({ baseURL: server.url, apiKey: API_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers text, echoing any model name', async () => {
    const message = await client.messages.create({ model: 'claude-opus-4-1', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }] });
    expect(message.id).toMatch(/^msg_01[0-9A-Za-z]{22}$/);
    expect(message.model).toBe('claude-opus-4-1');
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from the mock engine.' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('streams thinking and text; the SDK helper rebuilds both', async () => {
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 32_000,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [{ role: 'user', content: 'MARK_THINK: what is 2+2?' }],
    });
    let text = '';
    stream.on('text', (delta) => (text += delta));
    const message = await stream.finalMessage();
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const [thinking, answer] = message.content as [Anthropic.ThinkingBlock, Anthropic.TextBlock];
    expect(thinking.thinking.trim()).toBe('Two plus two is four.');
    expect(thinking.signature.length).toBeGreaterThan(10);
    expect(answer.text).toBe('The answer is 4.');
    expect(text).toBe('The answer is 4.');
    expect(message.stop_reason).toBe('end_turn');

    // The same answer without streaming has the same blocks.
    const plain = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [{ role: 'user', content: 'MARK_THINK: what is 2+2?' }],
    });
    expect(plain.content).toEqual(message.content);
  });

  it('returns tool_use, streamed and not, and accepts the tool_result round trip', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'MARK_TOOL weather in Paris?' }];
    const plain = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 1024, tools: TOOLS, messages });
    expect(plain.stop_reason).toBe('tool_use');
    expect(plain.content).toHaveLength(1);
    const call = plain.content[0] as Anthropic.ToolUseBlock;
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expect(call.id).toMatch(/^toolu_01[0-9A-Za-z]{22}$/);

    const stream = client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 1024, tools: TOOLS, messages });
    const jsonDeltas: string[] = [];
    stream.on('inputJson', (delta) => jsonDeltas.push(delta));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expect(JSON.parse(jsonDeltas.join(''))).toEqual({ city: 'Paris' });

    // History with the call and its result (Claude Code's shape) is accepted.
    const next = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      tools: TOOLS,
      messages: [
        ...messages,
        { role: 'assistant', content: final.content as Anthropic.ContentBlockParam[] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: (final.content[0] as Anthropic.ToolUseBlock).id, content: 'Sunny, 21°C' }] },
      ],
    });
    expect(next.stop_reason).toBe('tool_use');
  });

  it('stops at a stop sequence and reports it', async () => {
    const message = await client.messages.create({
      model: 'm',
      max_tokens: 1024,
      stop_sequences: ['four'],
      messages: [{ role: 'user', content: 'MARK_COUNT' }],
    });
    expect(message.stop_reason).toBe('stop_sequence');
    expect(message.stop_sequence).toBe('four');
    expect(message.content).toEqual([{ type: 'text', text: 'one two three ' }]);
  });

  it('stops at max_tokens', async () => {
    const final = await client.messages.stream({ model: 'm', max_tokens: 3, messages: [{ role: 'user', content: 'MARK_COUNT' }] }).finalMessage();
    expect(final.stop_reason).toBe('max_tokens');
    expect(final.usage.output_tokens).toBe(3);
    expect(COUNTING.startsWith((final.content[0] as Anthropic.TextBlock).text)).toBe(true);
  });

  it('counts tokens exactly as the engine counts the same prompt', async () => {
    const params = {
      model: 'claude-x',
      system: [{ type: 'text' as const, text: 'You are terse.', cache_control: { type: 'ephemeral' as const } }],
      tools: TOOLS,
      messages: [{ role: 'user' as const, content: 'Count me, please.' }],
    };
    const counted = await client.messages.countTokens(params);
    const message = await client.messages.create({ ...params, max_tokens: 64 });
    expect(counted.input_tokens).toBe(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0));
    // Tools and system are part of the count.
    const bare = await client.messages.countTokens({ model: 'claude-x', messages: params.messages });
    expect(bare.input_tokens).toBeLessThan(counted.input_tokens);
  });

  it('hands errors to the SDK with the right class, status and type', async () => {
    const badRequest = await client.messages
      .create({ model: 'm', messages: [{ role: 'user', content: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(badRequest).toBeInstanceOf(Anthropic.BadRequestError);
    expect((badRequest as InstanceType<typeof Anthropic.BadRequestError>).status).toBe(400);
    expect((badRequest as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    });

    const orphan = await client.messages
      .create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_nope', content: 'x' }] }] })
      .catch((e: unknown) => e);
    expect(orphan).toBeInstanceOf(Anthropic.BadRequestError);
    expect((orphan as Error).message).toContain('messages.0.content.0.tool_use_id');

    const unauthorized = await new Anthropic({ baseURL: server.url, apiKey: 'wrong', maxRetries: 0 }).messages
      .create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((unauthorized as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ error: { type: 'authentication_error' } });

    const notFound = await client.models.retrieve('claude-nope').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(Anthropic.NotFoundError);

    // A prompt over the context, worded as Anthropic words it (Claude Code compacts on it).
    const tooLong = await client.messages
      .stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'word '.repeat(40_000) }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(Anthropic.BadRequestError);
    expect((tooLong as Error).message).toMatch(/prompt is too long: \d+ tokens > 32768 maximum/);
  });

  it('answers a conversation holding images: each image is a note in the prompt, in a user message and inside a tool_result', async () => {
    const inUserMessage = await client.messages.create({
      model: 'claude-opus-4-1',
      max_tokens: 64,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, pngBlock()] }],
    });
    expect(inUserMessage.content).toEqual([{ type: 'text', text: 'I cannot see that image. IMAGE-NOTED' }]);

    // Claude Code's Read tool answers an image file with an image block inside the tool_result.
    const params: Anthropic.MessageCountTokensParams = {
      model: 'claude-opus-4-1',
      tools: TOOLS,
      messages: [
        { role: 'user', content: 'Describe shot.png' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_read', name: 'get_weather', input: { city: 'shot.png' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_read', content: [pngBlock()] }] },
      ],
    };
    const stream = client.messages.stream({ ...params, max_tokens: 64 });
    const inToolResult = await stream.finalMessage();
    expect(inToolResult.content).toEqual([{ type: 'text', text: 'The tool returned an image I cannot see. TOOL-IMAGE-NOTED' }]);
    expect(inToolResult.stop_reason).toBe('end_turn');

    // count_tokens counts the same prompt, notes included.
    const counted = await client.messages.countTokens(params);
    expect(counted.input_tokens).toBe(inToolResult.usage.input_tokens + (inToolResult.usage.cache_read_input_tokens ?? 0));
  });

  it('lists the model in the Anthropic shape', async () => {
    const page = await client.models.list();
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({ type: 'model', id: 'mock' });
  });
});

describe('with --reject-images', () => {
  let server: RunningServer;
  let client: Anthropic;
  beforeAll(async () => {
    server = await startTestServer({ mock: true, rejectImages: true });
    client = new Anthropic({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers an image with the 400 images_not_supported naming the block, in messages and count_tokens', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'Describe shot.png' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_read', name: 'Read', input: { file_path: 'shot.png' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_read', content: [{ type: 'text', text: 'Read it' }, pngBlock()] }] },
    ];
    const refused = await client.messages.create({ model: 'm', max_tokens: 10, messages }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect((refused as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'messages.2.content.0.content.1: this model does not accept images (the loaded model has no vision support)' },
    });
    const counted = await client.messages.countTokens({ model: 'm', messages: [{ role: 'user', content: [pngBlock()] }] }).catch((e: unknown) => e);
    expect(counted).toBeInstanceOf(Anthropic.BadRequestError);
    expect((counted as Error).message).toContain('messages.0.content.0: this model does not accept images');
  });
});

describe('on a scripted model (real inference, Qwen3 template and tokenizer)', () => {
  let server: RunningServer;
  let client: Anthropic;
  const raw = '<think>\nThe user wants the weather.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';

  beforeAll(async () => {
    const model = await makeScriptedModel({
      vocab: { gguf: vocabPath('qwen2') },
      chatTemplate: readFileSync(templatePath('Qwen-Qwen3-0.6B'), 'utf8'),
      script: raw,
      startAfter: '<|im_start|>assistant\n',
      memory: 2,
    });
    server = await startTestServer({ model: model.path, nCtx: 4096, parallel: 1 });
    client = new Anthropic({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const params = {
    model: 'claude-sonnet-4-5',
    max_tokens: 256,
    system: 'You help with the weather.',
    tools: TOOLS,
    messages: [{ role: 'user' as const, content: 'What is the weather in Paris?' }],
  };

  it('returns thinking and a tool call, streamed and not', async () => {
    const message = await client.messages.create(params);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    expect((message.content[0] as Anthropic.ThinkingBlock).thinking.trim()).toBe('The user wants the weather.');
    expect(message.content[1]).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });

    const final = await client.messages.stream(params).finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    expect(final.content[1]).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
    expect(final.usage.output_tokens).toBe(message.usage.output_tokens);
  });

  it('enforces thinking.budget_tokens: thinking is closed for the model when it runs out', async () => {
    const message = await client.messages.create({ ...params, thinking: { type: 'enabled', budget_tokens: 3 } });
    const thinking = message.content.find((block) => block.type === 'thinking');
    // The budget ends the scripted thinking early: what is left is a strict prefix of it.
    expect(thinking?.thinking.trim().length).toBeGreaterThan(0);
    expect('The user wants the weather.'.startsWith(thinking!.thinking.trim())).toBe(true);
    expect(thinking!.thinking.trim()).not.toBe('The user wants the weather.');
  });

  it('counts exactly the prompt tokens the engine evaluates for the same request', async () => {
    const counted = await client.messages.countTokens({ model: params.model, system: params.system, tools: params.tools, messages: params.messages });
    const message = await client.messages.create(params);
    expect(message.usage.cache_read_input_tokens).toBeGreaterThan(0); // the earlier test's prompt is reused
    expect(counted.input_tokens).toBe(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0));
  });
});
