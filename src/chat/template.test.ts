import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { templatePath } from '../../test/fixtures/llama-cpp-source.js';
import { ApiError, FatalError } from '../errors.js';
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE, fixedLengthId, type RenderInput } from './template.js';
import { toTemplateMessages, toTemplateTools } from './template/messages.js';
import { strftime } from './template/python.js';
import type { ChatMessage, ToolCall, ToolDefinition } from './types.js';

// ---------------------------------------------------------------------------------------------
// Shared conversations
// ---------------------------------------------------------------------------------------------

/** A fixed local time, so strftime_now / date_string are reproducible (Python gets the same wall clock). */
const NOW = new Date(2024, 6, 26, 9, 5, 7);

const WEATHER: ToolDefinition = {
  name: 'get_weather',
  description: 'Get the current weather in a city',
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string', description: 'City name' },
      unit: { type: 'string', enum: ['c', 'f'], description: 'Temperature unit' },
    },
    required: ['city'],
  },
};
const CALL: ToolCall = { id: 'call_abc123', name: 'get_weather', arguments: '{"city": "Paris", "unit": "c"}' };

/** The conversation of the brief: system, user, assistant tool call, tool result, user. */
const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You are a weather bot.' },
  { role: 'user', content: 'What is the weather in Paris?' },
  { role: 'assistant', content: '', toolCalls: [CALL] },
  { role: 'tool', content: '{"temperature": 21}', toolCallId: CALL.id },
  { role: 'user', content: 'And tomorrow?' },
];

/**
 * The same with the assistant's answer to the tool result before the next user turn: Mistral's
 * templates reject a user message right after tool results (they raise in their own code).
 */
const ANSWERED: ChatMessage[] = [...CONVERSATION.slice(0, 4), { role: 'assistant', content: 'It is 21 °C in Paris.' }, { role: 'user', content: 'And tomorrow?' }];

function load(stem: string): ChatTemplate {
  return new ChatTemplate(readFileSync(templatePath(stem), 'utf8'), { bosToken: '<BOS>', eosToken: '<EOS>' });
}

function render(template: ChatTemplate, input: Partial<RenderInput> = {}): string {
  return template.render({ messages: CONVERSATION, tools: [WEATHER], now: NOW, ...input });
}

function renderError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected an ApiError');
}

// ---------------------------------------------------------------------------------------------
// The real templates of the brief
// ---------------------------------------------------------------------------------------------

interface Expectation {
  /** Conversation to render (default CONVERSATION). */
  messages?: ChatMessage[];
  markers: string[];
  /** What add_generation_prompt appends ('' when the template has none). */
  generationPrompt: string;
}

