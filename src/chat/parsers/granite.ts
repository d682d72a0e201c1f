// IBM Granite 3.3: reasoning in `<think>…</think>` and tool calls as
//
//   <|tool_call|>[{"name": "get_weather", "arguments": {"city": "Paris"}}, …]
//
// one JSON array of calls after `<|tool_call|>`, with no closing markup (the array ends the
// call). The template asks for the answer after reasoning in `<response>…</response>`; like
// llama.cpp (whose autoparser does not unwrap it yet), we keep that wrapper in the content.

import { parseJsonCallArray } from './json-arguments.js';
import type { OutputParser, ParserOptions } from './types.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';

export function createGraniteParser(options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'granite',
    think: { open: '<think>', close: '</think>' },
    tools: {
      call: { open: '<|tool_call|>', close: '', jsonBody: true },
      parse: (body) => parseJsonCallArray(body),
    },
  });
}
