// The template-derived parser through the server: a chat template no hand-written family
// knows (its own markup for reasoning and tool calls), and a known one forced with
// `--chat-format derived`. The markup is inferred at load; the official OpenAI client gets
// structured tool calls and reasoning, and /props shows what was inferred. Also real llama.cpp
// inference on a scripted model, with the derived lazy tool-call grammar.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectFamily } from '../../src/chat/parsers/detect.js';
import type { RunningServer } from '../../src/server/start.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer } from '../helpers/server.js';
import { TIME_TOOL, WEATHER_TOOL } from '../helpers/tools.js';

/** A template of no known family: `<reflect>` reasoning, `<calls><invoke_tool name="…"><arg name="…">…</arg></invoke_tool></calls>`. */
const CUSTOM_TEMPLATE = `{%- if tools -%}<|sys|>You may call: {{ tools | tojson }}<|end|>{%- endif -%}
{%- for message in messages -%}
{%- if message.role == 'system' -%}<|sys|>{{ message.content }}<|end|>
{%- elif message.role == 'user' -%}<|usr|>{{ message.content }}<|end|>
{%- elif message.role == 'assistant' -%}<|bot|>
{%- if message.reasoning_content -%}<reflect>{{ message.reasoning_content }}</reflect>{%- endif -%}
{{- message.content -}}
{%- if message.tool_calls -%}<calls>
{%- for tc in message.tool_calls -%}<invoke_tool name="{{ tc.function.name }}">
{%- for k, v in tc.function.arguments.items() -%}<arg name="{{ k }}">{{ v if v is string else v | tojson }}</arg>{%- endfor -%}
</invoke_tool>{%- endfor -%}</calls>
{%- endif -%}<|end|>
{%- elif message.role == 'tool' -%}<|tool|>{{ message.content }}<|end|>
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}<|bot|>{%- endif -%}`;

const RAW = '<reflect>User asks about weather.</reflect><calls><invoke_tool name="get_weather"><arg name="city">Paris</arg></invoke_tool></calls>';
const TOOLS: OpenAI.ChatCompletionFunctionTool[] = [WEATHER_TOOL, TIME_TOOL];
const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];

function writeTemp(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'derived-')), name);
  writeFileSync(path, text);
  return path;
}

async function assertWeatherCall(server: RunningServer, reasoning: string): Promise<void> {
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
  const completion = await client.chat.completions.create({ model: 'm', messages, tools: TOOLS, temperature: 0 });
  const choice = completion.choices[0]!;
  expect(choice.finish_reason).toBe('tool_calls');
  expect(choice.message.tool_calls).toHaveLength(1);
  const call = choice.message.tool_calls![0]!;
  expect(call.type === 'function' && call.function.name).toBe('get_weather');
  expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
  expect(choice.message.content ?? '').toBe('');
  expect((choice.message as { reasoning_content?: string }).reasoning_content?.trim()).toBe(reasoning);

  const final = await client.chat.completions.stream({ model: 'm', messages, tools: TOOLS, temperature: 0 }).finalChatCompletion();
  const streamed = final.choices[0]!.message.tool_calls![0]!;
  expect(streamed.type === 'function' && JSON.parse(streamed.function.arguments)).toEqual({ city: 'Paris' });
  expect(final.choices[0]!.finish_reason).toBe('tool_calls');
}

async function props(server: RunningServer): Promise<{ chat_format?: Record<string, unknown> }> {
  return (await (await fetch(`${server.url}/props`)).json()) as { chat_format?: Record<string, unknown> };
}

describe('a template of no known family: the derived parser (mock engine)', () => {
  let server: RunningServer;

  beforeAll(async () => {
    expect(detectFamily(CUSTOM_TEMPLATE)).toBe('generic');
    const script = writeTemp('script.json', JSON.stringify({ responses: [{ output: RAW }] }));
    server = await startTestServer({ mock: true, mockScript: script, chatTemplateFile: writeTemp('custom.jinja', CUSTOM_TEMPLATE) });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('returns structured tool calls and reasoning, streamed and not', async () => {
    await assertWeatherCall(server, 'User asks about weather.');
  });

  it('/props shows the inferred markers', async () => {
    expect((await props(server)).chat_format).toEqual({
      family: 'derived',
      source: 'template',
      derived: {
        reasoning: { open: '<reflect>', close: '</reflect>', source: 'reasoning_content' },
        tool_calls: {
          section: { open: '<calls>', close: '</calls>' },
          call: { open: '<invoke_tool name="', close: '</invoke_tool>' },
          separator: '',
          format: 'name + tagged-arguments',
          name_prefix: '',
          name_suffix: '">',
          key_open: '<arg name="',
          key_close: '">',
          value_close: '</arg>',
        },
      },
    });
  });
});

describe('--chat-format derived on Seed-OSS (mock engine)', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const raw = '<seed:think>User asks about weather.</seed:think>\n<seed:tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n</function>\n</seed:tool_call>';
    const script = writeTemp('script.json', JSON.stringify({ responses: [{ output: raw }] }));
    server = await startTestServer({ mock: true, mockScript: script, chatTemplateFile: templatePath('ByteDance-Seed-OSS'), chatFormat: 'derived' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('returns structured tool calls and reasoning, streamed and not', async () => {
    await assertWeatherCall(server, 'User asks about weather.');
  });

  it('/props shows the family forced by --chat-format and its markers', async () => {
    const format = (await props(server)).chat_format!;
    expect(format).toMatchObject({ family: 'derived', source: '--chat-format' });
    expect(format.derived).toMatchObject({
      reasoning: { open: '<seed:think>', close: '</seed:think>' },
      tool_calls: { call: { open: '<seed:tool_call>', close: '</seed:tool_call>' }, name_prefix: '<function=', key_open: '<parameter=' },
    });
  });
});

describe('a template of no known family on a scripted model (real inference, derived grammar)', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const model = await makeScriptedModel({ vocab: { gguf: vocabPath('qwen2') }, chatTemplate: CUSTOM_TEMPLATE, script: RAW, startAfter: '<|bot|>', memory: 3 });
    server = await startTestServer({ model: model.path, nCtx: 4096, parallel: 1 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('returns structured tool calls and reasoning, streamed and not', async () => {
    await assertWeatherCall(server, 'User asks about weather.');
  });
});