const EXPECTATIONS: Record<string, Expectation> = {
  'Qwen-Qwen2.5-7B-Instruct': {
    markers: [
      '<|im_start|>system\nYou are a weather bot.',
      '<tools>\n{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city", "parameters": {"type": "object"',
      '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}\n</tool_call><|im_end|>',
      '<|im_start|>user\n<tool_response>\n{"temperature": 21}\n</tool_response><|im_end|>',
    ],
    generationPrompt: '<|im_start|>assistant\n',
  },
  'Qwen-Qwen3-0.6B': {
    markers: [
      '<|im_start|>system\nYou are a weather bot.\n\n# Tools',
      '<tools>\n{"type": "function", "function": {"name": "get_weather"',
      '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}\n</tool_call>',
      '<tool_response>\n{"temperature": 21}\n</tool_response>',
    ],
    generationPrompt: '<|im_start|>assistant\n',
  },
  'Qwen3-Coder': {
    markers: [
      '<tools>\n<function>\n<name>get_weather</name>\n<description>Get the current weather in a city</description>',
      '<enum>["c", "f"]</enum>',
      '<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=unit>\nc\n</parameter>\n</function>\n</tool_call>',
      '<tool_response>\n{"temperature": 21}\n</tool_response>',
    ],
    generationPrompt: '<|im_start|>assistant\n',
  },
  'meta-llama-Llama-3.1-8B-Instruct': {
    markers: [
      '<BOS><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are a weather bot.<|eot_id|>',
      '"name": "get_weather",',
      '<|start_header_id|>assistant<|end_header_id|>\n\n{"name": "get_weather", "parameters": {"city": "Paris", "unit": "c"}}<|eot_id|>',
      '<|start_header_id|>ipython<|end_header_id|>\n\n',
    ],
    generationPrompt: '<|start_header_id|>assistant<|end_header_id|>\n\n',
  },
  'meta-llama-Llama-3.3-70B-Instruct': {
    markers: [
      'Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024',
      'Given the following functions, please respond with a JSON for a function call',
      '{"name": "get_weather", "parameters": {"city": "Paris", "unit": "c"}}<|eot_id|>',
    ],
    generationPrompt: '<|start_header_id|>assistant<|end_header_id|>\n\n',
  },
  'mistralai-Mistral-Nemo-Instruct-2407': {
    messages: ANSWERED,
    markers: [
      '<BOS>[INST]What is the weather in Paris?[/INST]',
      // Our id `call_abc123` is rewritten to the 9 alphanumerics the template insists on.
      `[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}, "id": "${fixedLengthId('call_abc123', 9)}"}]<EOS>`,
      `[TOOL_RESULTS]{"content": {"temperature": 21}, "call_id": "${fixedLengthId('call_abc123', 9)}"}[/TOOL_RESULTS]`,
      '[AVAILABLE_TOOLS][{"type": "function", "function": {"name": "get_weather"',
      '[INST]You are a weather bot.\n\nAnd tomorrow?[/INST]',
    ],
    generationPrompt: '',
  },
  'unsloth-mistral-Devstral-Small-2507': {
    markers: [
      '<BOS>[SYSTEM_PROMPT]You are a weather bot.[/SYSTEM_PROMPT]',
      '[AVAILABLE_TOOLS][{"type": "function", "function": {"name": "get_weather"',
      '[INST]What is the weather in Paris?[/INST][TOOL_CALLS]get_weather[ARGS]{"city": "Paris", "unit": "c"}<EOS>',
      '[TOOL_RESULTS]{"temperature": 21}[/TOOL_RESULTS][INST]And tomorrow?[/INST]',
    ],
    generationPrompt: '',
  },
  'google-gemma-2-2b-it': {
    // No tool support and no system role: the system message is merged into the first user turn.
    messages: [
      { role: 'system', content: 'You are a weather bot.' },
      { role: 'user', content: 'What is the weather in Paris?' },
      { role: 'assistant', content: 'Sunny.' },
      { role: 'user', content: 'And tomorrow?' },
    ],
    markers: [
      '<BOS><start_of_turn>user\nYou are a weather bot.\nWhat is the weather in Paris?<end_of_turn>\n',
      '<start_of_turn>model\nSunny.<end_of_turn>\n<start_of_turn>user\nAnd tomorrow?<end_of_turn>\n',
    ],
    generationPrompt: '<start_of_turn>model\n',
  },
  'deepseek-ai-DeepSeek-R1-Distill-Qwen-32B': {
    markers: [
      '<BOS>You are a weather bot.<｜User｜>What is the weather in Paris?',
      '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{"city": "Paris", "unit": "c"}\n```<｜tool▁call▁end｜>',
      '<｜tool▁output▁begin｜>{"temperature": 21}<｜tool▁output▁end｜>',
    ],
    // llama.cpp's copy of the template closes the think block when enable_thinking is not set.
    generationPrompt: '<｜Assistant｜><think>\n</think>',
  },
  'deepseek-ai-DeepSeek-V3.1': {
    markers: [
      '<BOS>You are a weather bot.<｜User｜>What is the weather in Paris?',
      '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"city": "Paris", "unit": "c"}<｜tool▁call▁end｜>',
      '<｜tool▁output▁begin｜>{"temperature": 21}<｜tool▁output▁end｜>',
    ],
    generationPrompt: '<｜Assistant｜><think></think>',
  },
  'GLM-4.6': {
    markers: [
      '[gMASK]<sop><|system|>\n# Tools',
      '<tools>\n{"type": "function", "function": {"name": "get_weather"',
      '<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n<arg_key>unit</arg_key>\n<arg_value>c</arg_value>\n</tool_call>',
      '<|observation|>\n<tool_response>\n{"temperature": 21}\n</tool_response>',
    ],
    generationPrompt: '<|assistant|>',
  },
  'openai-gpt-oss-120b': {
    markers: [
      // strftime_now('%Y-%m-%d')
      'Current date: 2024-07-26',
      '<|start|>developer<|message|># Instructions\n\nYou are a weather bot.',
      'namespace functions {\n\n// Get the current weather in a city\ntype get_weather = (_: {\n// City name\ncity: string,',
      '<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>{"city": "Paris", "unit": "c"}<|call|>',
      '<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>',
    ],
    generationPrompt: '<|start|>assistant',
  },
  'moonshotai-Kimi-K2': {
    markers: [
      '<|im_system|>tool_declare<|im_middle|>[{"type": "function", "function": {"name": "get_weather"',
      '<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{"city": "Paris", "unit": "c"}<|tool_call_end|><|tool_calls_section_end|>',
      // The template writes a literal backslash-n here (Python renders the same).
      '<|im_system|>tool<|im_middle|>## Return of call_abc123\\n{"temperature": 21}<|im_end|>',
    ],
    generationPrompt: '<|im_assistant|>assistant<|im_middle|>',
  },
  'MiniMax-M2': {
    markers: [
      ']~!b[]~b]system\nYou are a weather bot.',
      '<tool>{"name": "get_weather", "description": "Get the current weather in a city"',
      '<minimax:tool_call>\n<invoke name="get_weather">\n<parameter name="city">Paris</parameter>\n<parameter name="unit">c</parameter>\n</invoke>\n</minimax:tool_call>',
      ']~b]tool\n<response>{"temperature": 21}</response>',
    ],
    generationPrompt: ']~b]ai\n<think>\n',
  },
  'microsoft-Phi-3.5-mini-instruct': {
    // No tools: the template renders only system, user and assistant text (tool turns vanish).
    markers: ['<|system|>\nYou are a weather bot.<|end|>\n<|user|>\nWhat is the weather in Paris?<|end|>\n', '<|user|>\nAnd tomorrow?<|end|>\n'],
    generationPrompt: '<|assistant|>\n',
  },
  'NousResearch-Hermes-3-Llama-3.1-8B-tool_use': {
    markers: [
      '<BOS><|im_start|>system\nYou are a function calling AI model.',
      'Here are the available tools: <tools> {"type": "function", "function": {"name": "get_weather"',
      '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}\n</tool_call><|im_end|>',
      '<|im_start|>tool\n<tool_response>\n{"temperature": 21}\n</tool_response>\n<|im_end|>',
    ],
    generationPrompt: '<|im_start|>assistant\n',
  },
};

