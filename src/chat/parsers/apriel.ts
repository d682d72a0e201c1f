// ServiceNow Apriel 1.5 / 1.6: tool calls as one JSON list of calls
//
//   <tool_calls>[{"name": "get_weather", "arguments": {"city": "Paris"}}, …]</tool_calls>
//
// Apriel 1.6 (Thinker) reasons without tags: its generation prompt ends with the opening of
// the reasoning, `<|begin_assistant|>\nHere are my reasoning steps:\n`, and the model ends it
// with `[BEGIN FINAL RESPONSE]`. llama.cpp parses generation prompt + output, so its reasoning
// starts with the prompt's own `Here are my reasoning steps:\n`; ours does too. Apriel 1.5's
// template asks for `[BEGIN FINAL RESPONSE]` too but never writes reasoning into the prompt:
// llama.cpp finds no reasoning syntax there and keeps everything as content, and so do we
// (`templateThinks` is false for it: detect.ts).

import { parseJsonCallArray } from './json-arguments.js';
import { forcedOpenTail, type ThinkTags } from './think.js';
import type { OutputParser, ParsedEvent, ParserOptions } from './types.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';

// The reasoning goes on from the prompt's `Here are my reasoning steps:\n` as one text in
// llama.cpp, so whitespace the model starts with is kept (afterOpen '').
export const APRIEL_THINK_TAGS: ThinkTags = { open: 'Here are my reasoning steps:', close: '[BEGIN FINAL RESPONSE]', afterOpen: '' };

export function createAprielParser(options: ParserOptions & TemplateHints): OutputParser {
  const parser = new ToolMarkupParser(options, {
    family: 'apriel',
    think: APRIEL_THINK_TAGS,
    tools: {
      call: { open: '<tool_calls>', close: '</tool_calls>' },
      parse: (body) => parseJsonCallArray(body),
    },
  });
  const tail = forcedOpenTail(options.prompt, APRIEL_THINK_TAGS.open);
  const extracts = options.reasoningFormat === 'auto' && options.templateThinks !== false;
  return tail !== undefined && extracts ? new PromptReasoningPrefix(parser, tail) : parser;
}

/** Reports the reasoning the generation prompt already wrote before the model's own. */
class PromptReasoningPrefix implements OutputParser {
  constructor(
    private readonly inner: OutputParser,
    private prefix: string,
  ) {}

  get toolCalls(): number {
    return this.inner.toolCalls;
  }

  push(text: string): ParsedEvent[] {
    return this.withPrefix(this.inner.push(text));
  }

  finish(): ParsedEvent[] {
    return this.withPrefix(this.inner.finish());
  }

  private withPrefix(events: ParsedEvent[]): ParsedEvent[] {
    if (!this.prefix) return events;
    const first: ParsedEvent = { type: 'reasoning', text: this.prefix };
    this.prefix = '';
    return [first, ...events];
  }
}
