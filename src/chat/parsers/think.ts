// Shared reasoning handling for families that wrap thinking in a tag pair (`<think>…</think>`
// by default; tag names are parameters so other families can reuse it).
//
// Behaviour (checked against llama.cpp's parser, `common/chat-auto-parser-generator.cpp`
// `analyze_reasoning::build_parser` + `common_chat_peg_mapper`, run on real templates):
// - reasoningFormat 'auto': an opening tag at the start of the output (after optional
//   whitespace) starts reasoning; everything up to the closing tag is reasoning. An opening
//   tag later in the output is plain text.
// - Thinking is forced open when the prompt ends with the opening tag (optionally followed by
//   whitespace): the output starts as reasoning.
// - Thinking is off when the prompt ends with the closing tag (Qwen3 `enable_thinking:
//   false` renders `<think>\n\n</think>\n\n`): like llama.cpp, a think block the model
//   writes anyway stays text.
// - Whitespace right after the opening tag is dropped, whitespace right after the closing tag
//   is dropped; whitespace-only reasoning is no reasoning. Whitespace before the closing tag
//   (and before tool-call markup in the content) depends on `WhitespaceMode`:
//   'llama.cpp' keeps it, as llama.cpp's autoparser does (`<think>\nA\n</think>` gives
//   reasoning "A\n"; `Hi\n<tool_call>` gives content "Hi\n"); 'trim' drops it (held back
//   while streaming until more text decides). ThinkSplitter and TextSink default to 'trim'
//   (deepseek.ts relies on it); ToolMarkupParser and createThinkParser use 'llama.cpp'.
// - Optional `endsAt` markers (e.g. `<tool_call>` for Qwen3) end reasoning without a closing
//   tag; the marker itself is handed on to the content.
// - reasoningFormat 'none': everything is content, verbatim. When thinking was forced open
//   by the prompt, the prompt's opening tag is repeated at the start of the content so the
//   text is balanced (llama.cpp does the same: it parses generation prompt + output).

import type { OutputParser, ParsedEvent, ParserOptions } from './types.js';
import { StreamBuffer } from './stream-buffer.js';

export interface ThinkTags {
  open: string;
  close: string;
  /** Markers that also end reasoning (not consumed: they start the content). */
  endsAt?: readonly string[];
  /**
   * Whitespace dropped right after the opening / closing tag in 'llama.cpp' mode: 'all', or
   * a sequence of optional characters (llama.cpp's `optspace`: `'\n\n'` drops up to two
   * newlines). Default 'all'. llama.cpp derives these from how each template renders a
   * thinking block, so they differ per family.
   */
  afterOpen?: string;
  afterClose?: string;
}

/** Drops leading characters: all whitespace ('all') or an optional-character sequence. */
export class LeadingSkip {
  constructor(private pattern: string = 'all') {}

  get done(): boolean {
    return this.pattern === '';
  }

  apply(text: string): string {
    if (this.pattern === 'all') {
      const rest = text.trimStart();
      if (rest) this.pattern = '';
      return rest;
    }
    let at = 0;
    while (this.pattern && at < text.length) {
      if (text[at] === this.pattern[0]) at++;
      this.pattern = this.pattern.slice(1);
    }
    return text.slice(at);
  }
}

export const DEFAULT_THINK_TAGS: ThinkTags = { open: '<think>', close: '</think>' };

/** See the header: whether whitespace before closing / tool markup is kept or trimmed. */
export type WhitespaceMode = 'trim' | 'llama.cpp';

export type Segment =
  | { kind: 'reasoning' | 'content'; text: string }
  /** The closing tag was consumed: whitespace right after it is dropped. */
  | { kind: 'think_end' };

type ThinkState = 'start' | 'reasoning' | 'content';

/** The prompt's tail from the opening tag when it forces thinking open, else undefined. */
export function forcedOpenTail(prompt: string, open: string): string | undefined {
  const trimmed = prompt.trimEnd();
  if (!trimmed.endsWith(open)) return undefined;
  return prompt.slice(trimmed.length - open.length);
}

/** Splits a stream into reasoning and content segments. */
export class ThinkSplitter {
  private readonly buffer = new StreamBuffer();
  private state: ThinkState;
  private readonly tags: ThinkTags;
  private extract: boolean;
  /** Reasoning: no non-whitespace reasoning text seen yet. */
  private reasoningStarted = false;
  private openSkip: LeadingSkip;
  /** Reasoning: leading whitespace held until real text shows the block is not empty. */
  private leading = '';
  /** Reasoning: whitespace held back in 'trim' mode (dropped if the block ends). */
  private heldWhitespace = '';
  private readonly whitespace: WhitespaceMode;
  private prefix = '';

  constructor(options: Pick<ParserOptions, 'reasoningFormat' | 'prompt'>, tags: ThinkTags = DEFAULT_THINK_TAGS, whitespace: WhitespaceMode = 'trim') {
    this.tags = tags;
    this.whitespace = whitespace;
    this.openSkip = new LeadingSkip(whitespace === 'trim' ? 'all' : (tags.afterOpen ?? 'all'));
    this.extract = options.reasoningFormat === 'auto';
    const tail = forcedOpenTail(options.prompt, tags.open);
    if (this.extract && tail === undefined && options.prompt.trimEnd().endsWith(tags.close)) {
      this.extract = false;
      this.state = 'content';
    } else if (!this.extract) {
      this.state = 'content';
      if (tail !== undefined) this.prefix = tail;
    } else {
      this.state = tail !== undefined ? 'reasoning' : 'start';
    }
  }