describe('real chat templates (llama.cpp models/templates)', () => {
  for (const [stem, expectation] of Object.entries(EXPECTATIONS)) {
    it(`renders ${stem}`, () => {
      const template = load(stem);
      const messages = expectation.messages ?? CONVERSATION;
      const prompt = render(template, { messages });
      for (const marker of expectation.markers) expect(prompt).toContain(marker);
      const withoutPrompt = render(template, { messages, addGenerationPrompt: false });
      if (expectation.generationPrompt === '') {
        expect(prompt).toBe(withoutPrompt);
      } else {
        expect(prompt.endsWith(expectation.generationPrompt)).toBe(true);
        expect(withoutPrompt.endsWith(expectation.generationPrompt)).toBe(false);
      }
    });
  }

  it('probes what each template can do, as llama.cpp does', () => {
    expect(load('Qwen-Qwen2.5-7B-Instruct').caps).toEqual({
      systemRole: true,
      objectArguments: true,
      tools: true,
      toolCalls: true,
      thinkingField: false,
      reasoningOrContent: false,
    });
    expect(load('google-gemma-2-2b-it').caps).toMatchObject({ systemRole: false, tools: false, toolCalls: false });
    expect(load('mistralai-Mistral-Nemo-Instruct-2407').caps).toMatchObject({ toolCallIdLength: 9, objectArguments: true });
    expect(load('openai-gpt-oss-120b').caps).toMatchObject({ thinkingField: true, reasoningOrContent: true });
    expect(load('microsoft-Phi-3.5-mini-instruct').caps).toMatchObject({ tools: false, toolCalls: false });
  });

  it('passes chat_template_kwargs: Qwen3 without thinking', () => {
    const template = load('Qwen-Qwen3-0.6B');
    expect(render(template, { kwargs: { enable_thinking: false } }).endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n')).toBe(true);
    expect(render(template, { kwargs: { enable_thinking: true } }).endsWith('<|im_start|>assistant\n')).toBe(true);
  });

  it('ignores kwargs that would replace the standard variables', () => {
    const template = load('Qwen-Qwen2.5-7B-Instruct');
    expect(render(template, { kwargs: { messages: [], add_generation_prompt: false, raise_exception: 1 } })).toBe(render(template));
  });

  it('renders earlier reasoning for templates that keep it (Qwen3 after the last user turn, gpt-oss as thinking)', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: 'Checking.', reasoning: 'I should call the tool.', toolCalls: [CALL] },
      { role: 'tool', content: '{"temperature": 21}', toolCallId: CALL.id },
    ];
    expect(render(load('Qwen-Qwen3-0.6B'), { messages })).toContain('<|im_start|>assistant\n<think>\nI should call the tool.\n</think>\n\nChecking.\n<tool_call>');
    // gpt-oss reads `thinking` and wants either it or content beside a tool call (llama.cpp drops the content).
    expect(render(load('openai-gpt-oss-120b'), { messages })).toContain(
      '<|start|>assistant<|channel|>analysis<|message|>I should call the tool.<|end|><|start|>assistant to=functions.get_weather',
    );
  });
});

