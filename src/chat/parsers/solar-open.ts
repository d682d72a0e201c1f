// Upstage Solar Open: every assistant message has a header, `<|begin|>assistant` then its kind.
// The generation prompt ends with `<|begin|>assistant`, so the model writes
//
//   <|think|>reasoning<|end|><|begin|>assistant<|content|>answer<|end|>
//   <|think|>reasoning<|end|><|begin|>assistant<|tool_calls|><|tool_call:begin|>a1b2c3d4e5<|tool_call:name|>get_weather<|tool_call:args|>{"city": "Paris"}<|tool_call:end|>…<|calls|>
//
// (reasoning optional). The call id is the model's own (10 random [a-z0-9] per the template's
// instructions); like every family we hand out our own ids. The message headers
// (`<|begin|>assistant`, `<|content|>`) are dropped before the shared machinery sees the text:
// they are framing, never content.

import { parseJsonArguments } from './json-arguments.js';
import { StreamBuffer } from './stream-buffer.js';
import type { OutputParser, ParsedEvent, ParserOptions } from './types.js';
import { type CallParse, type TemplateHints, ToolMarkupParser } from './tool-markup.js';

const NAME = '<|tool_call:name|>';
const ARGS = '<|tool_call:args|>';
/** Message framing the model writes between and before its messages. */
const HEADERS = ['<|begin|>assistant', '<|content|>'];

/** `ID<|tool_call:name|>NAME<|tool_call:args|>{json}` */
export function parseSolarOpenCall(body: string): CallParse {
  const nameAt = body.indexOf(NAME);
  const argsAt = body.indexOf(ARGS);
  if (nameAt === -1 || argsAt < nameAt) return { error: 'no <|tool_call:name|>…<|tool_call:args|>' };
  const name = body.slice(nameAt + NAME.length, argsAt).trim();
  if (!name) return { error: 'no function name' };
  const args = parseJsonArguments(body.slice(argsAt + ARGS.length));
  if ('error' in args) return args;
  return { name, arguments: args.json };
}

class SolarOpenParser implements OutputParser {
  private readonly headers = new StreamBuffer();
  private readonly inner: ToolMarkupParser;

  constructor(options: ParserOptions & TemplateHints) {
    this.inner = new ToolMarkupParser(
      // The template always lets the model think (reasoning_effort decides how much), though it
      // has no `<think>`.
      { ...options, templateThinks: true },
      {
        family: 'solar-open',
        think: { open: '<|think|>', close: '<|end|>' },
        tools: {
          section: { open: '<|tool_calls|>', close: '<|calls|>' },
          call: { open: '<|tool_call:begin|>', close: '<|tool_call:end|>' },
          parse: parseSolarOpenCall,
        },
      },
    );
  }

  get toolCalls(): number {
    return this.inner.toolCalls;
  }

  push(text: string): ParsedEvent[] {
    this.headers.append(text);
    return this.inner.push(this.withoutHeaders());
  }

  finish(): ParsedEvent[] {
    this.headers.end();
    const rest = this.withoutHeaders();
    return [...(rest ? this.inner.push(rest) : []), ...this.inner.finish()];
  }

  /** The buffered text minus complete headers (a possible partial header stays buffered). */
  private withoutHeaders(): string {
    let out = '';
    for (;;) {
      const take = this.headers.takeUntil(HEADERS);
      out += take.text;
      if (take.marker === undefined) return out;
    }
  }
}

export function createSolarOpenParser(options: ParserOptions & TemplateHints): OutputParser {
  return new SolarOpenParser(options);
}
