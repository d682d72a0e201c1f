// DeepSeek R1 (and its distills) and DeepSeek V3.1 output parsers.
//
// Thinking: `<think>…</think>`; R1 templates end the prompt with `<think>\n` and V3.1 with
// `<think>` when thinking (`<think></think>` when not), which forces thinking open.
// Tool calls (full-width bars and ▁ are part of the special tokens):
//   R1:   <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\n{…}\n```<｜tool▁call▁end｜>…<｜tool▁calls▁end｜>
//   V3.1: <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{…}<｜tool▁call▁end｜>…<｜tool▁calls▁end｜>
// Both parsers accept both call bodies (distills mix them up); they differ in documentation only.

import { compactJson, toolCallEvents } from './json-scan.js';
import { StreamBuffer } from './stream-buffer.js';
import { DEFAULT_THINK_TAGS, type Segment, TextSink, ThinkSplitter } from './think.js';
import type { OutputParser, ParsedEvent, ParserOptions } from './types.js';

const CALLS_BEGIN = '<｜tool▁calls▁begin｜>';
const CALLS_END = '<｜tool▁calls▁end｜>';
const CALL_BEGIN = '<｜tool▁call▁begin｜>';
const CALL_END = '<｜tool▁call▁end｜>';
const TOOL_SEP = '<｜tool▁sep｜>';

/** R1 call body after the separator: NAME\n```json\n{…}\n``` (fence optional). */
const R1_BODY = /^\s*([^\n`]+?)\s*\n\s*(?:```(?:json)?\s*([\s\S]*?)\s*```|([\s\S]*?))\s*$/;

type Variant = 'r1' | 'v3.1';

class DeepseekParser implements OutputParser {
  private readonly splitter: ThinkSplitter;
  private readonly sink = new TextSink();
  private readonly buffer = new StreamBuffer();
  private inCalls = false;
  /** Section opener consumed but no call emitted yet: given back as text if the first call fails. */
  private pendingOpener = '';
  /** A call of this section failed: its closer is text too. */
  private keepCloser = false;
  private calls = 0;

  constructor(
    private readonly options: ParserOptions,
    readonly variant: Variant,
  ) {
    this.splitter = new ThinkSplitter(options, DEFAULT_THINK_TAGS);
  }

  get toolCalls(): number {
    return this.calls;
  }

  push(text: string): ParsedEvent[] {
    return this.segments(this.splitter.push(text));
  }

  finish(): ParsedEvent[] {
    const events = this.segments(this.splitter.finish());
    this.buffer.end();
    this.drain(events);
    const held = this.sink.flush();
    if (held) events.push({ type: 'text', text: held });
    return events;
  }

  private segments(segments: Segment[]): ParsedEvent[] {
    const events: ParsedEvent[] = [];
    for (const segment of segments) {
      if (segment.kind === 'reasoning') events.push({ type: 'reasoning', text: segment.text });
      else if (segment.kind === 'think_end') this.sink.boundary();
      else this.buffer.append(segment.text);
    }
    this.drain(events);
    return events;
  }

  private text(events: ParsedEvent[], text: string): void {
    const out = this.sink.text(text);
    if (out) events.push({ type: 'text', text: out });
  }

  /** Raw markup as text, whitespace kept verbatim. */
  private raw(events: ParsedEvent[], text: string): void {
    const held = this.sink.flush();
    if (held + text) events.push({ type: 'text', text: held + text });
  }

  private drain(events: ParsedEvent[]): void {
    for (;;) {
      if (!this.inCalls) {
        if (!this.options.toolsEnabled) {
          this.text(events, this.buffer.takeAll());
          return;
        }
        const take = this.buffer.takeUntil([CALLS_BEGIN, CALL_BEGIN]);
        this.text(events, take.text);
        if (take.marker === undefined) return;
        this.sink.boundary();
        this.inCalls = true;
        if (take.marker === CALL_BEGIN) {
          // A call without the section opener: put its marker back for the section loop.
          this.pendingOpener = '';
          this.restore(CALL_BEGIN);
        } else {
          this.pendingOpener = CALLS_BEGIN;
        }
        continue;
      }
      if (!this.section(events)) return;
    }
  }

  private restore(text: string): void {
    const rest = this.buffer.takeAll();
    this.buffer.append(text + rest);
  }

  /** One step inside the tool-call section; false when more text is needed. */
  private section(events: ParsedEvent[]): boolean {
    const peek = this.buffer.peek();
    const ended = this.buffer.isEnded;
    const lead = peek.length - peek.trimStart().length;
    const body = peek.slice(lead);
    if (body.startsWith(CALLS_END)) {
      this.buffer.consume(lead + CALLS_END.length);
      if (this.pendingOpener || this.keepCloser) this.raw(events, this.pendingOpener + CALLS_END);
      this.leave();
      return true;
    }
    if (body.startsWith(CALL_BEGIN)) {
      const endAt = body.indexOf(CALL_END);
      if (endAt === -1 && !ended) return false;
      const inner = body.slice(CALL_BEGIN.length, endAt === -1 ? undefined : endAt);
      const consumed = endAt === -1 ? body.length : endAt + CALL_END.length;
      this.buffer.consume(lead + consumed);
      const call = parseCallBody(inner);
      if (call) {
        this.pendingOpener = '';
        const index = this.calls++;
        events.push(...toolCallEvents(index, this.options.newToolCallId(), call.name, call.json));
      } else {
        this.options.warn('deepseek: tool call could not be parsed; kept as text', { raw: body.slice(0, consumed) });
        this.raw(events, this.pendingOpener + body.slice(0, consumed));
        this.pendingOpener = '';
        this.keepCloser = true;
      }
      return true;
    }
    if (!ended && (CALL_BEGIN.startsWith(body) || CALLS_END.startsWith(body))) return false;
    // Anything else ends the section (the model stopped without the closer, or wrote text).
    if (this.pendingOpener) this.raw(events, this.pendingOpener);
    this.leave();
    return true;
  }

  private leave(): void {
    this.inCalls = false;
    this.pendingOpener = '';
    this.keepCloser = false;
    this.sink.boundary();
  }
}

function parseCallBody(inner: string): { name: string; json: string } | undefined {
  const sepAt = inner.indexOf(TOOL_SEP);
  if (sepAt === -1) return undefined;
  const before = inner.slice(0, sepAt).trim();
  const after = inner.slice(sepAt + TOOL_SEP.length);
  if (before === 'function') {
    const match = R1_BODY.exec(after);
    if (match) {
      const json = compactJson(match[2] ?? match[3] ?? '');
      if (json !== undefined && json.startsWith('{')) return { name: match[1]!, json };
    }
  }
  if (!before || /\s/.test(before)) return undefined;
  const json = compactJson(after.trim());
  if (json === undefined || !json.startsWith('{')) return undefined;
  return { name: before, json };
}

export function createDeepseekR1Parser(options: ParserOptions): OutputParser {
  return new DeepseekParser(options, 'r1');
}

export function createDeepseekV31Parser(options: ParserOptions): OutputParser {
  return new DeepseekParser(options, 'v3.1');
}