describe('raise_exception', () => {
  it("becomes an ApiError with the template's own message (Mistral Nemo: user right after tool results)", () => {
    const error = renderError(() => render(load('mistralai-Mistral-Nemo-Instruct-2407')));
    expect(error.kind).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.message).toBe('chat template error: After the optional system message, conversation roles must alternate user/assistant/user/assistant/...');
  });

  it('reports wrong role order (Gemma 2: two user turns in a row)', () => {
    const template = load('google-gemma-2-2b-it');
    const error = renderError(() =>
      template.render({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
        ],
      }),
    );
    expect(error.message).toBe('chat template error: Conversation roles must alternate user/assistant/user/assistant/...');
  });

  it('other template failures are internal errors naming the problem', () => {
    const template = new ChatTemplate('{{ messages[0].content.nope() }}');
    const error = renderError(() => template.render({ messages: [{ role: 'user', content: 'x' }] }));
    expect(error.kind).toBe('internal');
    expect(error.message).toContain("'str' object has no attribute 'nope'");
    // Python refuses str + dict; the library alone would print "[object Map]".
    expect(renderError(() => new ChatTemplate('{{ "a" + {"b": 1} }}').render({ messages: [] })).message).toContain('can only concatenate str (not "dict") to str');
  });
});

// ---------------------------------------------------------------------------------------------
// Context and conversion
// ---------------------------------------------------------------------------------------------

