// Tool calls and reasoning end to end, per model family: the server renders the family's
// real template, the "model" emits the family's native syntax, our parser turns it into
// structured calls, and the official OpenAI client receives them.
//
// Two kinds of model: scripted fixture models (real llama.cpp inference, real qwen2
// tokenizer; every family, with a few tokens of memory), and the mock engine with the same
// raw output for every family.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { getLlama, type LlamaModel } from 'node-llama-cpp';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatTemplate } from '../../src/chat/template.js';
import type { RunningServer } from '../../src/server/start.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer } from '../helpers/server.js';
import { TIME_TOOL, WEATHER_TOOL, anthropicTools } from '../helpers/tools.js';

const TOOLS: OpenAI.ChatCompletionFunctionTool[] = [WEATHER_TOOL, TIME_TOOL];

/**
 * The same tools with nothing required, for the one-token-memory models whose script can only
 * hold `{}` as arguments: the tool-call grammar enforces each tool's schema, so a script that
 * broke it would be overruled.
 */
const OPTIONAL_TOOLS: OpenAI.ChatCompletionFunctionTool[] = TOOLS.map((tool) => ({
  ...tool,
  function: { ...tool.function, parameters: { ...tool.function.parameters, required: [] } },
}));

interface FamilyCase {
  family: string;
  template: string;
  /** The model's raw output: one get_weather(Paris) call in the family's own syntax. */
  raw: string;
  reasoning?: string;
  /** Tools to offer instead of TOOLS (a template that needs more of them than TOOLS gives). */
  tools?: OpenAI.ChatCompletionFunctionTool[];
}

/**
 * TOOLS with a description on every parameter: Command R+'s template concatenates them, and
 * fails (in Jinja2 as in our renderer) on a parameter without one.
 */
const DESCRIBED_TOOLS: OpenAI.ChatCompletionFunctionTool[] = TOOLS.map((tool) => {
  const parameters = tool.function.parameters as { properties: Record<string, object> };
  const properties = Object.fromEntries(Object.entries(parameters.properties).map(([name, schema]) => [name, { ...schema, description: name }]));
  return { ...tool, function: { ...tool.function, parameters: { ...parameters, properties } } };
});

