// Qwen3-Coder XML tool calls (also Qwen3.5, Nemotron Nano 3, StepFun-3.5-Flash):
//
//   <tool_call>
//   <function=get_weather>
//   <parameter=city>
//   Paris
//   </parameter>
//   </function>
//   </tool_call>
//
// with an optional `<think>` block (Qwen3.5 / Nemotron). Parameter values are raw text; they
// become JSON the way llama.cpp does (`common/parsers/qwen3-coder.cpp`): a parameter whose
// schema allows only strings stays a string; otherwise a value that parses as JSON of an
// allowed type is typed, anything else is a string. Without a schema (the tool definitions
// were not passed to the parser), a value that parses as JSON is typed — the same rule the
// templates use when they render arguments (`v if v is string else v | tojson`).
// The conversion, shared with GLM-4.5 and MiniMax-M2, is in xml-arguments.ts.

import type { ToolDefinition } from '../types.js';
import type { OutputParser } from './types.js';
import { DEFAULT_THINK_TAGS } from './think.js';
import { type CallParse, ToolMarkupParser } from './tool-markup.js';
import { buildArguments, type XmlArgsParserOptions } from './xml-arguments.js';

const FUNCTION_OPEN = /^\s*<function=([^>\n]+)>/;
const PARAMETER_OPEN = /^\s*<parameter=([^>\n]+)>/;

/**
 * The body of one `<function=NAME><parameter=KEY>VALUE</parameter>…</function>` call.
 * `trimValueNewlines`: drop one newline at each end of a value (Qwen3-Coder's template writes
 * `<parameter=x>\n{value}\n</parameter>`; Seed-OSS's writes the value bare).
 */
export function parseXmlFunctionCall(body: string, tools: readonly ToolDefinition[] | undefined, trimValueNewlines = true): CallParse {
  const open = FUNCTION_OPEN.exec(body);
  if (!open) return { error: 'no <function=…>' };
  const name = open[1]!.trim();
  let rest = body.slice(open[0].length);
  const pairs: Array<[string, string]> = [];
  for (;;) {
    const parameter = PARAMETER_OPEN.exec(rest);
    if (!parameter) break;
    rest = rest.slice(parameter[0].length);
    const close = rest.indexOf('</parameter>');
    if (close === -1) return { error: `unterminated <parameter=${parameter[1]!}>` };
    let value = rest.slice(0, close);
    if (trimValueNewlines) {
      if (value.startsWith('\n')) value = value.slice(1);
      if (value.endsWith('\n')) value = value.slice(0, -1);
    }
    pairs.push([parameter[1]!.trim(), value]);
    rest = rest.slice(close + '</parameter>'.length);
  }
  rest = rest.trimStart();
  if (rest.startsWith('</function>')) rest = rest.slice('</function>'.length);
  if (rest.trim()) return { error: 'unexpected text in tool call' };
  return { name, arguments: buildArguments(tools, name, pairs) };
}

export function parseQwen3CoderCall(body: string, tools: readonly ToolDefinition[] | undefined): CallParse {
  return parseXmlFunctionCall(body, tools);
}

export function createQwen3CoderParser(options: XmlArgsParserOptions): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'qwen3-coder',
    think: DEFAULT_THINK_TAGS,
    tools: {
      call: {
        open: '<tool_call>',
        close: '</tool_call>',
        // Like llama.cpp: Qwen3-Coder sometimes omits `<tool_call>`; accept a bare
        // `<function=name>` for the request's tool names (only known names: a bare
        // `<function` is common in code).
        bareOpens: (options.tools ?? []).map((tool) => `<function=${tool.name}>`),
      },
      parse: (body) => parseQwen3CoderCall(body, options.tools),
    },
  });
}