describe('context', () => {
  it('provides strftime_now, date_string and datetime for the given time', () => {
    const template = new ChatTemplate("{{ strftime_now('%Y-%m-%d %H:%M:%S %a %A %b %B %d %-d %j %p %I %y %%') }}|{{ date_string }}|{{ datetime }}");
    expect(template.render({ messages: [], now: new Date(2024, 6, 5, 14, 3, 9) })).toBe('2024-07-05 14:03:09 Fri Friday Jul July 05 5 187 PM 02 24 %|05 Jul 2024|Jul 05 2024');
  });

  it('strftime_now is a real function, not a context variable (no "Variable already declared")', () => {
    const template = new ChatTemplate("{% if strftime_now is defined %}{{ strftime_now('%Y') }}{% endif %}");
    expect(template.render({ messages: [], now: NOW })).toBe('2024');
  });

  it('provides bos_token, eos_token, add_generation_prompt, and tools only when there are tools', () => {
    const template = new ChatTemplate('{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}|{{ tools is defined }}|{{ tools | length if tools is defined else "" }}', {
      bosToken: '<s>',
      eosToken: '</s>',
    });
    expect(template.render({ messages: [] })).toBe('<s>|</s>|True|False|');
    expect(template.render({ messages: [], tools: [WEATHER], addGenerationPrompt: false })).toBe('<s>|</s>|False|True|1');
  });

  it("gives FireFunction v2's `functions` the tools as Python's json.dumps writes them (Jinja2 has none and fails)", () => {
    const template = load('fireworks-ai-llama-3-firefunction-v2');
    const withTools = template.render({ messages: [{ role: 'user', content: 'Hi' }], tools: [WEATHER], now: NOW });
    expect(withTools).toContain(
      'Available functions as JSON spec:\n[{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}',
    );
    expect(template.render({ messages: [{ role: 'user', content: 'Hi' }], now: NOW })).toContain('Available functions as JSON spec:\n[]\nToday is ');
    // Templates that do not read it do not get it.
    expect(new ChatTemplate('{{ functions is defined }}').render({ messages: [], tools: [WEATHER] })).toBe('False');
  });

  it('converts messages to the OpenAI shape templates expect', () => {
    const messages: ChatMessage[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
        name: 'ann',
      },
      { role: 'assistant', content: '', reasoning: 'hmm', toolCalls: [CALL, { id: 'c2', name: 'noop', arguments: '' }] },
      { role: 'tool', content: 'ok', toolCallId: 'call_abc123' },
      { role: 'tool', content: 'ok', toolCallId: 'c2', name: 'explicit' },
    ];
    expect(toTemplateMessages(messages, { objectArguments: true })).toEqual([
      { role: 'user', content: 'one\ntwo', name: 'ann' },
      {
        role: 'assistant',
        content: '',
        reasoning_content: 'hmm',
        tool_calls: [
          { id: 'call_abc123', type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris', unit: 'c' } } },
          { id: 'c2', type: 'function', function: { name: 'noop', arguments: {} } },
        ],
      },
      // Anthropic tool results carry no name: it comes from the matching call.
      { role: 'tool', content: 'ok', tool_call_id: 'call_abc123', name: 'get_weather' },
      { role: 'tool', content: 'ok', tool_call_id: 'c2', name: 'explicit' },
    ]);
    expect(toTemplateTools([{ name: 'f', parameters: { type: 'object' } }])).toEqual([
      { type: 'function', function: { name: 'f', description: '', parameters: { type: 'object' } } },
    ]);
  });

  it('passes arguments as objects to templates that look inside them, as text to templates that print them', () => {
    const source = '{% for m in messages %}{% for c in m.tool_calls or [] %}[{{ c.function.arguments }}]{% endfor %}{% endfor %}';
    const printing = new ChatTemplate(source);
    expect(printing.caps.objectArguments).toBe(false);
    expect(printing.render({ messages: [{ role: 'assistant', content: '', toolCalls: [{ ...CALL, arguments: '{"city":"Paris"}' }] }] })).toBe('[{"city":"Paris"}]');
    const dumping = new ChatTemplate(source.replace('c.function.arguments', 'c.function.arguments | tojson'));
    expect(dumping.caps.objectArguments).toBe(true);
    expect(dumping.render({ messages: [{ role: 'assistant', content: '', toolCalls: [{ ...CALL, arguments: '{"city":"Paris"}' }] }] })).toBe('[{"city": "Paris"}]');
    // Arguments that are not a JSON object stay text (llama.cpp would reject the request).
    expect(dumping.render({ messages: [{ role: 'assistant', content: '', toolCalls: [{ ...CALL, arguments: '{"city": "Par' }] }] })).toBe('["{\\"city\\": \\"Par"]');
  });

  it('rewrites tool-call ids to 9 alphanumerics only for templates that demand it, consistently', () => {
    const id = fixedLengthId('toolu_01A09q90qw90lq917835lq9', 9);
    expect(id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(fixedLengthId('toolu_01A09q90qw90lq917835lq9', 9)).toBe(id);
    expect(fixedLengthId('abcDEF123', 9)).toBe('abcDEF123');
    expect(render(load('Qwen-Qwen2.5-7B-Instruct'))).not.toContain(fixedLengthId(CALL.id, 9));
  });

  it('rejects images clearly', () => {
    const error = renderError(() =>
      load('Qwen-Qwen2.5-7B-Instruct').render({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this' },
              { type: 'image', url: 'data:image/png;base64,AA' },
            ],
          },
        ],
      }),
    );
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toBe('this model does not accept images');
    expect(error.param).toBe('messages[0].content[1]');
  });

  it('fails at load time, naming the problem, when the template does not parse', () => {
    expect(() => new ChatTemplate('{% for m in messages %}{{ m.content }}', { origin: 'tokenizer.chat_template of x.gguf' })).toThrow(FatalError);
    expect(() => new ChatTemplate('{% if %}')).toThrow(/chat template could not be parsed: /);
    expect(() => new ChatTemplate('{% for m in messages %}', { origin: 'tokenizer.chat_template of x.gguf' })).toThrow(/tokenizer\.chat_template of x\.gguf/);
  });
});