  /** True while the output is inside a reasoning block. */
  get inReasoning(): boolean {
    return this.state === 'reasoning';
  }

  push(text: string): Segment[] {
    const out: Segment[] = [];
    if (this.prefix) {
      out.push({ kind: 'content', text: this.prefix });
      this.prefix = '';
    }
    this.buffer.append(text);
    this.drain(out);
    return out;
  }

  finish(): Segment[] {
    const out: Segment[] = [];
    if (this.prefix) {
      out.push({ kind: 'content', text: this.prefix });
      this.prefix = '';
    }
    this.buffer.end();
    // An unterminated reasoning block stays reasoning.
    this.drain(out);
    if (this.whitespace === 'llama.cpp' && this.heldWhitespace) out.push({ kind: 'reasoning', text: this.heldWhitespace });
    this.heldWhitespace = '';
    return out;
  }

  private drain(out: Segment[]): void {
    for (;;) {
      if (this.state === 'start') {
        const all = this.buffer.peek();
        const trimmed = all.trimStart();
        if (trimmed.startsWith(this.tags.open)) {
          this.buffer.consume(all.length - trimmed.length + this.tags.open.length);
          this.state = 'reasoning';
          continue;
        }
        if (!this.buffer.isEnded && (trimmed === '' || this.tags.open.startsWith(trimmed))) return;
        this.state = 'content';
        continue;
      }
      if (this.state === 'content') {
        const text = this.buffer.takeAll();
        if (text) out.push({ kind: 'content', text });
        return;
      }
      // reasoning
      const endsAt = this.tags.endsAt ?? [];
      const take = this.buffer.takeUntil([this.tags.close, ...endsAt]);
      this.reasoning(take.text, out);
      if (take.marker === undefined) return;
      this.heldWhitespace = '';
      this.state = 'content';
      if (take.marker === this.tags.close) {
        out.push({ kind: 'think_end' });
      } else {
        out.push({ kind: 'content', text: take.marker });
      }
    }
  }

  private reasoning(text: string, out: Segment[]): void {
    if (!text) return;
    if (!this.reasoningStarted) {
      if (!this.openSkip.done) text = this.openSkip.apply(text);
      // Whitespace-only reasoning is no reasoning (llama.cpp discards it): hold leading
      // whitespace until real text arrives.
      const rest = text.trimStart();
      this.leading += text.slice(0, text.length - rest.length);
      if (!rest) return;
      text = (this.whitespace === 'llama.cpp' ? this.leading : '') + rest;
      this.leading = '';
      this.reasoningStarted = true;
    }
    if (this.whitespace === 'llama.cpp') {
      out.push({ kind: 'reasoning', text });
      return;
    }
    const combined = this.heldWhitespace + text;
    const cut = combined.trimEnd().length;
    this.heldWhitespace = combined.slice(cut);
    if (cut > 0) out.push({ kind: 'reasoning', text: combined.slice(0, cut) });
  }
}

/**
 * Content text sink that drops whitespace where llama.cpp's grammar consumes it: right after
 * a closing think tag or a tool call. In 'trim' mode it also drops whitespace right before
 * tool-call markup (trailing whitespace is held back until more text or markup decides); in
 * 'llama.cpp' mode that whitespace stays text, as in llama.cpp.
 */
export class TextSink {
  private skip: LeadingSkip | undefined;
  private held = '';

  constructor(private readonly whitespace: WhitespaceMode = 'trim') {}

  /** Text to emit now (may be ''). */
  text(text: string): string {
    if (this.skip) {
      text = this.skip.apply(text);
      if (this.skip.done) this.skip = undefined;
      if (!text) return '';
    }
    if (this.whitespace === 'llama.cpp') return text;
    const combined = this.held + text;
    const cut = combined.trimEnd().length;
    this.held = combined.slice(cut);
    return combined.slice(0, cut);
  }

  /**
   * Markup that swallows surrounding whitespace (tool call, end of thinking): held trailing
   * whitespace is dropped, and leading whitespace of what follows (`skip`: see ThinkTags).
   */
  boundary(skip = 'all'): void {
    this.held = '';
    this.skip = skip === '' ? undefined : new LeadingSkip(skip);
  }

  /** End of output: whitespace held back is real text. */
  flush(): string {
    const held = this.held;
    this.held = '';
    return held;
  }
}

/** A parser for families whose only markup is a thinking block. */
export function createThinkParser(options: ParserOptions, tags: ThinkTags = DEFAULT_THINK_TAGS, whitespace: WhitespaceMode = 'llama.cpp'): OutputParser {
  const splitter = new ThinkSplitter(options, tags, whitespace);
  const sink = new TextSink(whitespace);
  const convert = (segments: Segment[]): ParsedEvent[] => {
    const events: ParsedEvent[] = [];
    for (const segment of segments) {
      if (segment.kind === 'think_end') sink.boundary(whitespace === 'trim' ? 'all' : (tags.afterClose ?? 'all'));
      else if (segment.kind === 'reasoning') events.push({ type: 'reasoning', text: segment.text });
      else {
        const text = sink.text(segment.text);
        if (text) events.push({ type: 'text', text });
      }
    }
    return events;
  };
  return {
    toolCalls: 0,
    push: (text) => convert(splitter.push(text)),
    finish: () => {
      const events = convert(splitter.finish());
      const held = sink.flush();
      if (held) events.push({ type: 'text', text: held });
      return events;
    },
  };
}
