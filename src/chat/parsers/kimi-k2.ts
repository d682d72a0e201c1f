// Kimi-K2 (Instruct, Thinking):
//
//   <|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{"city": "Paris"}<|tool_call_end|><|tool_calls_section_end|>
//
// plus `<think>…</think>` for Kimi-K2-Thinking. Like llama.cpp (`common/parsers/kimi-k2.cpp`)
// the section markers are optional, a call may start right inside unterminated reasoning
// (the section / call opener ends reasoning), and `<|tool_call_end|>` may be missing before
// the section end. The call id `functions.name:N` only yields the name: ids come from
// `newToolCallId()` like every other family.

import type { OutputParser, ParserOptions } from './types.js';
import { parseJsonArguments } from './json-arguments.js';
import { DEFAULT_THINK_TAGS } from './think.js';
import { type CallParse, type TemplateHints, ToolMarkupParser } from './tool-markup.js';

export const KIMI_ARGS_BEGIN = '<|tool_call_argument_begin|>';

export function parseKimiCall(body: string): CallParse {
  const at = body.indexOf(KIMI_ARGS_BEGIN);
  if (at === -1) return { error: 'no <|tool_call_argument_begin|>' };
  const id = body.slice(0, at).trim();
  const match = /^(?:functions\.)?(.+?)(?::\d+)?$/.exec(id);
  const name = match?.[1]?.trim();
  if (!name) return { error: 'no function name' };
  const args = parseJsonArguments(body.slice(at + KIMI_ARGS_BEGIN.length));
  if ('error' in args) return args;
  return { name, arguments: args.json };
}

export function createKimiK2Parser(options: ParserOptions & TemplateHints): OutputParser {
  // llama.cpp's Kimi parser extracts `<think>` for every Kimi-K2 template (Instruct too).
  return new ToolMarkupParser(
    { ...options, templateThinks: true },
    {
      family: 'kimi-k2',
      // llama.cpp's Kimi parser keeps all whitespace around the think tags.
      think: { ...DEFAULT_THINK_TAGS, afterOpen: '', afterClose: '' },
      tools: {
        section: { open: '<|tool_calls_section_begin|>', close: '<|tool_calls_section_end|>', optional: true },
        call: { open: '<|tool_call_begin|>', close: '<|tool_call_end|>' },
        parse: parseKimiCall,
      },
    },
  );
}
