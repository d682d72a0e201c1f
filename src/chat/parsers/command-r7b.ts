// Cohere Command R7B (and Cohere2 MoE, "North"): reasoning in
// `<|START_THINKING|>…<|END_THINKING|>`, then either the answer wrapped in
// `<|START_RESPONSE|>…<|END_RESPONSE|>` (R7B) / `<|START_TEXT|>…<|END_TEXT|>` (Cohere2 MoE), or
// the calls as one JSON list
//
//   <|START_ACTION|>[
//       {"tool_call_id": "0", "tool_name": "get_weather", "parameters": {"city": "Paris"}}
//   ]<|END_ACTION|>
//
// The answer's wrapper is dropped from the content, as llama.cpp does (even with reasoning
// format none). Cohere2 MoE's generation prompt opens thinking (`<|START_THINKING|>`); its
// llama.cpp handler also ends reasoning at `<|START_TEXT|>` / `<|START_ACTION|>` when the model
// skips `<|END_THINKING|>`, and we do that for R7B's `<|START_RESPONSE|>` too (llama.cpp's
// autoparser keeps it all as reasoning there).

import { parseJsonCallArray } from './json-arguments.js';
import { MarkerStripper } from './marker-stripper.js';
import type { ThinkTags } from './think.js';
import type { OutputParser, ParserOptions } from './types.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';

const ANSWER_OPENS = ['<|START_RESPONSE|>', '<|START_TEXT|>'];
const ANSWER_MARKERS = [...ANSWER_OPENS, '<|END_RESPONSE|>', '<|END_TEXT|>'];

export const COHERE_THINK_TAGS: ThinkTags = { open: '<|START_THINKING|>', close: '<|END_THINKING|>', endsAt: ANSWER_OPENS };

export function createCommandR7bParser(options: ParserOptions & TemplateHints): OutputParser {
  const parser = new ToolMarkupParser(options, {
    family: 'command-r7b',
    think: COHERE_THINK_TAGS,
    tools: {
      call: { open: '<|START_ACTION|>', close: '<|END_ACTION|>' },
      parse: (body) => parseJsonCallArray(body, 'tool_name'),
    },
  });
  return new MarkerStripper(parser, ANSWER_MARKERS);
}