const FAMILIES: FamilyCase[] = [
  {
    family: 'hermes (Qwen2.5)',
    template: 'Qwen-Qwen2.5-7B-Instruct',
    raw: '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
  },
  {
    family: 'hermes + thinking (Qwen3)',
    template: 'Qwen-Qwen3-0.6B',
    raw: '<think>\nThe user wants the weather.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    reasoning: 'The user wants the weather.',
  },
  {
    // The bundled template dropped the tools section; the model writes Hermes calls (its upstream template's).
    family: 'hermes + thinking (SmolLM3)',
    template: 'HuggingFaceTB-SmolLM3-3B',
    raw: '<think>\nUser asks about weather.\n</think>\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'qwen3-coder',
    template: 'Qwen3-Coder',
    raw: '<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>',
  },
  {
    family: 'llama3',
    template: 'meta-llama-Llama-3.1-8B-Instruct',
    raw: '{"name": "get_weather", "parameters": {"city": "Paris"}}',
  },
  {
    family: 'mistral',
    template: 'mistralai-Mistral-Nemo-Instruct-2407',
    raw: '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "abc123def"}]',
  },
  {
    family: 'glm45',
    template: 'GLM-4.6',
    raw: '\n<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>',
  },
  {
    family: 'glm45 (Ling 3.0)',
    template: 'inclusionai-ling-3.0-flash',
    // The generation prompt opens thinking (`<role>ASSISTANT</role>\n<think>`).
    raw: 'User asks about weather.</think><tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'deepseek-v3.1',
    template: 'deepseek-ai-DeepSeek-V3.1',
    // Thinking is on by default (enable_thinking, as llama.cpp's server): the prompt ends with `<think>`.
    raw: 'User asks about weather.</think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"city": "Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'kimi-k2',
    template: 'moonshotai-Kimi-K2',
    raw: '<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{"city": "Paris"}<|tool_call_end|><|tool_calls_section_end|>',
  },
  {
    family: 'minimax-m2',
    template: 'MiniMax-M2',
    raw: '<minimax:tool_call>\n<invoke name="get_weather">\n<parameter name="city">Paris</parameter>\n</invoke>\n</minimax:tool_call>',
  },
  {
    family: 'seed-oss',
    template: 'ByteDance-Seed-OSS',
    raw: '<seed:think>User asks about weather.</seed:think>\n<seed:tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n</function>\n</seed:tool_call>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'granite',
    template: 'ibm-granite-granite-3.3-2B-Instruct',
    raw: '<think>User asks about weather.</think><|tool_call|>[{"name": "get_weather", "arguments": {"city": "Paris"}}]',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'nemotron-v2',
    template: 'NVIDIA-Nemotron-Nano-v2',
    // The generation prompt opens thinking (`<think>\n`).
    raw: 'User asks about weather.\n</think>\n<TOOLCALL>[{"name": "get_weather", "arguments": {"city": "Paris"}}]</TOOLCALL>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'apertus',
    template: 'Apertus-8B-Instruct',
    raw: '<|tools_prefix|>[{"get_weather": {"city": "Paris"}}]<|tools_suffix|>',
  },
  {
    family: 'deepseek-v3.2',
    template: 'deepseek-ai-DeepSeek-V3.2',
    // Thinking is on by default: the prompt ends with `<think>`.
    raw: 'User asks about weather.</think>\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name="get_weather">\n<｜DSML｜parameter name="city" string="true">Paris</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'deepseek-v4',
    template: 'deepseek-ai-DeepSeek-V4',
    raw: 'User asks about weather.</think>\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name="get_weather">\n<｜DSML｜parameter name="city" string="true">Paris</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'gemma4',
    template: 'google-gemma-4-31B-it',
    raw: '<|channel>thought\nUser asks about weather.<channel|><|tool_call>call:get_weather{city:<|"|>Paris<|"|>}<tool_call|>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'command-r7b',
    template: 'CohereForAI-c4ai-command-r7b-12-2024-tool_use',
    raw: '<|START_THINKING|>User asks about weather.<|END_THINKING|><|START_ACTION|>[\n    {"tool_call_id": "0", "tool_name": "get_weather", "parameters": {"city": "Paris"}}\n]<|END_ACTION|>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'command-r7b (Cohere2 MoE)',
    template: 'Cohere2MoE',
    // The generation prompt opens thinking (`<|START_THINKING|>`).
    raw: 'User asks about weather.<|END_THINKING|><|START_ACTION|>[\n    {"tool_call_id": "0", "tool_name": "get_weather", "parameters": {"city": "Paris"}}\n]<|END_ACTION|>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'apriel (1.6)',
    template: 'Apriel-1.6-15b-Thinker-fixed',
    // The generation prompt opens the reasoning with `Here are my reasoning steps:\n`, which
    // llama.cpp (and so we) report as the start of the reasoning.
    raw: 'User asks about weather.\n[BEGIN FINAL RESPONSE]\n<tool_calls>[{"name": "get_weather", "arguments": {"city": "Paris"}}]</tool_calls>',
    reasoning: 'Here are my reasoning steps:\nUser asks about weather.',
  },
  {
    family: 'minimax-m1',
    template: 'MiniMax-M1',
    raw: '<tool_calls>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_calls>',
  },
  {
    family: 'hermes (Reka Edge)',
    template: 'Reka-Edge',
    // The generation prompt opens thinking (`assistant: <think>\n`).
    raw: 'User asks about weather.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'muse-glimmer',
    template: 'muse-glimmer',
    // The generation prompt ends with `<|start|>assistant`: reasoning and the call are messages to `self` and to the tool.
    raw: ' to=self<|message|>User asks about weather.<|eom|><|start|>assistant to=get_weather<|message|><atem:function_calls>\n<atem:invoke name="get_weather">\n<atem:parameter name="city">Paris</atem:parameter>\n</atem:invoke>\n</atem:function_calls><|eom|>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'hy3',
    template: 'tencent-Hy3',
    // The template's default reasoning_effort (no_think) closes thinking in the generation prompt.
    raw: '<tool_calls:opensource>\n<tool_call:opensource>get_weather<tool_sep:opensource>\n<arg_key:opensource>city</arg_key:opensource>\n<arg_value:opensource>Paris</arg_value:opensource>\n</tool_call:opensource>\n</tool_calls:opensource>',
  },
  {
    family: 'minicpm5',
    template: 'openbmb-MiniCPM5-1B',
    // The generation prompt opens thinking (`<think>\n`).
    raw: 'User asks about weather.\n</think>\n\n<function name="get_weather"><param name="city">Paris</param></function>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'solar-open',
    template: 'upstage-Solar-Open-100B',
    // The generation prompt ends with `<|begin|>assistant`: reasoning and calls are messages of their own.
    raw: '<|think|>User asks about weather.<|end|><|begin|>assistant<|tool_calls|><|tool_call:begin|>a1b2c3d4e5<|tool_call:name|>get_weather<|tool_call:args|>{"city": "Paris"}<|tool_call:end|><|calls|>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'functionary-v3.1',
    template: 'meetkai-functionary-medium-v3.1',
    raw: '<function=get_weather>{"city": "Paris"}</function>',
  },
  {
    family: 'lfm2',
    template: 'LFM2.5-8B-A1B',
    raw: "<think>User asks about weather.</think><|tool_call_start|>[get_weather(city='Paris')]<|tool_call_end|>",
    reasoning: 'User asks about weather.',
  },
  {
    family: 'firefunction-v2',
    template: 'fireworks-ai-llama-3-firefunction-v2',
    raw: ' functools[{"name": "get_weather", "arguments": {"city": "Paris"}}]',
  },
  {
    family: 'functionary-v3.2',
    template: 'meetkai-functionary-medium-v3.2',
    // The generation prompt ends with `>>>`: the output starts with the recipient.
    raw: 'get_weather\n{"city": "Paris"}',
  },
  {
    family: 'gigachat3',
    template: 'GigaChat3-10B-A1.8B',
    raw: '<|message_sep|>\n\nfunction call<|role_sep|>\n{"name": "get_weather", "arguments": {"city": "Paris"}}',
  },
  {
    family: 'gigachat3.1',
    template: 'GigaChat3.1-10B-A1.8B',
    raw: '<|function_call|>{"name": "get_weather", "arguments": {"city": "Paris"}}',
  },
  {
    family: 'minimax-m3',
    template: 'MiniMax-M3',
    raw: '<mm:think>User asks about weather.</mm:think>]<]minimax[>[<tool_call>\n]<]minimax[>[<invoke name="get_weather">]<]minimax[>[<city>Paris]<]minimax[>[</city>]<]minimax[>[</invoke>\n]<]minimax[>[</tool_call>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'command-r-plus',
    template: 'CohereForAI-c4ai-command-r-plus-tool_use',
    raw: 'Action:\n```json\n[\n    {"tool_name": "get_weather", "parameters": {"city": "Paris"}}\n]```',
    tools: DESCRIBED_TOOLS,
  },
  {
    family: 'kimi-k3',
    template: 'Kimi-K3',
    // The generation prompt opens the message and its think section.
    raw: 'User asks about weather.<|close|>think<|sep|><|open|>response<|sep|><|close|>response<|sep|><|open|>tools<|sep|><|open|>call tool="get_weather" index="1"<|sep|><|open|>argument key="city" type="string"<|sep|>Paris<|close|>argument<|sep|><|close|>call<|sep|><|close|>tools<|sep|><|close|>message<|sep|>',
    reasoning: 'User asks about weather.',
  },
  {
    family: 'gpt-oss',
    template: 'openai-gpt-oss-120b',
    raw: '<|channel|>analysis<|message|>User asks about weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>',
    reasoning: 'User asks about weather.',
  },
];

