// Calls with no markup of their own (Llama 3.x's `{"name": …, "parameters": {…}}`): JSON call
// objects at the very start of the output, as llama.cpp's autoparser reads a JSON_NATIVE format
// without section markers. A JSON value anywhere else, or one that is not a call, is text; so is
// whatever follows the calls.

import type { OutputParser, ParsedEvent, ParserOptions } from '../parsers/types.js';
import { scanJsonValue } from '../parsers/json-scan.js';
import { StreamBuffer } from '../parsers/stream-buffer.js';
import type { CallParse, ParsedCall } from '../parsers/tool-markup.js';

export class LeadingJsonCalls implements OutputParser {
  private readonly buffer = new StreamBuffer();
  /** `start`: nothing but whitespace yet; `calls`: after a call (more may follow); `text`: the rest is text. */
  private state: 'start' | 'calls' | 'text';
  private count = 0;

  constructor(
    private readonly options: ParserOptions,
    private readonly parse: (json: string) => CallParse | ParsedCall[],
  ) {
    this.state = options.toolsEnabled ? 'start' : 'text';
  }

  get toolCalls(): number {
    return this.count;
  }

  push(text: string): ParsedEvent[] {
    this.buffer.append(text);
    return this.drain();
  }

  finish(): ParsedEvent[] {
    this.buffer.end();
    return this.drain();
  }

  private drain(): ParsedEvent[] {
    const events: ParsedEvent[] = [];
    for (;;) {
      const peek = this.buffer.peek();
      if (this.state === 'text') {
        if (peek) events.push({ type: 'text', text: this.buffer.takeAll() });
        return events;
      }
      const start = peek.length - peek.trimStart().length;
      if (start === peek.length) {
        // Only whitespace: wait for more; at the end it is text before any call, markup after one.
        if (!this.buffer.isEnded) return events;
        if (this.state === 'calls') this.buffer.takeAll();
        this.state = 'text';
        continue;
      }
      const end = peek[start] === '{' ? scanJsonValue(peek, start) : -2;
      if (end === -1 && !this.buffer.isEnded) return events;
      const parsed = end < 0 ? undefined : this.parse(peek.slice(start, end));
      if (!parsed || 'error' in parsed) {
        // Not a call (or cut off): text from here on, whitespace after a call aside.
        if (this.state === 'calls') this.buffer.consume(start);
        if (parsed && 'error' in parsed) this.options.warn(`derived: tool call could not be parsed (${parsed.error}); kept as text`, { family: 'derived' });
        this.state = 'text';
        continue;
      }
      this.buffer.consume(end);
      for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
        const index = this.count++;
        events.push({ type: 'tool_call_start', index, id: this.options.newToolCallId(), name: call.name });
        events.push({ type: 'tool_call_arguments', index, json: call.arguments });
        events.push({ type: 'tool_call_end', index });
      }
      this.state = 'calls';
    }
  }
}
