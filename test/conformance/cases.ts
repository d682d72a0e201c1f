// Conformance cases: for every real chat template (llama.cpp's models/templates/*.jinja) whose
// output syntax we parse with one of our families, the raw model outputs — in that family's
// native syntax — for a fixed set of cases. generate-reference.ts runs them through llama.cpp's
// own parser (the oracle) and records what it makes of them in reference.json.
//
// The syntax is taken from llama.cpp's tests/test-chat.cpp (same commit as our engine) and
// from the templates themselves (how they render an assistant turn with reasoning / tool calls).
//
// Thinking "forced open": some templates end the generation prompt inside an opened thinking
// block (`<|im_start|>assistant\n<think>\n`); the model then starts with reasoning and no opening
// tag. Which templates do that is learnt from the oracle (its generation prompt) and recorded
// per fixture as `thinkingForcedOpen`. At llama.cpp de3ff815ea7d with enable_thinking: Qwen-QwQ-32B,
// Qwen3.5-4B, NVIDIA-Nemotron-3-Nano, StepFun3.5-Flash, Bielik-11B-v3.0, GLM-4.7-Flash, Spark2.5,
// poolside-Laguna-*, MiniMax-M2, deepseek-ai-DeepSeek-R1-Distill-*, llama-cpp-deepseek-r1,
// deepseek-ai-DeepSeek-V3.1. (Qwen3-0.6B and GLM-4.6 are not: the model opens `<think>` itself.)
// The outputs below are built for either case.

import type { FamilyId } from '../../src/chat/parsers/types.js';

export type CaseId = 'text' | 'reasoning-text' | 'tool-call' | 'two-tool-calls' | 'reasoning-tool-call';

export const CASE_IDS: readonly CaseId[] = ['text', 'reasoning-text', 'tool-call', 'two-tool-calls', 'reasoning-tool-call'];

export interface Call {
  name: string;
  arguments: Record<string, unknown>;
}

export const TEXT = 'The weather in Paris is sunny.\nAnything else?';
export const REASONING = 'The user asks about Paris.\nI should check.';
export const WEATHER: Call = { name: 'get_weather', arguments: { city: 'Paris' } };
export const TIME: Call = { name: 'get_time', arguments: { timezone: 'Europe/Paris' } };

/** The tools offered with every case (OpenAI function tools). */
export const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Get the current weather in a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string', description: 'City name' } },
        required: ['city'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      description: 'Get the current time in a timezone',
      parameters: {
        type: 'object',
        properties: { timezone: { type: 'string', description: 'IANA timezone' } },
        required: ['timezone'],
      },
    },
  },
] as const;

export const MESSAGES = [{ role: 'user', content: 'What is the weather and the time in Paris?' }] as const;

/** What a syntax needs to know about the rendered prompt. */
export interface SyntaxContext {
  /** The generation prompt already opened the thinking block. */
  thinkingForcedOpen: boolean;
}

export interface Syntax {
  /** How a reasoning block is written; absent when the family does not reason this way. */
  think?: { open: string; close: string };
  /** Wraps content text (e.g. gpt-oss's final channel). */
  text?(text: string, afterReasoning: boolean): string;
  /** Wraps reasoning (overrides `think`, e.g. gpt-oss's analysis channel). */
  reasoning?(reasoning: string): string;
  /** The tool calls of one turn, optionally after some reasoning. */
  calls?(calls: Call[], afterReasoning: boolean): string;
  /** False where one generation can hold only one call (gpt-oss stops at `<|call|>`): no two-call case. */
  parallel?: boolean;
}

