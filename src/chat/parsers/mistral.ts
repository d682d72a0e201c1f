// Mistral family output parser: Mistral Nemo, Small 3.x, Devstral, Magistral, Ministral.
//
//   [TOOL_CALLS][{"name": "f", "arguments": {…}, "id": "abc123def"}, …]   (Nemo, older)
//   [TOOL_CALLS]f[ARGS]{…}[TOOL_CALLS]g[ARGS]{…}                         (Devstral, Ministral 3)
//   [TOOL_CALLS]f[CALL_ID]abc123def[ARGS]{…}                              (Small 3.2)
//   [THINK]…[/THINK]                                                      (Magistral / Ministral reasoning)
// Thinking is only recognised at the start of the output (as llama.cpp does), or forced
// open when the prompt ends with `[THINK]`.

import { parseJsonCallArray } from './json-arguments.js';
import { compactJson, scanJsonValue, toolCallEvents } from './json-scan.js';
import { StreamBuffer } from './stream-buffer.js';
import { TextSink } from './think.js';
import type { OutputParser, ParsedEvent, ParserOptions } from './types.js';

const TOOL_CALLS = '[TOOL_CALLS]';
const THINK = '[THINK]';
const END_THINK = '[/THINK]';
const ARGS = '[ARGS]';
const CALL_ID = '[CALL_ID]';

type Mode = 'start' | 'think' | 'text' | 'calls' | 'after-call';

class MistralParser implements OutputParser {
  private readonly buffer = new StreamBuffer();
  /** Drops whitespace around markup, as llama.cpp's grammar does (after [/THINK], around calls). */
  private readonly sink = new TextSink();
  private mode: Mode;
  private calls = 0;

  constructor(private readonly options: ParserOptions) {
    const auto = options.reasoningFormat === 'auto';
    this.mode = auto && options.prompt.trimEnd().endsWith(THINK) ? 'think' : auto ? 'start' : 'text';
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
    const events = this.drain();
    const held = this.sink.flush();
    if (held) events.push({ type: 'text', text: held });
    return events;
  }

  private text(events: ParsedEvent[], text: string): void {
    const out = this.sink.text(text);
    if (out) events.push({ type: 'text', text: out });
  }

  private drain(): ParsedEvent[] {
    const events: ParsedEvent[] = [];
    for (;;) {
      switch (this.mode) {
        case 'start': {
          const starts = this.buffer.startsWith(THINK);
          if (starts === undefined) return events;
          if (starts) this.buffer.consume(THINK.length);
          this.mode = starts ? 'think' : 'text';
          break;
        }
        case 'think': {
          const take = this.buffer.takeUntil([END_THINK]);
          if (take.text) events.push({ type: 'reasoning', text: take.text });
          if (take.marker === undefined) return events;
          this.sink.boundary();
          this.mode = 'text';
          break;
        }
        case 'text': {
          if (!this.options.toolsEnabled) {
            this.text(events, this.buffer.takeAll());
            return events;
          }
          const take = this.buffer.takeUntil([TOOL_CALLS]);
          this.text(events, take.text);
          if (take.marker === undefined) return events;
          this.mode = 'calls';
          break;
        }
        case 'calls': {
          const step = this.parseCalls();
          if (step === 'wait') return events;
          events.push(...step);
          break;
        }
        case 'after-call': {
          // Another call, or text after the calls.
          const peek = this.buffer.peek();
          const body = peek.trimStart();
          if (body === '' && !this.buffer.isEnded) return events;
          if (body.startsWith(TOOL_CALLS)) {
            this.buffer.consume(peek.length - body.length + TOOL_CALLS.length);
            this.mode = 'calls';
            break;
          }
          if (TOOL_CALLS.startsWith(body) && !this.buffer.isEnded) return events;
          this.mode = 'text';
          break;
        }
      }
    }
  }

  /** The buffer follows `[TOOL_CALLS]`: parse the call(s) it introduces. */
  private parseCalls(): ParsedEvent[] | 'wait' {
    const peek = this.buffer.peek();
    const ended = this.buffer.isEnded;
    const lead = peek.length - peek.trimStart().length;
    const body = peek.slice(lead);
    if (body === '' && !ended) return 'wait';

    if (body.startsWith('[') && !body.startsWith(CALL_ID) && !body.startsWith(ARGS)) {
      // [{"name": …, "arguments": …, "id": …}, …]
      const end = scanJsonValue(body);
      if (end === -1 && !ended) return 'wait';
      const calls = end > 0 ? parseJsonCallArray(body.slice(0, end)) : undefined;
      if (!calls || 'error' in calls) return this.invalid(body);
      this.buffer.consume(lead + end);
      this.mode = 'after-call';
      this.sink.boundary();
      return calls.flatMap((call) => this.emit(call.name, call.arguments));
    }

    // name[ARGS]{…} or name[CALL_ID]id[ARGS]{…}
    const argsAt = body.indexOf(ARGS);
    if (argsAt === -1) {
      if (!ended && /^[^\s{}]*$/.test(body) && body.length < 256) return 'wait';
      return this.invalid(body);
    }
    let name = body.slice(0, argsAt);
    const idAt = name.indexOf(CALL_ID);
    if (idAt !== -1) name = name.slice(0, idAt);
    name = name.trim();
    if (!/^[\w.:-]+$/.test(name)) return this.invalid(body);
    const jsonAt = argsAt + ARGS.length;
    const end = scanJsonValue(body, jsonAt);
    if (end === -1 && !ended) return 'wait';
    const json = end > 0 ? compactJson(body.slice(jsonAt, end)) : undefined;
    if (json === undefined || !json.startsWith('{')) return this.invalid(body);
    this.buffer.consume(lead + end);
    this.mode = 'after-call';
    this.sink.boundary();
    return this.emit(name, json);
  }

  /** A call that does not parse: its markup becomes text, and so does what follows. */
  private invalid(body: string): ParsedEvent[] {
    this.options.warn('mistral: tool call could not be parsed; kept as text', { raw: body });
    this.mode = 'text';
    // The text after the broken call is streamed by text mode (it may hold another call).
    const held = this.sink.flush();
    return [{ type: 'text', text: held + TOOL_CALLS }];
  }

  private emit(name: string, json: string): ParsedEvent[] {
    const index = this.calls++;
    return toolCallEvents(index, this.options.newToolCallId(), name, json);
  }
}

export function createMistralParser(options: ParserOptions): OutputParser {
  return new MistralParser(options);
}