async function assertToolCall(client: OpenAI, args: Record<string, unknown>, reasoning?: string, tools = TOOLS) {
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
  const completion = await client.chat.completions.create({ model: 'm', messages, tools, temperature: 0 });
  const choice = completion.choices[0]!;
  expect(choice.finish_reason).toBe('tool_calls');
  expect(choice.message.tool_calls).toHaveLength(1);
  const call = choice.message.tool_calls![0]!;
  expect(call.type === 'function' && call.function.name).toBe('get_weather');
  expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual(args);
  expect(call.id).toMatch(/^call_/);
  expect(choice.message.content ?? '').not.toMatch(/tool_call|TOOL_CALLS|<\||｜|invoke|get_weather/);
  if (reasoning) expect((choice.message as { reasoning_content?: string }).reasoning_content?.trim()).toBe(reasoning);

  const final = await client.chat.completions.stream({ model: 'm', messages, tools, temperature: 0 }).finalChatCompletion();
  const streamed = final.choices[0]!.message.tool_calls![0]!;
  expect(streamed.type === 'function' && streamed.function.name).toBe('get_weather');
  expect(streamed.type === 'function' && JSON.parse(streamed.function.arguments)).toEqual(args);
  expect(final.choices[0]!.finish_reason).toBe('tool_calls');

  // Without tools in the request the same output is not parsed as a call.
  const plain = await client.chat.completions.create({ model: 'm', messages, temperature: 0 });
  expect(plain.choices[0]!.message.tool_calls ?? []).toHaveLength(0);
  expect(plain.choices[0]!.finish_reason).toBe('stop');
}

