// What every family's streaming output parser is given and must do.
//
// A parser turns the model's raw output (markup included: special tokens are detokenized
// as text) into ParsedEvents, incrementally, and never lets markup leak into `text`.
// Pieces arrive split anywhere, even inside a marker: use StreamBuffer.

import type { OutputParser } from '../output-parser.js';

export type { OutputParser, ParsedEvent } from '../output-parser.js';

export interface ParserOptions {
  /** `auto`: thinking goes to `reasoning` events; `none`: thinking stays in the text, markup included. */
  reasoningFormat: 'auto' | 'none';
  /** Tools were offered: tool-call markup is parsed. Without tools it is plain text. */
  toolsEnabled: boolean;
  /**
   * The rendered prompt. A template whose generation prompt ends inside a thinking block
   * (`…<think>\n`) forces thinking open: the output starts with reasoning and no opening tag.
   */
  prompt: string;
  /** A fresh tool-call id (`call_…`); the API layer may restyle it. */
  newToolCallId(): string;
  /** Where a parser reports what it could not parse (e.g. tool arguments that are not JSON). */
  warn(message: string, details?: Record<string, unknown>): void;
}

export type ParserFactory = (options: ParserOptions) => OutputParser;

/** The output syntaxes we parse. `generic` is the fallback for templates we do not recognise. */
export const FAMILY_IDS = [
  'generic',
  'hermes', // <tool_call>{json}</tool_call> (Qwen2.5, Hermes 2/3, Qwen3 with <think>)
  'qwen3-coder', // <tool_call><function=name><parameter=x>…</parameter></function></tool_call>
  'llama3', // {"name":…,"parameters":…} / <|python_tag|>
  'glm45', // <tool_call>name<arg_key>k</arg_key><arg_value>v</arg_value></tool_call>, <think>
  'gpt-oss', // Harmony: <|channel|>analysis/commentary/final<|message|>…
  'deepseek-r1', // <think>, <｜tool▁calls▁begin｜>…
  'deepseek-v3.1',
  'mistral', // [TOOL_CALLS], [THINK]
  'kimi-k2', // <|tool_calls_section_begin|>…
  'minimax-m2', // <minimax:tool_call><invoke name=…><parameter name=…>
  'seed-oss', // <seed:tool_call><function=name><parameter=x>…</parameter></function></seed:tool_call>, <seed:think>
  'nemotron-v2', // <TOOLCALL>[{"name": …, "arguments": {…}}]</TOOLCALL>, <think>
  'granite', // <|tool_call|>[{"name": …, "arguments": {…}}], <think>…</think><response>…</response>
  'apriel', // <tool_calls>[{"name": …, "arguments": {…}}]</tool_calls>; 1.6: reasoning … [BEGIN FINAL RESPONSE]
  'minimax-m1', // <tool_calls>\n{"name": …, "arguments": {…}}\n…</tool_calls>
  'firefunction-v2', //  functools[{"name": …, "arguments": {…}}, …]
  'gigachat3', // <|message_sep|>\n\nfunction call<|role_sep|>\n{"name": …, "arguments": {…}}
  'gigachat3.1', // <|function_call|>{"name": …, "arguments": {…}}
  'apertus', // <|tools_prefix|>[{"name": {…arguments…}}]<|tools_suffix|>
  'deepseek-v3.2', // <｜DSML｜function_calls><｜DSML｜invoke name=…><｜DSML｜parameter name=… string="true|false">, <think>
  'deepseek-v4', // the same with <｜DSML｜tool_calls>
  'gemma4', // <|tool_call>call:name{key:<|"|>value<|"|>}<tool_call|>, <|channel>thought…<channel|>
  'functionary-v3.2', // name\n{json}>>>name\n{json}, all\n text (the prompt ends with >>>)
  'functionary-v3.1', // <function=name>{json}</function>, <|python_tag|>{json} for `python`
  'command-r-plus', // Action:\n```json\n[{"tool_name": …, "parameters": {…}}]```
  'command-r7b', // <|START_THINKING|>…<|END_THINKING|>, <|START_ACTION|>[{"tool_call_id": …, "tool_name": …, "parameters": {…}}]<|END_ACTION|>, <|START_RESPONSE|>/<|START_TEXT|> answer
  'derived', // inferred from the template's own renderings at load (src/chat/derived/): markers are per model
  'muse-glimmer', // <|start|>assistant to=self<|message|>…<|eom|>, to=NAME<|message|><atem:function_calls><atem:invoke name=…><atem:parameter name=…>
  'hy3', // <tool_calls:opensource><tool_call:opensource>name<tool_sep:opensource><arg_key:opensource>k</arg_key:opensource><arg_value:opensource>v</arg_value:opensource>…, <think:opensource>
  'minicpm5', // <function name="N"><param name="K">V</param></function> (CDATA for markup-like values), <think>
  'solar-open', // <|think|>…<|end|><|begin|>assistant<|tool_calls|><|tool_call:begin|>id<|tool_call:name|>name<|tool_call:args|>{…}<|tool_call:end|><|calls|>
  'kimi-k3', // <|open|>think<|sep|>…<|close|>think<|sep|><|open|>response<|sep|>…, <|open|>tools<|sep|><|open|>call tool="…"<|sep|>…
  'minimax-m3', // ]<]minimax[>[<tool_call>…<invoke name="…">]<]minimax[>[<param>…</param>…, <mm:think>
  'lfm2', // <|tool_call_start|>[name(key="value"), …]<|tool_call_end|>, <think> (LFM2 / LFM2.5)
] as const;

export type FamilyId = (typeof FAMILY_IDS)[number];
