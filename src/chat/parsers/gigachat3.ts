// Sber GigaChat 3 / 3.1: one tool call per turn, a bare JSON object after the call marker
// (the JSON ends the call; the templates render only an assistant's first tool call):
//
//   GigaChat 3:    …content<|message_sep|>\n\nfunction call<|role_sep|>\n{"name": "get_weather", "arguments": {…}}
//   GigaChat 3.1:  …content<|function_call|>{"name": "get_weather", "arguments": {…}}
//
// GigaChat 3 writes the call as a message of its own ("function call" role); 3.1 gave it a
// token. Two families, as the markers differ; neither template has a thinking block.

import { parseJsonCall } from './json-arguments.js';
import type { OutputParser, ParserOptions } from './types.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';

export const GIGACHAT3_CALL = '<|message_sep|>\n\nfunction call<|role_sep|>\n';
export const GIGACHAT31_CALL = '<|function_call|>';

function gigachatParser(family: string, open: string, options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, {
    family,
    think: false,
    tools: {
      call: { open, close: '', jsonBody: true },
      parse: (body) => parseJsonCall(body),
    },
  });
}

export function createGigachat3Parser(options: ParserOptions & TemplateHints): OutputParser {
  return gigachatParser('gigachat3', GIGACHAT3_CALL, options);
}

export function createGigachat31Parser(options: ParserOptions & TemplateHints): OutputParser {
  return gigachatParser('gigachat3.1', GIGACHAT31_CALL, options);
}