describe.each(FAMILIES)('$family through the server (mock engine output)', ({ template, raw, reasoning, tools }) => {
  let server: RunningServer;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tool-calls-'));
    const script = join(dir, 'script.json');
    writeFileSync(script, JSON.stringify({ responses: [{ output: raw }] }));
    server = await startTestServer({ mock: true, mockScript: script, chatTemplateFile: templatePath(template) });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('returns structured tool calls, streamed and not', async () => {
    await assertToolCall(new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 }), { city: 'Paris' }, reasoning, tools);
  });
});

/**
 * Real inference on scripted models (real qwen2 tokenizer). `memory` 1 (default): the
 * one-layer model whose next token depends on the current one only, so each token needs a
 * single successor (at most two JSON keys). `memory` 2 to 4: the model's next token depends
 * on that many last tokens (context-scripted-model.ts), enough for every family's own output
 * with arguments. `startAfter`: the end of the template's generation prompt (its last
 * `memory` tokens start the script).
 */
const FAMILY_ENDS: Record<string, string> = {
  'Qwen-Qwen2.5-7B-Instruct': '<|im_start|>assistant\n',
  'Qwen-Qwen3-0.6B': '<|im_start|>assistant\n',
  'Qwen3-Coder': '<|im_start|>assistant\n',
  'HuggingFaceTB-SmolLM3-3B': '<|im_start|>assistant\n',
  'meta-llama-Llama-3.1-8B-Instruct': '<|start_header_id|>assistant<|end_header_id|>\n\n',
  'mistralai-Mistral-Nemo-Instruct-2407': 'Paris?[/INST]',
  'GLM-4.6': 'Paris?<|assistant|>',
  'inclusionai-ling-3.0-flash': '<role>ASSISTANT</role>\n<think>',
  'deepseek-ai-DeepSeek-V3.1': '<｜Assistant｜><think>',
  'moonshotai-Kimi-K2': '<|im_assistant|>assistant<|im_middle|>',
  'MiniMax-M2': ']~b]ai\n<think>\n',
  'openai-gpt-oss-120b': '<|start|>assistant',
  'ByteDance-Seed-OSS': '<seed:bos>assistant\n',
  'ibm-granite-granite-3.3-2B-Instruct': '<|start_of_role|>assistant<|end_of_role|>',
  'NVIDIA-Nemotron-Nano-v2': '<SPECIAL_11>Assistant\n<think>\n',
  'Apertus-8B-Instruct': '<|user_end|><|assistant_start|>',
  'google-gemma-4-31B-it': '<|turn>model\n',
  'CohereForAI-c4ai-command-r7b-12-2024-tool_use': '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>',
  Cohere2MoE: '<|CHATBOT_TOKEN|><|START_THINKING|>',
  'CohereForAI-c4ai-command-r-plus-tool_use': '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>',
  'Apriel-1.6-15b-Thinker-fixed': '<|begin_assistant|>\nHere are my reasoning steps:\n',
  'MiniMax-M1': '<beginning_of_sentence>ai name=assistant\n',
  'upstage-Solar-Open-100B': '<|end|><|begin|>assistant',
  'meetkai-functionary-medium-v3.1': '<|start_header_id|>assistant<|end_header_id|>\n\n',
  'LFM2.5-8B-A1B': '<|im_start|>assistant\n',
  'fireworks-ai-llama-3-firefunction-v2': '<|start_header_id|>assistant<|end_header_id|>\n\n',
  'openbmb-MiniCPM5-1B': '<|im_start|>assistant\n<think>\n',
  'meetkai-functionary-medium-v3.2': '<|start_header_id|>assistant<|end_header_id|>\n\n>>>',
  'deepseek-ai-DeepSeek-V3.2': '<｜Assistant｜><think>',
  'deepseek-ai-DeepSeek-V4': '<｜Assistant｜><think>',
  'GigaChat3-10B-A1.8B': '<|message_sep|>\n\nassistant<|role_sep|>\n',
  'GigaChat3.1-10B-A1.8B': '<|message_sep|>\n\nassistant<|role_sep|>\n',
  'tencent-Hy3': '<think:opensource></think:opensource>',
  'MiniMax-M3': ']~b]ai\n',
  'Reka-Edge': 'assistant: <think>\n',
  'Kimi-K3': '<|open|>think<|sep|>',
  'muse-glimmer': '<|eot|><|start|>assistant',
};
// Outputs whose `<|...|>` / `<｜...｜>` markers repeat too often for two tokens of memory.
const FAMILY_MEMORY: Record<string, number> = {
  'deepseek-ai-DeepSeek-V3.1': 3,
  'deepseek-ai-DeepSeek-V3.2': 4,
  'deepseek-ai-DeepSeek-V4': 4,
  'moonshotai-Kimi-K2': 4,
  'openai-gpt-oss-120b': 3,
  'Apertus-8B-Instruct': 3,
  'CohereForAI-c4ai-command-r7b-12-2024-tool_use': 3,
  Cohere2MoE: 3,
  'upstage-Solar-Open-100B': 4,
  'tencent-Hy3': 4,
  'muse-glimmer': 4,
  'MiniMax-M3': 4,
  'Kimi-K3': 8,
};
const INFERENCE_FAMILIES: {
  family: string;
  template: string;
  startAfter: string;
  raw: string;
  args: Record<string, unknown>;
  memory?: number;
  reasoning?: string;
  tools?: OpenAI.ChatCompletionFunctionTool[];
}[] = [
  {
    family: 'hermes (Qwen2.5)',
    template: 'Qwen-Qwen2.5-7B-Instruct',
    startAfter: '\n',
    raw: '<tool_call>\n{"name": "get_weather", "arguments": {}}\n</tool_call>',
    args: {},
    tools: OPTIONAL_TOOLS,
  },
  {
    family: 'llama3 (Llama 3.1)',
    template: 'meta-llama-Llama-3.1-8B-Instruct',
    startAfter: '<|end_header_id|>\n\n',
    raw: '{"name": "get_weather", "parameters": {}}',
    args: {},
    tools: OPTIONAL_TOOLS,
  },
  ...FAMILIES.map(({ family, template, raw, reasoning, tools }) => ({
    family: `${family}, memory ${FAMILY_MEMORY[template] ?? 2}`,
    template,
    startAfter: FAMILY_ENDS[template]!,
    raw,
    args: { city: 'Paris' },
    memory: FAMILY_MEMORY[template] ?? 2,
    reasoning,
    tools,
  })),
];