describe('DEFAULT_CHAT_TEMPLATE', () => {
  const template = new ChatTemplate(DEFAULT_CHAT_TEMPLATE);

  it('is plain ChatML without tools', () => {
    expect(
      template.render({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello!' },
          { role: 'user', content: 'Bye' },
        ],
      }),
    ).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(template.render({ messages: [{ role: 'user', content: 'Hi' }], addGenerationPrompt: false })).toBe('<|im_start|>user\nHi<|im_end|>\n');
  });

  it('keeps tools, tool calls and results in the Hermes / Qwen 2.5 form', () => {
    const prompt = render(template);
    expect(prompt).toBe(
      '<|im_start|>system\nYou are a weather bot.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' +
        'You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n' +
        '{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}, "unit": {"type": "string", "enum": ["c", "f"], "description": "Temperature unit"}}, "required": ["city"]}}}' +
        '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n' +
        '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\nWhat is the weather in Paris?<|im_end|>\n' +
        '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\n<tool_response>\n{"temperature": 21}\n</tool_response><|im_end|>\n' +
        '<|im_start|>user\nAnd tomorrow?<|im_end|>\n<|im_start|>assistant\n',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Python compatibility of the interpreter
// ---------------------------------------------------------------------------------------------

describe('Python-compatible rendering', () => {
  const cases: [string, string, Record<string, unknown>?][] = [
    // Printing follows Python's str(): True / None / repr of lists and dicts.
    ['{{ true }} {{ none }} {{ [1, "a"] }} {{ {"k": [true, none]} }}', "True None [1, 'a'] {'k': [True, None]}"],
    ['{{ x | string }}|{{ y | string }}', "{'a': 1, 'b': \"it's\"}|[1.5, 2]", { x: { a: 1, b: "it's" }, y: [1.5, 2] }],
    ['{{ "{} and {name}!".format(1, name="two") }}', '1 and two!'],
    ['{{ ", ".join(["a", "b"]) }}', 'a, b'],
    ['{{ "xxhixx".strip("x") }}|{{ "  hi ".strip() }}|{{ "hello".find("l") }}|{{ "a-b-c".count("-") }}', 'hi|hi|2|2'],
    ['{% set l = [1] %}{% set _ = l.append(2) %}{{ l.pop(0) }}{{ l }}', '1[2]'],
    ['{{ [3, 1, 2] | min }}{{ [3, 1, 2] | max }}{{ [1, 2] | sum }}', '133'],
    ['{{ ["a", "b"] | map("upper") | join(",") }}', 'A,B'],
    ["{{ ['a', 'code_interpreter', 'b'] | reject('equalto', 'code_interpreter') | join(', ') }}", 'a, b'],
    ['{{ (\'{"a": [1]}\' | from_json).a[0] }}', '1'],
    ['{% for a, b in [("x", 1), ("y", 2)] %}{{ a }}{{ b }}{% endfor %}', 'x1y2'],
    ['{% for x in undefined_thing %}no{% else %}empty{% endfor %}', 'empty'],
    ['{% for x in [1, 2, 3] %}{{ x }}{% if x == 2 %}{% break %}{% endif %}!{% endfor %}', '1!2'],
    ['{% for x in [1, 2, 3] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% endfor %}', '13'],
    ['{% for x in [1, 2, 3] if x != 2 %}{{ loop.index }}{{ loop.cycle("a", "b") }}{{ loop.last }}{% endfor %}', '1aFalse2bTrue'],
    ['{% for x in "ab" %}{{ x }}.{% endfor %}', 'a.b.'],
    ['{{ undefined_thing | length }}{{ undefined_thing | trim }}{{ none | selectattr("a") | list }}', '0[]'],
    ['{{ 1.5 is float }}{{ 1 is float }}{{ {"a": 1} is iterable }}', 'TrueFalseTrue'],
    ['{{ "a" ~ none ~ 1 }}', 'aNone1'],
    ['{% set d = {"a": 1} %}{{ d.get("a") }}{{ d.get("b", 2) }}{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %}', '12a=1'],
  ];
  for (const [source, expected, context] of cases) {
    it(source, () => {
      expect(new ChatTemplate(source).renderRaw(context ?? {}, NOW)).toBe(expected);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Parity with Python's Jinja2 over every template in llama.cpp's collection
// ---------------------------------------------------------------------------------------------

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'template', 'golden');
const GOLDEN_FILE = join(GOLDEN_DIR, 'jinja2-golden.json');

/** Richer data than above: non-ASCII, quotes, nested and typed arguments, a tool without a description. */
const PARITY_TOOLS: ToolDefinition[] = [WEATHER, { name: 'no_description', parameters: { type: 'object', properties: { q: { type: 'string' } } } }];
const PARITY_CALL: ToolCall = {
  id: 'call_abc123',
  name: 'get_weather',
  arguments: '{"city": "Paris, café ☕", "days": 2, "flags": [true, null, 1.5], "nested": {"a": "x\\ny \\"q\\""}}',
};
const PARITY_SCENARIOS: Record<string, { messages: ChatMessage[]; tools: boolean; kwargs?: Record<string, unknown> }> = {
  tools: {
    tools: true,
    messages: [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'Weather in "Paris"?' },
      { role: 'assistant', content: '', toolCalls: [PARITY_CALL] },
      { role: 'tool', content: '{"temp": 20}', toolCallId: PARITY_CALL.id },
      { role: 'user', content: 'Thanks! And tomorrow?' },
    ],
  },
  answered: {
    tools: true,
    kwargs: { enable_thinking: false },
    messages: [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: 'Let me check.', reasoning: 'Need the tool.', toolCalls: [PARITY_CALL] },
      { role: 'tool', content: '{"temp": 20}', toolCallId: PARITY_CALL.id },
      { role: 'assistant', content: 'It is 20 °C.', reasoning: 'Read the result.' },
      { role: 'user', content: 'Thanks!' },
    ],
  },
  single: { tools: false, messages: [{ role: 'user', content: 'Hi there' }] },
  chat: {
    tools: false,
    kwargs: { enable_thinking: true },
    messages: [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Part one.' },
          { type: 'text', text: 'Part two.' },
        ],
      },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Bye' },
    ],
  },
};

/**
 * Where we knowingly differ from Python's Jinja2 (everything else must match byte for byte).
 * Cases where both fail are not listed: the golden file holds Python's error.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  'meetkai-functionary-medium-v3.1#tools': "Python's Markup (from `|safe`) HTML-escapes what is added to it; we do not",
  'meetkai-functionary-medium-v3.1#answered': "Python's Markup (from `|safe`) HTML-escapes what is added to it; we do not",
};

interface GoldenCase {
  name: string;
  template: string;
  context: Record<string, unknown>;
  now: string;
}

function templateFiles(): string[] {
  const dir = dirname(templatePath('x'));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jinja'))
    .sort()
    .map((f) => join(dir, f));
}

function localIso(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/** The exact context our renderer builds for a scenario, for Python to render too. */
function goldenCase(template: ChatTemplate, file: string, scenario: string): GoldenCase {
  const { messages, tools, kwargs } = PARITY_SCENARIOS[scenario]!;
  const caps = template.caps;
  const context: Record<string, unknown> = {
    messages: toTemplateMessages(messages, {
      objectArguments: caps.objectArguments,
      mergeSystem: !caps.systemRole,
      thinkingField: caps.thinkingField,
      reasoningOrContent: caps.reasoningOrContent,
      ...(caps.toolCallIdLength !== undefined ? { toolCallIdLength: caps.toolCallIdLength } : {}),
    }),
    add_generation_prompt: true,
    bos_token: '<s>',
    eos_token: '</s>',
    date_string: strftime(NOW, '%d %b %Y'),
    datetime: strftime(NOW, '%b %d %Y'),
    ...kwargs,
  };
  if (tools) context.tools = toTemplateTools(PARITY_TOOLS);
  return { name: `${basename(file, '.jinja')}#${scenario}`, template: file, context, now: localIso(NOW) };
}

type Golden = Record<string, { sha256: string; bytes: number } | { error: string }>;

describe('parity with Python Jinja2 (transformers settings)', () => {
  const templates = new Map<string, ChatTemplate>();
  let golden: Golden = {};

  beforeAll(() => {
    const cases: GoldenCase[] = [];
    for (const file of templateFiles()) {
      const template = new ChatTemplate(readFileSync(file, 'utf8'), { bosToken: '<s>', eosToken: '</s>' });
      templates.set(basename(file, '.jinja'), template);
      for (const scenario of Object.keys(PARITY_SCENARIOS)) cases.push(goldenCase(template, file, scenario));
    }
    if (process.env.UPDATE_TEMPLATE_GOLDEN) {
      const output = execFileSync('python3', [join(GOLDEN_DIR, 'render.py')], { input: JSON.stringify(cases), maxBuffer: 64 << 20 });
      writeFileSync(GOLDEN_FILE, output);
    }
    golden = existsSync(GOLDEN_FILE) ? (JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as Golden) : {};
  });

  it('covers every template of the collection', () => {
    expect(templates.size).toBeGreaterThan(60);
    for (const stem of templates.keys()) {
      for (const scenario of Object.keys(PARITY_SCENARIOS)) expect(golden[`${stem}#${scenario}`], `${stem}#${scenario}`).toBeDefined();
    }
  });

  it('renders byte-identical to Jinja2 wherever Jinja2 renders', () => {
    const mismatches: string[] = [];
    for (const [stem, template] of templates) {
      for (const [scenario, { messages, tools, kwargs }] of Object.entries(PARITY_SCENARIOS)) {
        const name = `${stem}#${scenario}`;
        const expected = golden[name];
        if (!expected || 'error' in expected || name in KNOWN_DIFFERENCES) continue;
        let text: string;
        try {
          text = template.render({ messages, ...(tools ? { tools: PARITY_TOOLS } : {}), ...(kwargs ? { kwargs } : {}), now: NOW });
        } catch (error) {
          mismatches.push(`${name}: we fail (${(error as Error).message})`);
          continue;
        }
        const sha256 = createHash('sha256').update(text).digest('hex');
        if (sha256 !== expected.sha256) mismatches.push(`${name}: output differs (${Buffer.byteLength(text)} bytes, Jinja2 ${expected.bytes})`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("raises the template's own exceptions where Jinja2 does", () => {
    const mismatches: string[] = [];
    for (const [stem, template] of templates) {
      for (const [scenario, { messages, tools, kwargs }] of Object.entries(PARITY_SCENARIOS)) {
        const name = `${stem}#${scenario}`;
        const expected = golden[name];
        if (!expected || !('error' in expected) || !expected.error.startsWith('TemplateError: ')) continue;
        try {
          template.render({ messages, ...(tools ? { tools: PARITY_TOOLS } : {}), ...(kwargs ? { kwargs } : {}), now: NOW });
          mismatches.push(`${name}: we render, Jinja2 raises ${expected.error}`);
        } catch (error) {
          const message = `chat template error: ${expected.error.slice('TemplateError: '.length)}`;
          if ((error as Error).message !== message) mismatches.push(`${name}: ${(error as Error).message} vs ${message}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('still differs only where known', () => {
    // A known difference that starts matching should be removed from the list.
    for (const name of Object.keys(KNOWN_DIFFERENCES)) {
      const [stem = '', scenario = ''] = name.split('#');
      const expected = golden[name];
      const template = templates.get(stem);
      if (!template || !expected || 'error' in expected) continue;
      const { messages, tools, kwargs } = PARITY_SCENARIOS[scenario]!;
      let sha256 = '';
      try {
        const text = template.render({ messages, ...(tools ? { tools: PARITY_TOOLS } : {}), ...(kwargs ? { kwargs } : {}), now: NOW });
        sha256 = createHash('sha256').update(text).digest('hex');
      } catch {
        // still different
      }
      expect(sha256, name).not.toBe(expected.sha256);
    }
  });
});