const json = (value: unknown): string => JSON.stringify(value).replace(/":/g, '": ').replace(/,"/g, ', "');

const qwenThink = { open: '<think>\n', close: '\n</think>\n\n' };

const hermes: Syntax = {
  think: qwenThink,
  calls: (calls) => calls.map((c) => `<tool_call>\n${json({ name: c.name, arguments: c.arguments })}\n</tool_call>`).join('\n'),
};

/**
 * SmolLM3 (Unsloth's template, as bundled with llama.cpp): `<think>` reasoning, and no tools in the
 * template at all, so reasoning-only cases (llama.cpp finds no tool-call syntax).
 */
const smolLm3: Syntax = { think: qwenThink };

/** RWKV World: `<think>` reasoning written right after `Assistant: <think>`, no tool syntax (reasoning-only cases). */
const rwkvWorld: Syntax = { think: { open: '<think>', close: '</think>' } };

/** Reka Edge: Hermes calls written back to back (the template puts nothing between them). */
const rekaEdge: Syntax = {
  think: qwenThink,
  calls: (calls) => calls.map((c) => `<tool_call>\n${json({ name: c.name, arguments: c.arguments })}\n</tool_call>`).join(''),
};

const qwen3Coder: Syntax = {
  think: qwenThink,
  calls: (calls) =>
    calls
      .map(
        (c) =>
          `<tool_call>\n<function=${c.name}>\n${Object.entries(c.arguments)
            .map(([k, v]) => `<parameter=${k}>\n${typeof v === 'string' ? v : JSON.stringify(v)}\n</parameter>\n`)
            .join('')}</function>\n</tool_call>`,
      )
      .join('\n'),
};

const llama3: Syntax = {
  calls: (calls) => calls.map((c) => json({ name: c.name, parameters: c.arguments })).join('\n'),
};

const glmArgs = (c: Call, sep: string): string =>
  Object.entries(c.arguments)
    .map(([k, v]) => `<arg_key>${k}</arg_key>${sep}<arg_value>${typeof v === 'string' ? v : JSON.stringify(v)}</arg_value>${sep}`)
    .join('');

/** GLM-4.5 / 4.6: one call per <tool_call>, arguments on their own lines. */
const glm46: Syntax = {
  think: { open: '<think>', close: '</think>\n' },
  calls: (calls) => calls.map((c) => `<tool_call>${c.name}\n${glmArgs(c, '\n')}</tool_call>`).join('\n'),
};

/** GLM-4.7: the same without the newlines. */
const glm47: Syntax = {
  think: { open: '<think>', close: '</think>' },
  calls: (calls) => calls.map((c) => `<tool_call>${c.name}${glmArgs(c, '')}</tool_call>`).join(''),
};

/**
 * Ling 3.0 (Bailing V3): GLM-4.6's calls (`<tool_call>NAME\n<arg_key>K</arg_key>\n<arg_value>V</arg_value>\n</tool_call>`,
 * `\n` between calls); the template writes `</think>` right before the content.
 */
const ling3: Syntax = {
  think: { open: '<think>', close: '</think>' },
  calls: glm46.calls,
};

const gptOss: Syntax = {
  // A tool call ends the generation (`<|call|>` is a stop token), so a turn holds one call;
  // llama.cpp's parser silently drops anything after the first call.
  parallel: false,
  reasoning: (r) => `<|channel|>analysis<|message|>${r}<|end|><|start|>assistant`,
  text: (t) => `<|channel|>final<|message|>${t}`,
  calls: (calls) => calls.map((c) => `<|channel|>commentary to=functions.${c.name} <|constrain|>json<|message|>${json(c.arguments)}`).join(''),
};

const deepseekR1: Syntax = {
  think: { open: '<think>\n', close: '\n</think>\n\n' },
  calls: (calls) =>
    `<｜tool▁calls▁begin｜>${calls
      .map((c) => `<｜tool▁call▁begin｜>function<｜tool▁sep｜>${c.name}\n\`\`\`json\n${json(c.arguments)}\n\`\`\`<｜tool▁call▁end｜>`)
      .join('\n')}<｜tool▁calls▁end｜>`,
};

const deepseekV31: Syntax = {
  think: { open: '<think>', close: '</think>' },
  calls: (calls) => `<｜tool▁calls▁begin｜>${calls.map((c) => `<｜tool▁call▁begin｜>${c.name}<｜tool▁sep｜>${json(c.arguments)}<｜tool▁call▁end｜>`).join('')}<｜tool▁calls▁end｜>`,
};

/** Mistral Small 3.2: [TOOL_CALLS]name[CALL_ID]id[ARGS]{…} per call. */
const mistralCallId: Syntax = {
  calls: (calls) => calls.map((c, i) => `[TOOL_CALLS]${c.name}[CALL_ID]${String(i + 1).padStart(9, '0')}[ARGS]${json(c.arguments)}`).join(''),
};

/** Devstral / Ministral 3 / Magistral: [TOOL_CALLS]name[ARGS]{…} per call; Ministral reasons in [THINK]…[/THINK]. */
const mistralArgs: Syntax = {
  think: { open: '[THINK]', close: '[/THINK]' },
  calls: (calls) => calls.map((c) => `[TOOL_CALLS]${c.name}[ARGS]${json(c.arguments)}`).join(''),
};

/** Mistral Nemo (v3 tekken): [TOOL_CALLS][{name, arguments, id}, …]. */
const mistralNemo: Syntax = {
  calls: (calls) => `[TOOL_CALLS]${json(calls.map((c, i) => ({ name: c.name, arguments: c.arguments, id: String(i + 1).padStart(9, '0') })))}`,
};

const kimiK2: Syntax = {
  think: { open: '<think>', close: '</think>' },
  calls: (calls) =>
    `<|tool_calls_section_begin|>${calls
      .map((c, i) => `<|tool_call_begin|>functions.${c.name}:${i}<|tool_call_argument_begin|>${json(c.arguments)}<|tool_call_end|>`)
      .join('')}<|tool_calls_section_end|>`,
};

const minimaxM2: Syntax = {
  think: { open: '<think>\n', close: '\n</think>\n\n' },
  calls: (calls) =>
    `<minimax:tool_call>\n${calls
      .map(
        (c) =>
          `<invoke name="${c.name}">\n${Object.entries(c.arguments)
            .map(([k, v]) => `<parameter name="${k}">${typeof v === 'string' ? v : JSON.stringify(v)}</parameter>\n`)
            .join('')}</invoke>\n`,
      )
      .join('')}</minimax:tool_call>`,
};

/** ByteDance Seed-OSS: Qwen3-Coder's call body in <seed:tool_call>, values without newlines around them. */
const seedOss: Syntax = {
  think: { open: '<seed:think>', close: '</seed:think>\n' },
  calls: (calls) =>
    calls
      .map(
        (c) =>
          `<seed:tool_call>\n<function=${c.name}>\n${Object.entries(c.arguments)
            .map(([k, v]) => `<parameter=${k}>${typeof v === 'string' ? v : JSON.stringify(v)}</parameter>\n`)
            .join('')}</function>\n</seed:tool_call>`,
      )
      .join('\n'),
};

/** IBM Granite 3.3: `<|tool_call|>` then a JSON array of calls; reasoning `<think>…</think>` then `<response>…</response>`. */
const granite: Syntax = {
  think: { open: '<think>', close: '</think>' },
  text: (text, afterReasoning) => (afterReasoning ? `<response>${text}</response>` : text),
  calls: (calls) => `<|tool_call|>${json(calls.map((c) => ({ name: c.name, arguments: c.arguments })))}`,
};

/** NVIDIA Nemotron Nano v2: one `<TOOLCALL>[…]</TOOLCALL>` JSON list of calls, `<think>`. */
const nemotronV2: Syntax = {
  think: { open: '<think>\n', close: '\n</think>\n' },
  calls: (calls) => `<TOOLCALL>${json(calls.map((c) => ({ name: c.name, arguments: c.arguments })))}</TOOLCALL>`,
};

/** Apertus: one `<|tools_prefix|>[…]<|tools_suffix|>` JSON list of `{"NAME": {…}}` calls, as the template renders them. */
const apertus: Syntax = {
  calls: (calls) => `<|tools_prefix|>${json(calls.map((c) => ({ [c.name]: c.arguments })))}<|tools_suffix|>`,
};

/** DeepSeek V3.2 / V4: a DSML block (`function_calls` / `tool_calls`) of invokes, after a blank line, as the template renders it. */
const deepseekDsml = (block: string): Syntax => ({
  think: { open: '<think>', close: '</think>' },
  calls: (calls) =>
    `\n\n<｜DSML｜${block}>\n${calls
      .map(
        (c) =>
          `<｜DSML｜invoke name="${c.name}">\n${Object.entries(c.arguments)
            .map(([k, v]) => `<｜DSML｜parameter name="${k}" string="${typeof v === 'string'}">${typeof v === 'string' ? v : JSON.stringify(v)}</｜DSML｜parameter>\n`)
            .join('')}</｜DSML｜invoke>\n`,
      )
      .join('')}</｜DSML｜${block}>`,
});

/** Gemma 4's value encoding (the template's `format_argument`): strings in <|"|>, keys bare and sorted. */
const gemma4Value = (value: unknown): string => {
  if (typeof value === 'string') return `<|"|>${value}<|"|>`;
  if (Array.isArray(value)) return `[${value.map(gemma4Value).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${k}:${gemma4Value(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

/** Google Gemma 4: `<|tool_call>call:NAME{…}<tool_call|>` back to back, `<|channel>thought\n…<channel|>`. */
const gemma4: Syntax = {
  think: { open: '<|channel>thought\n', close: '<channel|>' },
  calls: (calls) => calls.map((c) => `<|tool_call>call:${c.name}${gemma4Value(c.arguments)}<tool_call|>`).join(''),
};

/**
 * Cohere Command R7B / Cohere2 MoE: `<|START_THINKING|>…<|END_THINKING|>`, then the answer in
 * `<|START_RESPONSE|>` (R7B) or `<|START_TEXT|>` (Cohere2 MoE), or the calls as one JSON list in
 * `<|START_ACTION|>[…]<|END_ACTION|>`, one call per line as the templates write them.
 */
const cohereCalls = (calls: Call[]): string =>
  `<|START_ACTION|>[\n${calls.map((c, i) => `    ${json({ tool_call_id: String(i), tool_name: c.name, parameters: c.arguments })}`).join(',\n')}\n]<|END_ACTION|>`;
const commandR7b: Syntax = {
  think: { open: '<|START_THINKING|>', close: '<|END_THINKING|>' },
  text: (text) => `<|START_RESPONSE|>${text}<|END_RESPONSE|>`,
  calls: cohereCalls,
};
const cohere2Moe: Syntax = {
  think: { open: '<|START_THINKING|>', close: '<|END_THINKING|>' },
  text: (text) => `<|START_TEXT|>${text}<|END_TEXT|>`,
  calls: cohereCalls,
};

/**
 * Apriel 1.5 / 1.6: one `<tool_calls>[…]</tool_calls>` JSON list of calls. 1.6 reasons with no
 * opening tag (its generation prompt ends with `Here are my reasoning steps:\n`) up to
 * `[BEGIN FINAL RESPONSE]`; 1.5 has no reasoning syntax llama.cpp sees (no reasoning cases).
 */
const apriel: Syntax = {
  think: { open: 'Here are my reasoning steps:\n', close: '\n[BEGIN FINAL RESPONSE]\n' },
  calls: (calls) => `<tool_calls>${json(calls.map((c) => ({ name: c.name, arguments: c.arguments })))}</tool_calls>`,
};

/** MiniMax-M1: `<tool_calls>` with one JSON call per line, as the template renders them. */
const minimaxM1: Syntax = {
  calls: (calls) => `<tool_calls>\n${calls.map((c) => `${json({ name: c.name, arguments: c.arguments })}\n`).join('')}</tool_calls>`,
};

/**
 * Muse Glimmer (ATEM): after the prompt's `<|start|>assistant`, messages ` to=RECIPIENT<|message|>…`
 * ended by `<|eom|>` (more follow) — reasoning to `self`, the answer to `user`, one call per message.
 */
const museGlimmer: Syntax = {
  reasoning: (r) => ` to=self<|message|>${r}<|eom|><|start|>assistant`,
  text: (t) => ` to=user<|message|>${t}`,
  calls: (calls) =>
    calls
      .map(
        (c) =>
          ` to=${c.name}<|message|><atem:function_calls>\n<atem:invoke name="${c.name}">\n${Object.entries(c.arguments)
            .map(([k, v]) => `<atem:parameter name="${k}">${typeof v === 'string' ? v : JSON.stringify(v)}</atem:parameter>\n`)
            .join('')}</atem:invoke>\n</atem:function_calls>`,
      )
      .join('<|eom|><|start|>assistant'),
};

/** Tencent Hy3: GLM-style tagged arguments with `:opensource` tags in a section, as the template renders them. */
const hy3: Syntax = {
  think: { open: '<think:opensource>', close: '</think:opensource>' },
  calls: (calls) =>
    `<tool_calls:opensource>\n${calls
      .map(
        (c) =>
          `<tool_call:opensource>${c.name}<tool_sep:opensource>\n${Object.entries(c.arguments)
            .map(([k, v]) => `<arg_key:opensource>${k}</arg_key:opensource>\n<arg_value:opensource>${typeof v === 'string' ? v : JSON.stringify(v)}</arg_value:opensource>\n`)
            .join('')}</tool_call:opensource>\n`,
      )
      .join('')}</tool_calls:opensource>`,
};

/** OpenBMB MiniCPM5: bare `<function name="N"><param name="K">V</param></function>` calls, a newline between them. */
const minicpm5: Syntax = {
  think: { open: '<think>\n', close: '\n</think>\n\n' },
  calls: (calls) =>
    calls
      .map(
        (c) =>
          `<function name="${c.name}">${Object.entries(c.arguments)
            .map(([k, v]) => `<param name="${k}">${typeof v === 'string' ? v : JSON.stringify(v)}</param>`)
            .join('')}</function>`,
      )
      .join('\n'),
};

/**
 * Upstage Solar Open: messages with headers after the prompt's `<|begin|>assistant`; the call id
 * is 10 random [a-z0-9] characters, as the template's instructions ask.
 */
const solarOpen: Syntax = {
  think: { open: '<|think|>', close: '<|end|><|begin|>assistant' },
  text: (text) => `<|content|>${text}`,
  calls: (calls) =>
    `<|tool_calls|>${calls
      .map((c, i) => `<|tool_call:begin|>${['a1b2c3d4e5', 'f6g7h8i9j0'][i]}<|tool_call:name|>${c.name}<|tool_call:args|>${json(c.arguments)}<|tool_call:end|>`)
      .join('')}<|calls|>`,
};

/** Functionary v3.1: `<function=NAME>{json}</function>` per call, back to back; no reasoning. */
const functionaryV31: Syntax = {
  calls: (calls) => calls.map((c) => `<function=${c.name}>${json(c.arguments)}</function>`).join(''),
};

/** A Python literal for a conformance argument (strings in the given quotes). */
const pythonValue = (value: unknown, quote: string): string => (typeof value === 'string' ? `${quote}${value}${quote}` : JSON.stringify(value));

/** LFM2 / LFM2.5: `<|tool_call_start|>[name(key=value), …]<|tool_call_end|>`, `<think>…</think>` where the template writes it. */
const lfm2Calls =
  (quote: string) =>
  (calls: Call[]): string =>
    `<|tool_call_start|>[${calls
      .map(
        (c) =>
          `${c.name}(${Object.entries(c.arguments)
            .map(([k, v]) => `${k}=${pythonValue(v, quote)}`)
            .join(', ')})`,
      )
      .join(', ')}]<|tool_call_end|>`;
/** Double quotes, as in llama.cpp's test-chat.cpp. */
const lfm2: Syntax = { calls: lfm2Calls('"') };
/** LFM2.5-8B-A1B renders string arguments in single quotes and thinking as `<think>…</think>`. */
const lfm25Thinking: Syntax = { think: { open: '<think>', close: '</think>' }, calls: lfm2Calls("'") };

/** FireFunction v2: ` functools[…]` JSON list of calls, no closing markup, as the template renders them. */
const firefunctionV2: Syntax = {
  calls: (calls) => ` functools${json(calls.map((c) => ({ name: c.name, arguments: c.arguments })))}`,
};

/** Functionary v3.2: `all\n` text; `NAME\n{json}` calls joined by `>>>` (the prompt ends with the first `>>>`). */
const functionaryV32: Syntax = {
  text: (text) => `all\n${text}`,
  calls: (calls) => calls.map((c) => `${c.name}\n${json(c.arguments)}`).join('>>>'),
};

/**
 * GigaChat 3 / 3.1: one bare `{"name": …, "arguments": …}` after the call marker. The templates
 * render only an assistant's first tool call (one call per turn): no two-call case.
 */
const gigachat = (marker: string): Syntax => ({
  parallel: false,
  calls: (calls) => calls.map((c) => `${marker}${json({ name: c.name, arguments: c.arguments })}`).join(''),
});

const MINIMAX_NS = ']<]minimax[>[';
/**
 * MiniMax-M3: `<mm:think>…</mm:think>`, a turn without reasoning starts with a bare `</mm:think>`;
 * calls in `NS<tool_call>\n…NS</tool_call>`, each `NS<invoke name="N">NS<key>value NS</key>NS</invoke>\n`.
 */
const minimaxM3: Syntax = {
  think: { open: '<mm:think>', close: '</mm:think>' },
  text: (text, afterReasoning) => (afterReasoning ? text : `</mm:think>${text}`),
  calls: (calls, afterReasoning) =>
    `${afterReasoning ? '' : '</mm:think>'}${MINIMAX_NS}<tool_call>\n${calls
      .map(
        (c) =>
          `${MINIMAX_NS}<invoke name="${c.name}">${Object.entries(c.arguments)
            .map(([k, v]) => `${MINIMAX_NS}<${k}>${typeof v === 'string' ? v : JSON.stringify(v)}${MINIMAX_NS}</${k}>`)
            .join('')}${MINIMAX_NS}</invoke>\n`,
      )
      .join('')}${MINIMAX_NS}</tool_call>`,
};

/** Cohere Command R+: `Action:\n```json\n[…]``` with each call indented as the template renders it. */
const commandRPlus: Syntax = {
  calls: (calls) =>
    `Action:\n\`\`\`json\n[\n${calls
      .map((c) => `    {\n        "tool_name": ${JSON.stringify(c.name)},\n        "parameters": ${JSON.stringify(c.arguments, null, 4).replace(/\n/g, '\n        ')}\n    }`)
      .join(',\n')}\n]\`\`\``,
};

/**
 * Kimi K3: XTML sections; the generation prompt opens the message and its think section, the
 * answer is a response section, calls a tools section (string arguments written raw), then the
 * message closer.
 */
const kimiK3: Syntax = {
  think: { open: '<|open|>think<|sep|>', close: '<|close|>think<|sep|>' },
  text: (text) => `<|open|>response<|sep|>${text}<|close|>response<|sep|><|close|>message<|sep|>`,
  calls: (calls) =>
    `<|open|>response<|sep|><|close|>response<|sep|><|open|>tools<|sep|>${calls
      .map(
        (c, i) =>
          `<|open|>call tool="${c.name}" index="${i + 1}"<|sep|>${Object.entries(c.arguments)
            .map(([k, v]) => `<|open|>argument key="${k}" type="${typeof v}"<|sep|>${typeof v === 'string' ? v : JSON.stringify(v)}<|close|>argument<|sep|>`)
            .join('')}<|close|>call<|sep|>`,
      )
      .join('')}<|close|>tools<|sep|><|close|>message<|sep|>`,
};

export interface TemplateSpec {
  /** File stem in models/templates. */
  template: string;
  family: FamilyId;
  syntax: Syntax;
  bosToken: string;
  eosToken: string;
}

const spec = (template: string, family: FamilyId, syntax: Syntax, bosToken = '', eosToken = ''): TemplateSpec => ({
  template,
  family,
  syntax,
  bosToken,
  eosToken,
});

/** Every template we have a family for, grouped by family. */
export const TEMPLATES: readonly TemplateSpec[] = [
  // hermes: <tool_call>{json}</tool_call>, <think> for the Qwen3 generation
  spec('Qwen-Qwen2.5-7B-Instruct', 'hermes', hermes, '', '<|im_end|>'),
  spec('Qwen-Qwen3-0.6B', 'hermes', hermes, '', '<|im_end|>'),
  spec('Qwen-QwQ-32B', 'hermes', hermes, '', '<|im_end|>'),
  spec('NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use', 'hermes', hermes, '<|begin_of_text|>', '<|im_end|>'),
  spec('NousResearch-Hermes-3-Llama-3.1-8B-tool_use', 'hermes', hermes, '<|begin_of_text|>', '<|im_end|>'),
  spec('MiMo-VL', 'hermes', hermes, '', '<|im_end|>'),
  // Same <tool_call>{json}</tool_call> syntax in other model lines
  spec('ibm-granite-granite-4.0', 'hermes', hermes, '', '<|end_of_text|>'),
  spec('ibm-granite-granite-4.1', 'hermes', hermes, '', '<|end_of_text|>'),
  spec('Bielik-11B-v3.0-Instruct', 'hermes', hermes, '<s>', '<|im_end|>'),
  spec('Reka-Edge', 'hermes', rekaEdge, '', '<sep>'),
  spec('HuggingFaceTB-SmolLM3-3B', 'hermes', smolLm3, '', '<|im_end|>'),
  spec('llama-cpp-rwkv-world', 'hermes', rwkvWorld, '', ''),
  // qwen3-coder: <tool_call><function=…><parameter=…>
  spec('Qwen3-Coder', 'qwen3-coder', qwen3Coder, '', '<|im_end|>'),
  spec('Qwen3.5-4B', 'qwen3-coder', qwen3Coder, '', '<|im_end|>'),
  // Same <function=…><parameter=…> syntax in other model lines
  spec('NVIDIA-Nemotron-3-Nano-30B-A3B-BF16', 'qwen3-coder', qwen3Coder, '<s>', '<|im_end|>'),
  spec('StepFun3.5-Flash', 'qwen3-coder', qwen3Coder, '', '<|im_end|>'),
  // llama3: bare JSON {"name", "parameters"}
  spec('meta-llama-Llama-3.1-8B-Instruct', 'llama3', llama3, '<|begin_of_text|>', '<|eot_id|>'),
  spec('meta-llama-Llama-3.2-3B-Instruct', 'llama3', llama3, '<|begin_of_text|>', '<|eot_id|>'),
  spec('meta-llama-Llama-3.3-70B-Instruct', 'llama3', llama3, '<|begin_of_text|>', '<|eot_id|>'),
  // glm45
  spec('GLM-4.6', 'glm45', glm46, '', '<|endoftext|>'),
  spec('GLM-4.7-Flash', 'glm45', glm47, '', '<|endoftext|>'),
  // Same <arg_key>/<arg_value> syntax in other model lines
  spec('Spark2.5', 'glm45', glm47, '', '<|endoftext|>'),
  spec('poolside-Laguna-XS.2', 'glm45', glm46, '', ''),
  spec('poolside-Laguna-XS-2.1', 'glm45', glm46, '', ''),
  spec('poolside-Laguna-S-2.1', 'glm45', glm47, '', ''),
  spec('inclusionai-ling-3.0-flash', 'glm45', ling3, '', '<|role_end|>'),
  // gpt-oss (Harmony)
  spec('openai-gpt-oss-120b', 'gpt-oss', gptOss, '<|startoftext|>', '<|return|>'),
  // deepseek-r1
  spec('deepseek-ai-DeepSeek-R1-Distill-Llama-8B', 'deepseek-r1', deepseekR1, '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>'),
  spec('deepseek-ai-DeepSeek-R1-Distill-Qwen-32B', 'deepseek-r1', deepseekR1, '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>'),
  spec('llama-cpp-deepseek-r1', 'deepseek-r1', deepseekR1, '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>'),
  // deepseek-v3.1
  spec('deepseek-ai-DeepSeek-V3.1', 'deepseek-v3.1', deepseekV31, '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>'),
  // mistral
  spec('Mistral-Small-3.2-24B-Instruct-2506', 'mistral', mistralCallId, '<s>', '</s>'),
  spec('unsloth-mistral-Devstral-Small-2507', 'mistral', { calls: mistralArgs.calls }, '<s>', '</s>'),
  spec('mistralai-Ministral-3-14B-Reasoning-2512', 'mistral', mistralArgs, '<s>', '</s>'),
  spec('mistralai-Mistral-Nemo-Instruct-2407', 'mistral', mistralNemo, '<s>', '</s>'),
  // kimi-k2
  spec('moonshotai-Kimi-K2', 'kimi-k2', { calls: kimiK2.calls }, '', '<|im_end|>'),
  spec('Kimi-K2-Instruct', 'kimi-k2', { calls: kimiK2.calls }, '', '<|im_end|>'),
  spec('Kimi-K2-Thinking', 'kimi-k2', kimiK2, '', '<|im_end|>'),
  // minimax-m2
  spec('MiniMax-M2', 'minimax-m2', minimaxM2, '', '[e~['),
  // seed-oss: <seed:tool_call><function=…><parameter=…>, <seed:think>
  spec('ByteDance-Seed-OSS', 'seed-oss', seedOss, '<seed:bos>', '<seed:eos>'),
  // nemotron-v2: <TOOLCALL>[{…}]</TOOLCALL>, <think>
  spec('NVIDIA-Nemotron-Nano-v2', 'nemotron-v2', nemotronV2, '', '<SPECIAL_12>'),
  // granite: <|tool_call|>[{…}], <think>…</think><response>…</response>
  spec('ibm-granite-granite-3.3-2B-Instruct', 'granite', granite, '', '<|end_of_text|>'),
  // apertus: <|tools_prefix|>[{"NAME": {…}}]<|tools_suffix|>
  spec('Apertus-8B-Instruct', 'apertus', apertus, '<s>', '<|assistant_end|>'),
  // deepseek-v3.2 / deepseek-v4: DSML markup, <think> forced open
  spec('deepseek-ai-DeepSeek-V3.2', 'deepseek-v3.2', deepseekDsml('function_calls'), '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>'),
  spec('deepseek-ai-DeepSeek-V4', 'deepseek-v4', deepseekDsml('tool_calls'), '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>'),
  spec('deepseek-ai-DeepSeek-V4-Flash-0731', 'deepseek-v4', deepseekDsml('tool_calls'), '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>'),
  // gemma4: <|tool_call>call:NAME{key:<|"|>value<|"|>}<tool_call|>, <|channel>thought…<channel|>
  spec('google-gemma-4-31B-it', 'gemma4', gemma4, '<bos>', '<turn|>'),
  spec('google-gemma-4-31B-it-interleaved', 'gemma4', gemma4, '<bos>', '<turn|>'),
  // command-r7b: <|START_ACTION|>[{"tool_call_id", "tool_name", "parameters"}]<|END_ACTION|>, <|START_THINKING|>
  spec('CohereForAI-c4ai-command-r7b-12-2024-tool_use', 'command-r7b', commandR7b, '<BOS_TOKEN>', '<|END_OF_TURN_TOKEN|>'),
  spec('Cohere2MoE', 'command-r7b', cohere2Moe, '<BOS_TOKEN>', '<|END_OF_TURN_TOKEN|>'),
  // command-r-plus: Action:\n```json\n[{"tool_name", "parameters"}]```
  spec('CohereForAI-c4ai-command-r-plus-tool_use', 'command-r-plus', commandRPlus, '<BOS_TOKEN>', '<|END_OF_TURN_TOKEN|>'),
  // apriel: <tool_calls>[{…}]</tool_calls>; 1.6 reasons up to [BEGIN FINAL RESPONSE]
  spec('unsloth-Apriel-1.5', 'apriel', apriel, '<s>', '</s>'),
  spec('Apriel-1.6-15b-Thinker-fixed', 'apriel', apriel, '<s>', '<|end|>'),
  // minimax-m1: <tool_calls>\n{…}\n{…}\n</tool_calls>
  spec('MiniMax-M1', 'minimax-m1', minimaxM1, '', '<end_of_sentence>'),
  // muse-glimmer: <|start|>assistant to=NAME<|message|><atem:function_calls>…, to=self reasoning
  spec('muse-glimmer', 'muse-glimmer', museGlimmer, '', '<|eot|>'),
  // hy3: <tool_calls:opensource><tool_call:opensource>N<tool_sep:opensource><arg_key:opensource>…, <think:opensource>
  spec('tencent-Hy3', 'hy3', hy3, '<｜hy_begin_of_sentence:opensource｜>', '<｜hy_eos:opensource｜>'),
  // minicpm5: <function name="N"><param name="K">V</param></function>, <think>
  spec('openbmb-MiniCPM5-1B', 'minicpm5', minicpm5, '<s>', '<|im_end|>'),
  // solar-open: <|tool_calls|><|tool_call:begin|>id<|tool_call:name|>name<|tool_call:args|>{…}<|tool_call:end|><|calls|>
  spec('upstage-Solar-Open-100B', 'solar-open', solarOpen, '', '<|endoftext|>'),
  // functionary-v3.1: <function=NAME>{json}</function>
  spec('meetkai-functionary-medium-v3.1', 'functionary-v3.1', functionaryV31, '<|begin_of_text|>', '<|eot_id|>'),
  // lfm2: <|tool_call_start|>[name(key=value)]<|tool_call_end|>; only LFM2.5-8B-A1B's template
  // writes <think> (llama.cpp extracts reasoning only then)
  spec('LFM2-8B-A1B', 'lfm2', lfm2, '<|startoftext|>', '<|im_end|>'),
  spec('LFM2.5-Instruct', 'lfm2', lfm2, '<|startoftext|>', '<|im_end|>'),
  spec('LFM2.5-8B-A1B', 'lfm2', lfm25Thinking, '<|startoftext|>', '<|im_end|>'),
  // gigachat3 / gigachat3.1: a {"name", "arguments"} object after the call marker
  spec('GigaChat3-10B-A1.8B', 'gigachat3', gigachat('<|message_sep|>\n\nfunction call<|role_sep|>\n'), '<s>', '</s>'),
  spec('GigaChat3.1-10B-A1.8B', 'gigachat3.1', gigachat('<|function_call|>'), '<s>', '</s>'),
  // firefunction-v2:  functools[{…}]
  spec('fireworks-ai-llama-3-firefunction-v2', 'firefunction-v2', firefunctionV2, '<|begin_of_text|>', '<|eot_id|>'),
  // functionary-v3.2: NAME\n{json}>>>NAME\n{json}, all\n text
  spec('meetkai-functionary-medium-v3.2', 'functionary-v3.2', functionaryV32, '<|begin_of_text|>', '<|eot_id|>'),
  // minimax-m3: ]<]minimax[>[<tool_call>, <invoke name=…>, parameters as elements; <mm:think>
  spec('MiniMax-M3', 'minimax-m3', minimaxM3, ']~b]', '[e~['),
  // kimi-k3: <|open|>think<|sep|>…, <|open|>tools<|sep|><|open|>call tool="…"<|sep|><|open|>argument key="…"…
  spec('Kimi-K3', 'kimi-k3', kimiK3, '', '<|end_of_msg|>'),
];

/**
 * Cases where llama.cpp's answer is known not to be the right one for that template; the
 * reference records them (with the reason) and the conformance test leaves them out.
 * (Cases where llama.cpp throws are recorded as `{error}` and left out as well.)
 */
export const ORACLE_GAPS: Readonly<Record<string, Partial<Record<CaseId, string>>>> = {
  'CohereForAI-c4ai-command-r-plus-tool_use': {
    text: "with tools offered, llama.cpp's autoparser expects an answer wrapped in <|CHATBOT_TOKEN|>…<|END_OF_TURN_TOKEN|> (how the template renders a past assistant turn; the generation prompt already wrote <|CHATBOT_TOKEN|>) and rejects plain text",
  },
  'meetkai-functionary-medium-v3.2': {
    'two-tool-calls':
      "llama.cpp's Functionary v3.2 handler expects calls back to back without the >>> the template writes between them (NAME\\n{json}>>>NAME\\n{json}) and rejects the output",
  },
  'deepseek-ai-DeepSeek-R1-Distill-Llama-8B': {
    'tool-call': 'llama.cpp finds no tool-call syntax in this template (tool_mode NONE: it renders calls only when content is none) and returns the call markup as content',
    'two-tool-calls': 'same as tool-call',
    'reasoning-tool-call': 'same as tool-call',
  },
  'ibm-granite-granite-3.3-2B-Instruct': {
    'tool-call':
      "llama.cpp finds no tool-call syntax in this template (it never renders an assistant's tool_calls; its system prompt asks for <|tool_call|> and a JSON list) and returns the call markup as content",
    'two-tool-calls': 'same as tool-call',
    'reasoning-tool-call': 'same as tool-call',
  },
  'MiniMax-M1': {
    'two-tool-calls': 'llama.cpp\'s autoparser infers "," as the separator between calls in <tool_calls> and rejects the newline the template writes between them',
  },
  'llama-cpp-rwkv-world': {
    text: "llama.cpp's generation prompt for this template comes out empty, so it does not see that the prompt ('Assistant: <think>') opens thinking: it expects the model to write <think> itself and takes output without it as content (a real model's reasoning and </think> included); we start inside the reasoning",
    'reasoning-text': 'same as text (the raw output opens <think> again, as llama.cpp expects)',
  },
  'upstage-Solar-Open-100B': {
    text: "with tools offered, llama.cpp's autoparser keeps the <|content|> message header in the content (it unwraps it only without tools)",
    'tool-call':
      "llama.cpp's autoparser took its probe's call id into the function-name prefix ('call00001<|tool_call:name|>'), so it accepts no other id; the 10 random characters the template asks for fail to parse",
    'two-tool-calls': 'same as tool-call',
  },
  'MiniMax-M2': {
    'two-tool-calls': 'llama.cpp\'s autoparser infers ", " as the separator between <invoke> blocks and rejects the newline the template writes',
  },
  'meta-llama-Llama-3.1-8B-Instruct': { 'two-tool-calls': 'llama.cpp: no parallel calls for this template (supports_parallel_calls false)' },
  'meta-llama-Llama-3.2-3B-Instruct': { 'two-tool-calls': 'llama.cpp: no parallel calls for this template (supports_parallel_calls false)' },
  'meta-llama-Llama-3.3-70B-Instruct': { 'two-tool-calls': 'llama.cpp: no parallel calls for this template (supports_parallel_calls false)' },
};

export interface RawCase {
  case: CaseId;
  raw: string;
}

/** What the oracle told us about a template before we write its outputs. */
export interface TemplateFacts extends SyntaxContext {
  /** llama.cpp found a reasoning syntax in the template. */
  supportsThinking: boolean;
}

/**
 * The raw outputs of one template. Reasoning cases are written only where the family has a
 * reasoning syntax and llama.cpp sees thinking support in the template.
 */
export function rawCases(spec: TemplateSpec, facts: TemplateFacts): RawCase[] {
  const s = spec.syntax;
  const reasons = (s.think !== undefined || s.reasoning !== undefined) && facts.supportsThinking;
  const thought = (r: string): string => {
    if (s.reasoning) return s.reasoning(r);
    const think = s.think!;
    return facts.thinkingForcedOpen ? `${r}${think.close}` : `${think.open}${r}${think.close}`;
  };
  // Thinking forced open: an answer without reasoning still has to close the block first.
  const noThought = (): string => (reasons && facts.thinkingForcedOpen && s.think ? s.think.close.replace(/^\n+/, '') : '');
  const text = (t: string, afterReasoning: boolean): string => (s.text ? s.text(t, afterReasoning) : t);

  const out: RawCase[] = [{ case: 'text', raw: noThought() + text(TEXT, false) }];
  if (reasons) out.push({ case: 'reasoning-text', raw: thought(REASONING) + text(TEXT, true) });
  // A template without tool-call syntax (no `calls`) gets the reasoning-only cases.
  if (s.calls) {
    out.push({ case: 'tool-call', raw: noThought() + s.calls([WEATHER], false) });
    if (s.parallel !== false) out.push({ case: 'two-tool-calls', raw: noThought() + s.calls([WEATHER, TIME], false) });
    if (reasons) out.push({ case: 'reasoning-tool-call', raw: thought(REASONING) + s.calls([WEATHER], true) });
  }
  return out;
}
