// The machinery every tag-delimited tool-call family shares (`ToolMarkupParser`): thinking
// split by ThinkSplitter, then content scanned for tool-call markup (optionally wrapped in a
// section), each call buffered until its closing markup and emitted only once its arguments
// are valid JSON. A call that does not parse is reported through `warn` and its raw markup
// becomes text.
//
// Used by Hermes (and the generic fallback in index.ts), Qwen3-Coder, GLM-4.5, MiniMax-M2,
// Kimi-K2, Seed-OSS, Granite (whose JSON list of calls has no closing markup), Gemma 4 (with
// its own reasoning splitter) and LFM2: each family gives its markers and how to parse one call's
// body (`ToolSyntax`).

import type { OutputParser, ParsedEvent, ParserOptions } from './types.js';
import { scanJsonValue } from './json-scan.js';
import { StreamBuffer } from './stream-buffer.js';
import { type Segment, TextSink, ThinkSplitter, type ThinkTags, type WhitespaceMode } from './think.js';

export interface ParsedCall {
  name: string;
  /** Compact JSON text of the arguments object. */
  arguments: string;
}

export type CallParse = ParsedCall | { error: string };

export interface ToolSyntax {
  /** Wrapper around one or more calls (`<minimax:tool_call>…</minimax:tool_call>`). */
  section?: {
    open: string;
    close: string;
    /** Calls may also appear without the wrapper (Kimi-K2). */
    optional?: boolean;
  };
  call: {
    open: string;
    /** `''` with `jsonBody`: the call ends where its JSON value does (Granite's `<|tool_call|>[…]`). */
    close: string;
    /** The body is one JSON value (leading whitespace allowed); with `close` `''` it ends the call. */
    jsonBody?: boolean;
    /**
     * With `jsonBody` and `close` `''`: where the JSON value starts in the text after the opener
     * (after markup such as Mistral's `NAME[ARGS]`), -1 while more text is needed. Default 0.
     */
    jsonStart?(text: string): number;
    /**
     * Other markers that start a call outside a section and belong to its body (Qwen3-Coder
     * sometimes omits `<tool_call>` and starts with `<function=name>`).
     */
    bareOpens?: readonly string[];
  };
  /**
   * The markup between `call.open` and `call.close`: one call, or several (a JSON array of
   * calls). `closed` is false at the end of the output when the closing markup never came.
   */
  parse(body: string, closed: boolean): CallParse | ParsedCall[];
}

/** What splits reasoning from content upstream of the tool-call scan (ThinkSplitter's interface). */
export interface SegmentSplitter {
  push(text: string): Segment[];
  finish(): Segment[];
}

export interface ToolMarkupConfig {
  /** Thinking tags; `false` when the family has no thinking block (or brings its own `splitter`). */
  think: ThinkTags | false;
  /**
   * A family-specific splitter instead of the ThinkSplitter built from `think` (Gemma 4, whose
   * reasoning blocks may appear anywhere in the output). `endsAt`: the tool-call openers that
   * end unclosed reasoning, as for ThinkTags.endsAt.
   */
  splitter?: (endsAt: readonly string[]) => SegmentSplitter;
  tools: ToolSyntax;
  /** Name used in warnings. */
  family: string;
  /** Default 'llama.cpp' (whitespace before `</think>` and before tool calls is kept). */
  whitespace?: WhitespaceMode;
  /**
   * Default true: a call opener inside reasoning ends it, as llama.cpp's autoparser reads
   * reasoning. False where llama.cpp's handler reads reasoning up to the closing tag only
   * (LFM2: a call written inside `<think>` stays reasoning).
   */
  callsEndThinking?: boolean;
}

/** What the caller knows about the chat template (optional; defaults keep every feature on). */
export interface TemplateHints {
  /**
   * False when the template has no thinking block (e.g. Qwen2.5, Hermes 3): llama.cpp then
   * leaves `<think>` in the content, and so do we. `templateThinks(source)` in detect.ts.
   */
  templateThinks?: boolean;
}

type ToolState = 'text' | 'section' | 'call';

export class ToolMarkupParser implements OutputParser {
  private readonly splitter: SegmentSplitter | undefined;
  private readonly buffer = new StreamBuffer();
  private readonly sink: TextSink;
  private state: ToolState = 'text';
  private inSection = false;
  private body = '';
  /** The current call started with a bare opener (its markup has no `call.open`). */
  private bareCall = false;
  private count = 0;
  /** Whitespace dropped after `</think>` (see ThinkTags.afterClose). */
  private readonly closeSkip: string;

  constructor(
    private readonly options: ParserOptions & TemplateHints,
    private readonly config: ToolMarkupConfig,
  ) {
    const whitespace = config.whitespace ?? 'llama.cpp';
    this.closeSkip = whitespace === 'trim' || !config.think ? 'all' : (config.think.afterClose ?? 'all');
    this.sink = new TextSink(whitespace);
    // Like llama.cpp, a template that never writes a thinking block gets no reasoning
    // extraction: `<think>` from such a model stays text.
    if ((config.think || config.splitter) && options.templateThinks !== false) {
      const callsEnd = options.toolsEnabled && config.callsEndThinking !== false;
      const endsAt = callsEnd ? [config.tools.section?.open ?? config.tools.call.open] : [];
      if (callsEnd && config.tools.section?.optional) endsAt.push(config.tools.call.open);
      if (config.splitter) this.splitter = config.splitter(endsAt);
      else if (config.think) this.splitter = new ThinkSplitter(options, { ...config.think, endsAt: [...(config.think.endsAt ?? []), ...endsAt] }, whitespace);
    }
  }

