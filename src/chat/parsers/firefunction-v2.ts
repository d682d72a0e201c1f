// Fireworks FireFunction v2 (a Llama 3 fine-tune): tool calls as one JSON list after the
// `functools` marker, with no closing markup (the list ends the calls):
//
//    functools[{"name": "get_weather", "arguments": {"city": "Paris"}}, …]
//
// The template has no thinking block. `functools` not followed by a JSON value is text.

import { parseJsonCallArray } from './json-arguments.js';
import type { OutputParser, ParserOptions } from './types.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';

export function createFirefunctionV2Parser(options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'firefunction-v2',
    think: false,
    tools: {
      call: { open: 'functools', close: '', jsonBody: true },
      parse: (body) => parseJsonCallArray(body),
    },
  });
}
