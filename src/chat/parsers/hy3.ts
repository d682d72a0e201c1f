// Tencent Hy3: GLM-4.5's tagged arguments, every tag suffixed with `:opensource`, inside a
// section (the template builds the tags with `'<tool_call{}>'.format(':opensource')`):
//
//   <tool_calls:opensource>
//   <tool_call:opensource>get_weather<tool_sep:opensource>
//   <arg_key:opensource>city</arg_key:opensource>
//   <arg_value:opensource>Paris</arg_value:opensource>
//   </tool_call:opensource>
//   </tool_calls:opensource>
//
// Reasoning is `<think:opensource>…</think:opensource>`. The template's reasoning_effort decides
// it: `no_think` (its default) closes the block in the generation prompt, `low` / `high` open it.
// Values are typed as llama.cpp's autoparser types tagged arguments (raw text when the schema
// allows strings, else JSON).

import type { ToolDefinition } from '../types.js';
import { type CallParse, ToolMarkupParser } from './tool-markup.js';
import type { OutputParser } from './types.js';
import { buildArguments, leadingPairs, type XmlArgsParserOptions } from './xml-arguments.js';

export const HY3_TAGS = {
  think: { open: '<think:opensource>', close: '</think:opensource>' },
  section: { open: '<tool_calls:opensource>', close: '</tool_calls:opensource>' },
  call: { open: '<tool_call:opensource>', close: '</tool_call:opensource>' },
  sep: '<tool_sep:opensource>',
} as const;

const PAIR = /^\s*<arg_key:opensource>([\s\S]*?)<\/arg_key:opensource>\s*<arg_value:opensource>([\s\S]*?)<\/arg_value:opensource>/;

/** `NAME<tool_sep:opensource>` then the key/value pairs. */
export function parseHy3Call(body: string, tools: readonly ToolDefinition[] | undefined): CallParse {
  const sep = body.indexOf(HY3_TAGS.sep);
  if (sep === -1) return { error: 'no <tool_sep:opensource>' };
  const name = body.slice(0, sep).trim();
  if (!name || /[<>\s]/.test(name)) return { error: 'no function name' };
  const { pairs, rest } = leadingPairs(body.slice(sep + HY3_TAGS.sep.length), PAIR, (pair) => [pair[1]!.trim(), pair[2]!]);
  if (rest.trim()) return { error: 'unexpected text in tool call' };
  return { name, arguments: buildArguments(tools, name, pairs, 'string') };
}

export function createHy3Parser(options: XmlArgsParserOptions): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'hy3',
    think: HY3_TAGS.think,
    tools: {
      section: HY3_TAGS.section,
      call: HY3_TAGS.call,
      parse: (body) => parseHy3Call(body, options.tools),
    },
  });
}
