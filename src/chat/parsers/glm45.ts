// GLM-4.5 / 4.6 / 4.7: `<think>…</think>` then tool calls as
//
//   <tool_call>get_weather
//   <arg_key>city</arg_key>
//   <arg_value>Paris</arg_value>
//   </tool_call>
//
// (GLM-4.7 writes them without newlines). Values convert like Qwen3-Coder's: the templates
// render `v if v is string else v | tojson`, and llama.cpp types them from the tool schema.
// GLM-4.7-Flash's generation prompt ends with `<think>`: thinking is forced open. Ling 3.0
// (Bailing V3) writes GLM-4.6's calls after `<role>ASSISTANT</role>\n<think>` (forced open too);
// a call before `</think>` ends its reasoning, as in llama.cpp's dedicated Ling 3.0 parser.

import type { OutputParser } from './types.js';
import { type CallParse, ToolMarkupParser } from './tool-markup.js';
import { buildArguments, leadingPairs, type XmlArgsParserOptions } from './xml-arguments.js';
import { DEFAULT_THINK_TAGS, forcedOpenTail } from './think.js';
import type { ToolDefinition } from '../types.js';

const PAIR = /^\s*<arg_key>([\s\S]*?)<\/arg_key>\s*<arg_value>([\s\S]*?)<\/arg_value>/;

export function parseGlm45Call(body: string, tools: readonly ToolDefinition[] | undefined): CallParse {
  const first = body.indexOf('<arg_key>');
  const name = (first === -1 ? body : body.slice(0, first)).trim();
  if (!name || /[<>\s]/.test(name)) return { error: 'no function name' };
  const { pairs, rest } = leadingPairs(first === -1 ? '' : body.slice(first), PAIR, (pair) => [pair[1]!.trim(), pair[2]!]);
  if (rest.trim()) return { error: 'unexpected text in tool call' };
  return { name, arguments: buildArguments(tools, name, pairs, 'string') };
}

export function createGlm45Parser(options: XmlArgsParserOptions): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'glm45',
    // llama.cpp keeps whitespace after <think>; after </think> it drops one newline for
    // GLM-4.5/4.6 and none for GLM-4.7 (whose prompt forces thinking open).
    think: {
      ...DEFAULT_THINK_TAGS,
      afterOpen: '',
      afterClose: forcedOpenTail(options.prompt, DEFAULT_THINK_TAGS.open) === undefined ? '\n' : '',
    },
    tools: {
      call: { open: '<tool_call>', close: '</tool_call>' },
      parse: (body) => parseGlm45Call(body, options.tools),
    },
  });
}
