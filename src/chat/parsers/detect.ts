// Which output syntax a chat template teaches its model, from signatures in the template
// source. Checks run from the most specific to the most general; the order and the
// signatures follow llama.cpp's `common_chat_try_specialized_template` (common/chat.cpp)
// where it has one.

import type { FamilyId } from './types.js';

interface Rule {
  family: FamilyId;
  test(source: string): boolean;
}

const has = (source: string, ...needles: string[]): boolean => needles.every((needle) => source.includes(needle));

const RULES: readonly Rule[] = [
  // Harmony (gpt-oss): channels.
  { family: 'gpt-oss', test: (s) => has(s, '<|channel|>') },
  // Kimi-K2 (Instruct, Thinking); Kimi-K3 uses other markers and is not this family.
  { family: 'kimi-k2', test: (s) => has(s, '<|tool_calls_section_begin|>', '<|tool_call_begin|>') },
  // MiniMax-M2 (M3 namespaces its tags as ]<]minimax[>[ and is a different syntax).
  { family: 'minimax-m2', test: (s) => has(s, '<minimax:tool_call>') && !has(s, ']<]minimax[>[') },
  // DeepSeek V3.2 / V4: DSML markup (llama.cpp's signature: the template defines dsml_token);
  // V3.2 names the call block `function_calls`, V4 `tool_calls` (V3.2 also mentions tool_calls).
  { family: 'deepseek-v3.2', test: (s) => has(s, 'dsml_token', 'DSML', 'function_calls') },
  { family: 'deepseek-v4', test: (s) => has(s, 'dsml_token', 'DSML', 'tool_calls') },
  // Kimi K3: XTML sections from the <|open|>/<|close|>/<|sep|> tokens (llama.cpp's signature).
  { family: 'kimi-k3', test: (s) => has(s, '<|open|>', '<|close|>', '<|end_of_msg|>') },
  // MiniMax-M3: the same invoke structure in tags namespaced by the ]<]minimax[>[ token.
  { family: 'minimax-m3', test: (s) => has(s, ']<]minimax[>[', '<tool_call>', '<invoke name=') },
  // DeepSeek V3.1 writes name<｜tool▁sep｜>{json}; R1 writes function<｜tool▁sep｜>name + ```json fences.
  { family: 'deepseek-v3.1', test: (s) => has(s, '<｜tool▁calls▁begin｜>') && !has(s, '```json') },
  { family: 'deepseek-r1', test: (s) => has(s, '<｜tool▁calls▁begin｜>') },
  // Mistral / Magistral / Devstral / Ministral.
  { family: 'mistral', test: (s) => has(s, '[TOOL_CALLS]') },
  // Google Gemma 4: `<|tool_call>call:NAME{…}<tool_call|>` (llama.cpp's signature).
  { family: 'gemma4', test: (s) => has(s, "'<|tool_call>call:'") },
  // NVIDIA Nemotron Nano v2: a JSON list of calls in <TOOLCALL>…</TOOLCALL>.
  { family: 'nemotron-v2', test: (s) => has(s, '<TOOLCALL>[', '</TOOLCALL>') },
  // Swiss AI Apertus: a JSON list of {"name": {…}} calls in <|tools_prefix|>…<|tools_suffix|>.
  { family: 'apertus', test: (s) => has(s, '<|tools_prefix|>', '<|tools_suffix|>') },
  // Cohere Command R7B and Cohere2 MoE: a JSON list of calls in <|START_ACTION|>…<|END_ACTION|>
  // (Command R+ writes `Action: ```json` and is not this family).
  { family: 'command-r7b', test: (s) => has(s, '<|START_ACTION|>', '<|END_ACTION|>') },
  // ServiceNow Apriel 1.5 / 1.6: a JSON list of calls in <tool_calls>…</tool_calls>.
  { family: 'apriel', test: (s) => has(s, '<tool_calls>[', '</tool_calls>') },
  // MiniMax-M1: JSON calls one per line in <tool_calls>…</tool_calls> (after Apriel's `<tool_calls>[`).
  { family: 'minimax-m1', test: (s) => has(s, '<tool_calls>', '</tool_calls>') },
  // Muse Glimmer (ATEM): Harmony-like recipients, calls in <atem:function_calls>.
  { family: 'muse-glimmer', test: (s) => has(s, '<atem:function_calls>', '<|eom|>') },
  // Tencent Hy3: GLM-style tagged arguments with `:opensource` tags, built by `'<tool_call{}>'.format(HYTK)`.
  { family: 'hy3', test: (s) => has(s, ':opensource', '<tool_sep{}>', '<arg_key{}>') },
  // OpenBMB MiniCPM5: bare <function name="…"><param name="…">…</param></function> calls.
  { family: 'minicpm5', test: (s) => has(s, 'Tool usage guidelines:', '<function name="', '<param name="') },
  // Upstage Solar Open: <|tool_call:begin|>id<|tool_call:name|>name<|tool_call:args|>{json} in <|begin|>assistant messages.
  { family: 'solar-open', test: (s) => has(s, '<|tool_call:begin|>', '<|tool_call:args|>', '<|begin|>assistant') },
  // Liquid AI LFM2 / LFM2.5: Python-style calls in <|tool_call_start|>[…]<|tool_call_end|>. llama.cpp
  // knows LFM2 by its tool-list markers and LFM2.5 by a plain "List of tools: [" without them.
  { family: 'lfm2', test: (s) => has(s, '<|tool_list_start|>', '<|tool_list_end|>') || (has(s, 'List of tools: [') && !has(s, '<|tool_list_start|>')) },
  // Fireworks FireFunction v2: a JSON list of calls after `functools` (a Llama 3 template, so before llama3).
  { family: 'firefunction-v2', test: (s) => has(s, 'functools[') },
  // Sber GigaChat 3 / 3.1 (llama.cpp's GigaChatV3 rule; 3.1 adds a <|function_call|> token).
  { family: 'gigachat3.1', test: (s) => has(s, '<|role_sep|>', '<|message_sep|>', '<|function_call|>') },
  { family: 'gigachat3', test: (s) => has(s, '<|role_sep|>', '<|message_sep|>') },
  // Cohere Command R+ (tool use): a fenced JSON list of calls after `Action:`.
  { family: 'command-r-plus', test: (s) => has(s, 'Action:\\n```json', '"tool_name"') },
  // IBM Granite 3.3: `<|tool_call|>` then a JSON array of calls.
  { family: 'granite', test: (s) => has(s, '<|tool_call|>', 'available_tools') },
  // ByteDance Seed-OSS: Qwen3-Coder's call body in <seed:tool_call>.
  { family: 'seed-oss', test: (s) => has(s, '<seed:tool_call>', '<function=', '<parameter=') },
  // Qwen3-Coder XML (also Qwen3.5, Nemotron Nano 3, StepFun-3.5-Flash), excluding templates
  // that write `<tool_call><function=…>` without newlines (another syntax).
  {
    family: 'qwen3-coder',
    test: (s) => has(s, '<tool_call>', '<function=', '<parameter=') && !has(s, "'<tool_call><function=' ~ tool_call.name ~ '>'"),
  },
  // GLM-4.5/4.6/4.7 and templates that copied its syntax: Spark, Laguna, Ling 3.0 (its own
  // <role>ASSISTANT</role> turns, but the same <tool_call>NAME<arg_key>…<arg_value>… calls and
  // <think> forced open by the prompt; llama.cpp has a dedicated handler for it that parses the
  // same markup).
  { family: 'glm45', test: (s) => has(s, '<tool_call>', '<arg_key>', '<arg_value>') },
  // Hermes-style JSON in <tool_call>; not MiniMax-M3, not Apriel's <tool_calls>[…] list.
  {
    family: 'hermes',
    test: (s) => has(s, '<tool_call>') && !has(s, ']<]minimax[>[') && !has(s, '<tool_calls>[') && !has(s, '<arg_key>'),
  },
  // Functionary v3.2: `>>>recipient\n…` messages (llama.cpp's signature).
  { family: 'functionary-v3.2', test: (s) => has(s, '>>>all', '>>>${recipient}') },
  // Functionary v3.1 (Llama 3.1 headers): <function=name>{json}</function>, no <parameter=.
  { family: 'functionary-v3.1', test: (s) => has(s, '<function=', '</function>', '<|start_header_id|>') && !has(s, '<parameter=') },
  // SmolLM3: `<think>` reasoning; the bundled (Unsloth) template dropped the tools section, whose
  // upstream version teaches Hermes' `<tool_call>{json}</tool_call>`.
  { family: 'hermes', test: (s) => has(s, 'SmolLM', '<think>') },
  // RWKV World (llama.cpp's own template for RWKV-7 G1): `User: …` / `Assistant:` turns and
  // Qwen3's `<think>` reasoning (the generation prompt opens it), no tool syntax.
  { family: 'hermes', test: (s) => has(s, "'User: '", "'Assistant:'", "' <think>'") },
  // Llama 3.1+ built-in tool calling: <|python_tag|>, or header-style templates that render
  // tool calls as JSON. Functionary (<function=…>, >>>recipient) and Firefunction
  // (functools[…]) use their own syntaxes.
  {
    family: 'llama3',
    test: (s) => (has(s, '<|python_tag|>') || (has(s, '<|start_header_id|>') && has(s, 'tool_calls'))) && !has(s, '<function=') && !has(s, '>>>') && !has(s, 'functools['),
  },
];

