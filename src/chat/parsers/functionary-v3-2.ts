// Functionary v3.2: every message of the turn starts with its recipient,
//
//   >>>all\nThe weather in Paris is sunny.
//   >>>get_weather\n{"city": "Paris"}>>>get_time\n{"timezone": "Europe/Paris"}
//
// `all` is text for the user, any other recipient is a call of that tool with JSON arguments
// (`python` may get bare code: `{"code": …}`). The generation prompt ends with `>>>`, so the
// output starts with the first recipient; the later ones have their `>>>`. No thinking.
//
// llama.cpp's specialized handler (common/parsers/functionary-v3-2.cpp) accepts text alone or
// calls alone, but not the `>>>` between two calls nor text followed by a call (the template
// renders both; we parse them). Output that does not start with a recipient line is text.

import { isPlainObject, tryParseJson } from './json-arguments.js';
import { scanJsonValue, toolCallEvents } from './json-scan.js';
import { StreamBuffer } from './stream-buffer.js';
import type { OutputParser, ParsedEvent, ParserOptions } from './types.js';

const SEP = '>>>';
const CONTENT = 'all';
const RECIPIENT = /^[A-Za-z0-9_.-]+$/;
/** A first line longer than this cannot be a recipient: the output is plain text. */
const MAX_RECIPIENT = 128;

type State = 'recipient' | 'content' | 'call' | 'text';

class FunctionaryV32Parser implements OutputParser {
  private readonly buffer = new StreamBuffer();
  private state: State = 'recipient';
  private first = true;
  private name = '';
  private count = 0;

  constructor(private readonly options: ParserOptions) {}

  get toolCalls(): number {
    return this.count;
  }

  push(text: string): ParsedEvent[] {
    this.buffer.append(text);
    return this.drain();
  }

  finish(): ParsedEvent[] {
    this.buffer.end();
    const events = this.drain();
    // What is left was undecided at the end: a recipient line without a body, or a cut-off call.
    if (this.state === 'call') this.endCall(this.buffer.takeAll(), events);
    const rest = this.buffer.takeAll();
    if (rest) events.push({ type: 'text', text: rest });
    return events;
  }

  private drain(): ParsedEvent[] {
    const events: ParsedEvent[] = [];
    for (;;) {
      if (this.state === 'text') {
        const all = this.buffer.takeAll();
        if (all) events.push({ type: 'text', text: all });
        return events;
      }
      if (this.state === 'content') {
        // Without tools everything after `all\n` is text (as llama.cpp); with tools `>>>` starts the next message.
        const take = this.options.toolsEnabled ? this.buffer.takeUntil([SEP]) : { text: this.buffer.takeAll(), marker: undefined };
        if (take.text) events.push({ type: 'text', text: take.text });
        if (take.marker === undefined) return events;
        this.state = 'recipient';
        continue;
      }
      if (this.state === 'recipient') {
        if (!this.readRecipient()) return events;
        continue;
      }
      // call
      const peek = this.buffer.peek();
      const jsonEnd = /^\s*\{/.test(peek) ? scanJsonValue(peek) : -2;
      if (jsonEnd === -1) return events;
      if (jsonEnd >= 0) {
        this.endCall(this.buffer.consume(jsonEnd), events);
        continue;
      }
      // Not JSON (`python` with bare code): the body runs to the next `>>>` or the end.
      if (!peek.includes(SEP) && !this.buffer.isEnded) return events;
      const take = this.buffer.takeUntil([SEP]);
      this.endCall(take.text, events);
    }
  }

  /** Reads `[>>>]NAME\n`; false when more text is needed. */
  private readRecipient(): boolean {
    if (!this.first) {
      // Whitespace between a call and the next `>>>` is not text.
      const peek = this.buffer.peek();
      const gap = peek.length - peek.trimStart().length;
      if (gap === peek.length && !this.buffer.isEnded) return false;
      this.buffer.consume(gap);
    }
    const peek = this.buffer.peek();
    if (!this.buffer.isEnded && peek.length < SEP.length && SEP.startsWith(peek)) return false;
    const start = peek.startsWith(SEP) ? SEP.length : 0;
    const newline = peek.indexOf('\n', start);
    const line = newline === -1 ? peek.slice(start) : peek.slice(start, newline);
    const plausible = line.length <= MAX_RECIPIENT && (line === '' || RECIPIENT.test(line));
    if (newline === -1 && plausible && !this.buffer.isEnded) return false;
    if (newline === -1 || !plausible || line === '' || (!this.options.toolsEnabled && line !== CONTENT)) {
      // No recipient line: the rest of the output is text.
      this.state = 'text';
      return true;
    }
    this.buffer.consume(newline + 1);
    this.first = false;
    if (line === CONTENT) {
      this.state = 'content';
    } else {
      this.state = 'call';
      this.name = line;
    }
    return true;
  }

  private endCall(body: string, events: ParsedEvent[]): void {
    const args = this.callArguments(body);
    if (args === undefined) {
      const raw = `${this.name}\n${body}`;
      this.options.warn(`functionary-v3.2: arguments of ${this.name} are not a JSON object; kept as text`, { family: 'functionary-v3.2', markup: raw });
      events.push({ type: 'text', text: raw });
    } else {
      events.push(...toolCallEvents(this.count++, this.options.newToolCallId(), this.name, args));
    }
    this.state = 'recipient';
  }

  private callArguments(body: string): string | undefined {
    const parsed = tryParseJson(body.trim());
    if (parsed && isPlainObject(parsed.value)) return JSON.stringify(parsed.value);
    if (this.name === 'python' && body.trim()) return JSON.stringify({ code: body.trim() });
    return undefined;
  }
}

export function createFunctionaryV32Parser(options: ParserOptions): OutputParser {
  return new FunctionaryV32Parser(options);
}
