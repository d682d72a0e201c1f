// MiniMax-M1: tool calls as JSON objects, one per line, in one `<tool_calls>` section
//
//   <tool_calls>
//   {"name": "get_weather", "arguments": {"city": "Paris"}}
//   {"name": "get_time", "arguments": {"timezone": "Europe/Paris"}}
//   </tool_calls>
//
// as the template renders an assistant's tool_calls. llama.cpp's autoparser infers `,` as the
// separator between calls and rejects the newline the template writes; we take either.
// The template has no thinking block: like llama.cpp, `<think>` from the model stays text.

import { parseJsonCall } from './json-arguments.js';
import { scanJsonValue } from './json-scan.js';
import type { ParsedCall } from './tool-markup.js';
import type { OutputParser, ParserOptions } from './types.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';

export function createMinimaxM1Parser(options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'minimax-m1',
    think: false,
    tools: {
      call: { open: '<tool_calls>', close: '</tool_calls>' },
      parse: (body) => parseJsonCallSequence(body),
    },
  });
}

/** One or more `{"name": …, "arguments": {…}}` objects separated by whitespace or commas. */
export function parseJsonCallSequence(body: string): ParsedCall[] | { error: string } {
  const calls: ParsedCall[] = [];
  let at = 0;
  for (;;) {
    while (at < body.length && /[\s,]/.test(body[at]!)) at++;
    if (at >= body.length) break;
    const end = scanJsonValue(body, at);
    if (end < 0) return { error: 'not a sequence of JSON calls' };
    const call = parseJsonCall(body.slice(at, end));
    if ('error' in call) return call;
    calls.push(call);
    at = end;
  }
  return calls.length > 0 ? calls : { error: 'no call' };
}
