// NVIDIA Nemotron Nano v2: reasoning in `<think>…</think>` (the generation prompt opens it
// unless thinking is off) and tool calls as one JSON list of calls
//
//   <TOOLCALL>[{"name": "get_weather", "arguments": {"city": "Paris"}}, …]</TOOLCALL>

import { parseJsonCallArray } from './json-arguments.js';
import type { OutputParser, ParserOptions } from './types.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';

export function createNemotronV2Parser(options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'nemotron-v2',
    think: { open: '<think>', close: '</think>' },
    tools: {
      call: { open: '<TOOLCALL>', close: '</TOOLCALL>' },
      parse: (body) => parseJsonCallArray(body),
    },
  });
}