export function detectFamily(template: string): FamilyId {
  for (const rule of RULES) if (rule.test(template)) return rule.family;
  return 'generic';
}

/**
 * Whether the template writes thinking blocks (llama.cpp extracts reasoning only then).
 * Apriel 1.6 opens its untagged reasoning in the generation prompt and closes it with
 * `[BEGIN FINAL RESPONSE]`; Apriel 1.5 only mentions that marker in its system prompt.
 */
export function templateThinks(template: string): boolean {
  // Solar Open's reasoning is a message of its own, `<|begin|>assistant<|think|>…<|end|>`.
  return (
    template.includes('<think>') ||
    template.includes('<seed:think>') ||
    template.includes('<mm:think>') ||
    // Kimi K3 builds its tags with a macro: open_tag('think') is `<|open|>think<|sep|>`.
    (template.includes('<|open|>') && template.includes("open_tag('think')")) ||
    template.includes('<|channel>thought') ||
    template.includes('<|START_THINKING|>') ||
    (template.includes('Here are my reasoning steps:') && template.includes('[BEGIN FINAL RESPONSE]')) ||
    template.includes('<|begin|>assistant<|think|>') ||
    // Muse Glimmer reasons in a message to itself.
    template.includes('assistant to=self<|message|>') ||
    // Hy3 builds its tag: '<think{}>'.format(':opensource').
    template.includes("'<think{}>'.format(")
  );
}
