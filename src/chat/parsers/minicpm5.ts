// OpenBMB MiniCPM5: `<think>…</think>` (the generation prompt ends with `<think>\n` when
// thinking is on, so it is forced open) and tool calls as bare XML, one per call, separated by
// a newline:
//
//   <function name="get_weather"><param name="city">Paris</param></function>
//
// A value holding `<`, `&` or a newline is wrapped in `<![CDATA[…]]>` (and may then contain
// `</param>`). As in llama.cpp's dedicated parser (common/parsers/minicpm5.cpp), a value whose
// schema allows strings is the raw text; other values are JSON.

import type { ToolDefinition } from '../types.js';
import { DEFAULT_THINK_TAGS } from './think.js';
import { type CallParse, ToolMarkupParser } from './tool-markup.js';
import type { OutputParser } from './types.js';
import { buildArguments, leadingPairs, type XmlArgsParserOptions } from './xml-arguments.js';

const NAME = /^\s*name="([^"]*)"\s*>/;
const PARAM = /^\s*<param\s+name="([^"]*)"\s*>(?:<!\[CDATA\[([\s\S]*?)\]\]>(?=<\/param>)|(?!<!\[CDATA\[)([\s\S]*?))<\/param>/;

/** The body of `<function …>…</function>` after `<function `. */
export function parseMinicpm5Call(body: string, tools: readonly ToolDefinition[] | undefined): CallParse {
  const head = NAME.exec(body);
  const name = head?.[1]?.trim();
  if (!head || !name) return { error: 'no function name' };
  const { pairs, rest } = leadingPairs(body.slice(head[0].length), PARAM, (param) => [param[1]!.trim(), param[2] ?? param[3]!]);
  if (rest.trim()) return { error: 'unexpected text in function' };
  return { name, arguments: buildArguments(tools, name, pairs, 'string') };
}

export function createMinicpm5Parser(options: XmlArgsParserOptions): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'minicpm5',
    // The template renders `<think>\n…\n</think>\n\n`; llama.cpp skips the whitespace after both tags.
    think: DEFAULT_THINK_TAGS,
    tools: {
      call: { open: '<function ', close: '</function>' },
      parse: (body) => parseMinicpm5Call(body, options.tools),
    },
  });
}
