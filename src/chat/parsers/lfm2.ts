// Liquid AI LFM2 / LFM2.5: tool calls as a Python-style list between call markers
//
//   <|tool_call_start|>[get_weather(city="Paris"), get_time(timezone="Europe/Paris")]<|tool_call_end|>
//
// and, for the templates that write it (LFM2.5-8B-A1B), reasoning in `<think>…</think>` at the
// start of the output. llama.cpp's LFM2 handler (common/parsers/lfm2.cpp) reads reasoning up
// to `</think>` only, so a call written inside the thinking block stays reasoning.
//
// LFM2's model card also lets a system prompt ask for JSON calls; the list is then
// `[{"name": …, "arguments": {…}}]`. llama.cpp's grammar rejects that form; we parse it too
// (a list starting with `{` cannot be a Python-style call).

import { parseJsonCallArray } from './json-arguments.js';
import { parsePythonicCalls } from './pythonic.js';
import type { OutputParser, ParserOptions } from './types.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';

export function createLfm2Parser(options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'lfm2',
    think: { open: '<think>', close: '</think>' },
    callsEndThinking: false,
    tools: {
      call: { open: '<|tool_call_start|>', close: '<|tool_call_end|>' },
      parse: (body) => (/^\s*\[\s*\{/.test(body) ? parseJsonCallArray(body) : parsePythonicCalls(body)),
    },
  });
}