  get toolCalls(): number {
    return this.count;
  }

  push(text: string): ParsedEvent[] {
    const events: ParsedEvent[] = [];
    const segments: Segment[] = this.splitter ? this.splitter.push(text) : [{ kind: 'content', text }];
    this.handle(segments, events);
    return events;
  }

  finish(): ParsedEvent[] {
    const events: ParsedEvent[] = [];
    if (this.splitter) this.handle(this.splitter.finish(), events);
    this.buffer.end();
    this.drain(events);
    if (this.state === 'call') {
      this.finishCall(this.body, false, '', events);
      this.state = 'text';
    }
    const held = this.sink.flush();
    if (held) events.push({ type: 'text', text: held });
    return events;
  }

  private handle(segments: Segment[], events: ParsedEvent[]): void {
    for (const segment of segments) {
      if (segment.kind === 'think_end') {
        this.sink.boundary(this.closeSkip);
      } else if (segment.kind === 'reasoning') {
        events.push({ type: 'reasoning', text: segment.text });
      } else {
        this.buffer.append(segment.text);
        this.drain(events);
      }
    }
  }

  private emitText(text: string, events: ParsedEvent[]): void {
    const out = this.sink.text(text);
    if (out) events.push({ type: 'text', text: out });
  }

  private drain(events: ParsedEvent[]): void {
    const { section, call } = this.config.tools;
    for (;;) {
      if (!this.options.toolsEnabled) {
        this.emitText(this.buffer.takeAll(), events);
        return;
      }
      if (this.state === 'text') {
        const bare = call.bareOpens ?? [];
        const markers = section ? [section.open, ...(section.optional ? [call.open] : [])] : [call.open];
        const take = this.buffer.takeUntil([...markers, ...bare]);
        this.emitText(take.text, events);
        if (take.marker === undefined) return;
        this.sink.boundary();
        if (section && take.marker === section.open) {
          this.state = 'section';
        } else {
          this.state = 'call';
          this.inSection = false;
          this.body = '';
          if (bare.includes(take.marker)) {
            this.body = take.marker;
            this.bareCall = true;
          }
        }
        continue;
      }
      if (this.state === 'section') {
        const take = this.buffer.takeUntil([call.open, section!.close]);
        // Stray text between calls inside a section stays text.
        if (take.text.trim()) this.emitText(take.text, events);
        if (take.marker === undefined) return;
        if (take.marker === call.open) {
          this.state = 'call';
          this.inSection = true;
          this.body = '';
        } else {
          this.state = 'text';
          this.sink.boundary();
        }
        continue;
      }
      // call
      if (call.jsonBody && call.close === '') {
        const peek = this.buffer.peek();
        const start = call.jsonStart ? call.jsonStart(peek) : 0;
        const end = start === -1 ? -1 : scanJsonValue(peek, start);
        if (end === -1 && !this.buffer.isEnded) return;
        if (end === -1) {
          // Cut off by the end of the output: finish() parses what is left.
          this.body = this.buffer.takeAll();
          return;
        }
        // No JSON after the opener (-2): the opener is text, and what follows goes on as text.
        const body = end === -2 ? '' : this.buffer.consume(end);
        const ok = this.finishCall(body, true, '', events);
        this.state = 'text';
        if (ok) this.sink.boundary();
        continue;
      }
      const ends = section && (this.inSection || section.optional) ? [call.close, section.close] : [call.close];
      const take = this.buffer.takeUntil(ends);
      this.body += take.text;
      if (take.marker === undefined) return;
      const ok = this.finishCall(this.body, true, take.marker, events);
      this.body = '';
      if (section && take.marker === section.close) {
        this.state = 'text';
      } else {
        this.state = this.inSection ? 'section' : 'text';
      }
      // Whitespace after a call is markup; after a call kept as text it is text.
      if (ok) this.sink.boundary();
    }
  }

  /** Emits the call, or its raw markup as text (false) when it does not parse. */
  private finishCall(body: string, closed: boolean, closeMarker: string, events: ParsedEvent[]): boolean {
    const parsed = this.config.tools.parse(body, closed);
    if ('error' in parsed) {
      const raw = (this.bareCall ? '' : this.config.tools.call.open) + body + closeMarker;
      this.options.warn(`${this.config.family}: tool call could not be parsed (${parsed.error}); kept as text`, {
        family: this.config.family,
        markup: raw,
      });
      this.bareCall = false;
      // The whitespace sink would swallow leading whitespace after a boundary; raw markup
      // starts with the call's opening markup, so nothing is lost.
      const out = this.sink.text(raw);
      if (out) events.push({ type: 'text', text: out });
      return false;
    }
    this.bareCall = false;
    for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
      const index = this.count++;
      events.push({ type: 'tool_call_start', index, id: this.options.newToolCallId(), name: call.name });
      events.push({ type: 'tool_call_arguments', index, json: call.arguments });
      events.push({ type: 'tool_call_end', index });
    }
    return true;
  }
}
