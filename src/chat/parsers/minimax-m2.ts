// MiniMax-M2: `<think>…</think>` (the generation prompt usually ends with `<think>\n`, so
// thinking is forced open) and tool calls as
//
//   <minimax:tool_call>
//   <invoke name="get_weather">
//   <parameter name="city">Paris</parameter>
//   </invoke>
//   </minimax:tool_call>
//
// with one or more `<invoke>` per section. Values convert like Qwen3-Coder's.

import type { OutputParser } from './types.js';
import { type CallParse, ToolMarkupParser } from './tool-markup.js';
import { buildArguments, leadingPairs, type XmlArgsParserOptions } from './xml-arguments.js';
import { DEFAULT_THINK_TAGS } from './think.js';
import type { ToolDefinition } from '../types.js';

const NAME = /^\s*name=(?:"([^"]*)"|'([^']*)'|([^\s>]+))\s*>/;
const PARAMETER = /^\s*<parameter\s+name=(?:"([^"]*)"|'([^']*)'|([^\s>]+))\s*>([\s\S]*?)<\/parameter>/;

/** The body of `<invoke …>…</invoke>` after `<invoke `. */
export function parseMinimaxInvoke(body: string, tools: readonly ToolDefinition[] | undefined): CallParse {
  const head = NAME.exec(body);
  if (!head) return { error: 'no invoke name' };
  const name = (head[1] ?? head[2] ?? head[3] ?? '').trim();
  if (!name) return { error: 'empty invoke name' };
  const { pairs, rest } = leadingPairs(body.slice(head[0].length), PARAMETER, (parameter) => [(parameter[1] ?? parameter[2] ?? parameter[3] ?? '').trim(), parameter[4]!]);
  if (rest.trim()) return { error: 'unexpected text in invoke' };
  return { name, arguments: buildArguments(tools, name, pairs, 'string') };
}

export function createMinimaxM2Parser(options: XmlArgsParserOptions): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'minimax-m2',
    // The template renders `<think>\n…</think>\n\n`; llama.cpp drops that whitespace.
    think: { ...DEFAULT_THINK_TAGS, afterOpen: '\n', afterClose: '\n\n' },
    tools: {
      section: { open: '<minimax:tool_call>', close: '</minimax:tool_call>' },
      call: { open: '<invoke ', close: '</invoke>' },
      parse: (body) => parseMinimaxInvoke(body, options.tools),
    },
  });
}