describe.each(INFERENCE_FAMILIES)('$family on a scripted model (real inference)', ({ template, raw, args, startAfter, memory, reasoning, tools }) => {
  let server: RunningServer;

  beforeAll(async () => {
    const model = await makeScriptedModel({
      vocab: { gguf: vocabPath('qwen2') },
      chatTemplate: readFileSync(templatePath(template), 'utf8'),
      script: raw,
      startAfter,
      memory,
    });
    server = await startTestServer({ model: model.path, nCtx: 4096, parallel: 1 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('returns structured tool calls, streamed and not', async () => {
    await assertToolCall(new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 }), args, reasoning, tools);
  });

  // Claude Code speaks the Messages API: a reasoning family's thinking must arrive as a
  // thinking block before the tool_use block, streamed and not.
  if (reasoning) {
    it('returns a thinking block and a tool_use block through the Anthropic SDK, streamed and not', async () => {
      const anthropic = new Anthropic({ baseURL: server.url, apiKey: 'x', maxRetries: 0 });
      const request: Anthropic.MessageCreateParamsNonStreaming = {
        model: 'm',
        max_tokens: 512,
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
        tools: anthropicTools(tools ?? TOOLS),
      };
      for (const message of [await anthropic.messages.create(request), await anthropic.messages.stream(request).finalMessage()]) {
        expect(message.stop_reason).toBe('tool_use');
        expect(message.content.map((block) => block.type)).toEqual(['thinking', 'tool_use']);
        const [thinking, toolUse] = message.content as [Anthropic.ThinkingBlock, Anthropic.ToolUseBlock];
        expect(thinking.thinking.trim()).toBe(reasoning);
        expect(toolUse.name).toBe('get_weather');
        expect(toolUse.input).toEqual(args);
        expect(toolUse.id).toMatch(/^toolu_/);
      }
    });
  }
});

describe('reasoning on a scripted model (Qwen3, real inference)', () => {
  let server: RunningServer;
  let client: OpenAI;
  const raw = '<think>\nThe user wants the weather.\n</think>\n\nIt is sunny in Paris.';

  beforeAll(async () => {
    const model = await makeScriptedModel({
      vocab: { gguf: vocabPath('qwen2') },
      chatTemplate: readFileSync(templatePath('Qwen-Qwen3-0.6B'), 'utf8'),
      script: raw,
      startAfter: null,
    });
    server = await startTestServer({ model: model.path, nCtx: 4096, parallel: 1 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('splits thinking into reasoning_content, streamed and not', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather?' }];
    const completion = await client.chat.completions.create({ model: 'm', messages });
    const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.content).toBe('It is sunny in Paris.');
    // llama.cpp keeps the newline before </think> in reasoning_content; so do we.
    expect(message.reasoning_content?.trim()).toBe('The user wants the weather.');

    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    let content = '';
    let reasoning = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      content += delta?.content ?? '';
      reasoning += delta?.reasoning_content ?? '';
    }
    expect(content).toBe(message.content);
    expect(reasoning).toBe(message.reasoning_content);
  });
});

describe('tool result round trip (Qwen2.5)', () => {
  let server: RunningServer;
  let client: OpenAI;
  let tokenizer: LlamaModel;

  beforeAll(async () => {
    const model = await makeScriptedModel({
      vocab: { gguf: vocabPath('qwen2') },
      chatTemplate: readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8'),
      script: INFERENCE_FAMILIES[0]!.raw,
    });
    server = await startTestServer({ model: model.path, nCtx: 4096, parallel: 1 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
    tokenizer = await (await getLlama({ build: 'never' })).loadModel({ modelPath: model.path, vocabOnly: true });
  });
  afterAll(async () => {
    await server?.stop();
    await tokenizer?.dispose();
  });

  it('renders the call and its result into the next turn', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = await client.chat.completions.create({ model: 'm', messages, tools: OPTIONAL_TOOLS, temperature: 0 });
    const assistant = first.choices[0]!.message;
    const call = assistant.tool_calls![0]!;
    const history: OpenAI.ChatCompletionMessageParam[] = [
      ...messages,
      { role: 'assistant', content: assistant.content, tool_calls: assistant.tool_calls! },
      { role: 'tool', tool_call_id: call.id, content: '{"temperature_c": 21, "sky": "clear"}' },
    ];
    const second = await client.chat.completions.create({ model: 'm', tools: OPTIONAL_TOOLS, temperature: 0, messages: history });

    // What Qwen2.5's template must produce for that history: the call as the model wrote it,
    // the result inside <tool_response>, then a new assistant turn.
    const expectedTail =
      '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {}}\n</tool_call><|im_end|>\n' +
      '<|im_start|>user\n<tool_response>\n{"temperature_c": 21, "sky": "clear"}\n</tool_response><|im_end|>\n<|im_start|>assistant\n';
    const template = new ChatTemplate(readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8'), { eosToken: '<|im_end|>' });
    const rendered = template.render({
      messages: [
        { role: 'user', content: 'What is the weather in Paris?' },
        { role: 'assistant', content: '', toolCalls: [{ id: call.id, name: 'get_weather', arguments: '{}' }] },
        { role: 'tool', toolCallId: call.id, content: '{"temperature_c": 21, "sky": "clear"}' },
      ],
      tools: OPTIONAL_TOOLS.map((tool) => ({ name: tool.function.name, description: tool.function.description!, parameters: tool.function.parameters! })),
    });
    expect(rendered.endsWith(expectedTail)).toBe(true);
    // The server rendered exactly that prompt, and reused the first turn's prompt from the cache.
    expect(second.usage!.prompt_tokens).toBe(tokenizer.tokenize(rendered, true).length);
    expect(second.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(first.usage!.prompt_tokens - 1);
  });
});
