// Swiss AI Apertus: tool calls as one JSON list in which each call is an object keyed by the
// tool's name (llama.cpp's autoparser calls this FUNC_NAME_AS_KEY):
//
//   <|tools_prefix|>[{"get_weather": {"city": "Paris"}}, {"get_time": {…}}]<|tools_suffix|>
//
// The template also has `<|inner_prefix|>…<|inner_suffix|>` thoughts, but only inside its own
// content-block format; llama.cpp finds no reasoning syntax in it and leaves such text in the
// content, and so do we (no thinking block).

import { isPlainObject, tryParseJson } from './json-arguments.js';
import type { CallParse, ParsedCall } from './tool-markup.js';
import type { OutputParser, ParserOptions } from './types.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';

export function createApertusParser(options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'apertus',
    think: false,
    tools: {
      call: { open: '<|tools_prefix|>', close: '<|tools_suffix|>' },
      parse: (body) => parseNameKeyedCallArray(body),
    },
  });
}

/** A non-empty JSON array of `{"NAME": {…arguments…}}` objects (arguments may be a JSON string of an object). */
export function parseNameKeyedCallArray(body: string): ParsedCall[] | { error: string } {
  const parsed = tryParseJson(body.trim());
  if (!parsed) return { error: 'not valid JSON' };
  if (!Array.isArray(parsed.value) || parsed.value.length === 0) return { error: 'not a non-empty JSON array' };
  const calls: ParsedCall[] = [];
  for (const item of parsed.value) {
    const call = nameKeyedCall(item);
    if ('error' in call) return call;
    calls.push(call);
  }
  return calls;
}

function nameKeyedCall(item: unknown): CallParse {
  if (!isPlainObject(item)) return { error: 'a call is not a JSON object' };
  const keys = Object.keys(item);
  if (keys.length !== 1 || !keys[0]) return { error: 'a call is not an object with one key, the tool name' };
  const name = keys[0];
  let args = item[name];
  if (typeof args === 'string') {
    const inner = tryParseJson(args);
    if (!inner) return { error: 'arguments string is not JSON' };
    args = inner.value;
  }
  if (!isPlainObject(args)) return { error: 'arguments are not a JSON object' };
  return { name, arguments: JSON.stringify(args) };
}
