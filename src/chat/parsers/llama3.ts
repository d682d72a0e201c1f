// Llama 3.1 / 3.2 / 3.3 output parser.
//
// With tools, these models answer either with text or with tool calls written as JSON
// objects at the very start of the output:
//   {"name": "get_weather", "parameters": {"city": "Paris"}}
// (also `"arguments"`, optionally `"type": "function"` first), possibly after
// `<|python_tag|>`, several separated by `;` or whitespace. Builtin tools use
//   <|python_tag|>brave_search.call(query="…")
// JSON that appears later in a sentence stays text; `<|python_tag|>` starts calls anywhere.

import { compactJson, scanJsonValue, toolCallEvents } from './json-scan.js';
import { StreamBuffer } from './stream-buffer.js';
import type { OutputParser, ParsedEvent, ParserOptions } from './types.js';

const PYTHON_TAG = '<|python_tag|>';

const CALL_START = /^\{\s*(?:"type"\s*:\s*"function"\s*,\s*)?"name"\s*:\s*"/;
const CALL_PREFIXES = ['{"name":"', '{"type":"function","name":"'];

/** Whether JSON text starting with `{` may still turn out to be a call (llama.cpp's CALL_START). */
function couldBeCall(body: string): boolean {
  const compact = body.slice(0, 80).replace(/\s+/g, '');
  return CALL_PREFIXES.some((prefix) => compact.startsWith(prefix) || prefix.startsWith(compact));
}

const BUILTIN = /^\s*([A-Za-z_][\w-]*)\s*\.\s*call\s*\(/;

type Mode = 'start' | 'text' | 'calls';

class Llama3Parser implements OutputParser {
  private readonly buffer = new StreamBuffer();
  private mode: Mode;
  private calls = 0;
  /** `<|python_tag|>` consumed before the call being parsed (given back as text if it is no call). */
  private pendingTag = '';

  constructor(private readonly options: ParserOptions) {
    this.mode = options.toolsEnabled ? 'start' : 'text';
  }

  get toolCalls(): number {
    return this.calls;
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
      if (this.mode === 'text') {
        if (!this.options.toolsEnabled) {
          const all = this.buffer.takeAll();
          if (all) events.push({ type: 'text', text: all });
          return events;
        }
        const take = this.buffer.takeUntil([PYTHON_TAG]);
        if (take.text) events.push({ type: 'text', text: take.text });
        if (take.marker === undefined) return events;
        this.pendingTag = PYTHON_TAG;
        this.mode = 'calls';
        continue;
      }
      if (this.mode === 'start') {
        const peek = this.buffer.peek();
        const body = peek.trimStart();
        if (body === '') {
          if (this.buffer.isEnded) this.flushText(events);
          return events;
        }
        if (body.startsWith(PYTHON_TAG)) {
          this.buffer.consume(peek.length - body.length + PYTHON_TAG.length);
          this.pendingTag = PYTHON_TAG;
          this.mode = 'calls';
          continue;
        }
        if (PYTHON_TAG.startsWith(body) && !this.buffer.isEnded) return events;
        if (body.startsWith('{')) {
          this.mode = 'calls';
          continue;
        }
        this.mode = 'text';
        continue;
      }
      // calls: the buffer starts at a call (or between calls).
      const step = this.parseCall();
      if (step === 'wait') return events;
      events.push(...step);
    }
  }

  private flushText(events: ParsedEvent[]): void {
    const all = this.buffer.takeAll();
    if (all) events.push({ type: 'text', text: all });
  }

  /** Parse one call at the buffer's start; 'wait' when more text is needed. */
  private parseCall(): ParsedEvent[] | 'wait' {
    const peek = this.buffer.peek();
    const ended = this.buffer.isEnded;
    // Between calls: whitespace and `;` separators.
    const lead = (this.calls > 0 && !this.pendingTag ? /^[\s;]*/ : /^\s*/).exec(peek)![0].length;
    const body = peek.slice(lead);
    if (body === '') {
      if (!ended) return 'wait';
      if (this.pendingTag) {
        this.options.warn('llama3: output ends with <|python_tag|>; kept as text');
        return this.toText();
      }
      this.buffer.takeAll(); // whitespace after the last call
      this.mode = 'text';
      return [];
    }
    if (body.startsWith('{')) {
      if (!couldBeCall(body)) {
        // A JSON answer (or a JSON-ish sentence): stream it as text right away.
        if (this.calls > 0 || this.pendingTag) {
          this.options.warn('llama3: text after <|python_tag|> is not a tool call; kept as text', { raw: body });
        }
        return this.toText();
      }
      const end = scanJsonValue(body);
      if (end === -1 && !ended) return 'wait';
      const raw = end > 0 ? body.slice(0, end) : body;
      const call = end > 0 ? parseLlama3Call(raw) : undefined;
      if (!call) {
        // Not a call: the rest is text (a JSON answer, or a broken call).
        if (this.calls > 0 || this.pendingTag || CALL_START.test(raw)) {
          this.options.warn('llama3: tool call is not valid JSON; kept as text', { raw: body });
        }
        return this.toText();
      }
      this.buffer.consume(lead + end);
      return this.emit(call.name, call.json);
    }
    const builtin = BUILTIN.exec(body);
    if (builtin) {
      const parsed = parseBuiltinArgs(body, builtin[0].length);
      if (parsed === 'wait' && !ended) return 'wait';
      if (parsed === 'wait' || parsed === undefined) {
        this.options.warn('llama3: builtin tool call could not be parsed; kept as text', { raw: body });
        return this.toText();
      }
      this.buffer.consume(lead + parsed.end);
      return this.emit(builtin[1]!, parsed.json);
    }
    if (!ended && (/^[\w\s.-]*$/.test(body) || PYTHON_TAG.startsWith(body))) return 'wait';
    if (body.startsWith(PYTHON_TAG)) {
      this.buffer.consume(lead + PYTHON_TAG.length);
      const events = this.textOf(this.pendingTag);
      this.pendingTag = PYTHON_TAG;
      return events;
    }
    // Text after the calls (or after a lone <|python_tag|>).
    if (this.pendingTag) {
      this.options.warn('llama3: <|python_tag|> not followed by a tool call; kept as text', { raw: body });
    }
    return this.toText();
  }

  /** What follows is text: give back a consumed tag; text mode streams the buffer. */
  private toText(): ParsedEvent[] {
    this.mode = 'text';
    const events = this.textOf(this.pendingTag);
    this.pendingTag = '';
    return events;
  }

  private textOf(text: string): ParsedEvent[] {
    return text ? [{ type: 'text', text }] : [];
  }

  private emit(name: string, json: string): ParsedEvent[] {
    this.pendingTag = '';
    const index = this.calls++;
    return toolCallEvents(index, this.options.newToolCallId(), name, json);
  }
}

function parseLlama3Call(raw: string): { name: string; json: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.name !== 'string' || !record.name) return undefined;
  if (record.type !== undefined && record.type !== 'function') return undefined;
  const args = 'parameters' in record ? record.parameters : record.arguments;
  if (args === undefined) return { name: record.name, json: '{}' };
  if (typeof args === 'string') {
    // Some models write the arguments as a JSON string.
    const inner = compactJson(args);
    return inner === undefined ? undefined : { name: record.name, json: inner };
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return undefined;
  return { name: record.name, json: JSON.stringify(args) };
}

/** `query="x", count=3)` → JSON object text; 'wait' when incomplete, undefined when malformed. */
function parseBuiltinArgs(text: string, from: number): { end: number; json: string } | 'wait' | undefined {
  const args: Record<string, unknown> = {};
  let i = from;
  for (;;) {
    const rest = text.slice(i);
    const close = /^\s*\)/.exec(rest);
    if (close) return { end: i + close[0].length, json: JSON.stringify(args) };
    const key = /^\s*,?\s*([A-Za-z_]\w*)\s*[=:]\s*/.exec(rest);
    if (!key) return /^\s*,?\s*\w*\s*$/.test(rest) ? 'wait' : undefined;
    const valueStart = i + key[0].length;
    const end = scanJsonValue(text, valueStart);
    if (end === -1) return 'wait';
    if (end === -2) return undefined;
    try {
      args[key[1]!] = JSON.parse(text.slice(valueStart, end));
    } catch {
      return undefined;
    }
    i = end;
  }
}

export function createLlama3Parser(options: ParserOptions): OutputParser {
  return new Llama3Parser(options);
}
