// Hermes-style tool calls: `<tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>`
// (Qwen2.5, Hermes 2 Pro / 3, Qwen3 and QwQ with `<think>`), several per turn.

import type { OutputParser, ParserOptions } from './types.js';
import { parseJsonCall } from './json-arguments.js';
import { DEFAULT_THINK_TAGS, type ThinkTags } from './think.js';
import { type TemplateHints, ToolMarkupParser, type ToolSyntax } from './tool-markup.js';

export const HERMES_SYNTAX: ToolSyntax = {
  call: { open: '<tool_call>', close: '</tool_call>' },
  parse: (body) => parseJsonCall(body),
};

/** Qwen3's templates render `<think>\n…\n</think>\n\n`; llama.cpp drops exactly that whitespace. */
export const QWEN3_THINK_TAGS: ThinkTags = { ...DEFAULT_THINK_TAGS, afterOpen: '\n', afterClose: '\n\n' };

export function createHermesParser(options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, { think: QWEN3_THINK_TAGS, tools: HERMES_SYNTAX, family: 'hermes' });
}
