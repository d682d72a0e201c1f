// gpt-oss (Harmony) output parser. The prompt ends with `<|start|>assistant`; the output is
// a series of messages, each a header, `<|message|>`, a body and a terminator:
//   <|channel|>analysis<|message|>…<|end|>                         → reasoning
//   <|start|>assistant<|channel|>final<|message|>…[<|return|>]      → text
//   <|channel|>commentary<|message|>…<|end|>                       → text (preamble)
//   <|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{…}<|call|>  → tool call
//   <|start|>assistant to=functions.NAME<|channel|>commentary<|message|>{…}<|call|>  (recipient in role)
// As in llama.cpp, messages to builtin recipients (`to=python`, `to=container.exec`) are
// dropped and a stray `<|channel|>commentary to=assistant` before a header is ignored.

import { compactJson, toolCallEvents } from './json-scan.js';
import { StreamBuffer } from './stream-buffer.js';
import type { OutputParser, ParsedEvent, ParserOptions } from './types.js';

const MESSAGE = '<|message|>';
const START = '<|start|>';
const END = '<|end|>';
const CALL = '<|call|>';
const RETURN = '<|return|>';
const TERMINATORS = [END, CALL, RETURN, START];
/** What a header may start with (after whitespace between messages, which is dropped). */
const HEADER_STARTS = [START, '<|channel|>', ' to=', 'assistant', '<|constrain|>'];
/** A header longer than this without `<|message|>` is not a header. */
const MAX_HEADER = 512;

type Body =
  | { kind: 'reasoning' }
  | { kind: 'text' }
  /** reasoningFormat 'none': the analysis message verbatim, markup included. */
  | { kind: 'raw-reasoning' }
  | { kind: 'tool'; name: string; header: string }
  /** Tools disabled: the call's markup is text. */
  | { kind: 'raw-tool'; header: string }
  | { kind: 'drop' };

class GptOssParser implements OutputParser {
  private readonly buffer = new StreamBuffer();
  /** undefined while reading a header. */
  private body: Body | undefined;
  private calls = 0;

  constructor(private readonly options: ParserOptions) {
    // A prompt that already opened a message (`…<|channel|>analysis<|message|>`, e.g. a
    // continued turn) makes the output start inside that message's body.
    const start = options.prompt.lastIndexOf(START);
    const tail = start === -1 ? '' : options.prompt.slice(start);
    if (tail.endsWith(MESSAGE)) {
      const body = this.classify(tail.slice(0, -MESSAGE.length));
      // Verbatim analysis (reasoningFormat 'none') lacks its header here; plain text suffices.
      this.body = body.kind === 'raw-reasoning' ? { kind: 'text' } : body;
    }
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
      if (this.body === undefined) {
        if (!this.header(events)) return events;
        continue;
      }
      const body = this.body;
      if (body.kind === 'reasoning' || body.kind === 'text' || body.kind === 'raw-reasoning') {
        const take = this.buffer.takeUntil(TERMINATORS);
        if (take.text) {
          events.push(body.kind === 'reasoning' ? { type: 'reasoning', text: take.text } : { type: 'text', text: take.text });
        }
        if (take.marker === undefined) return events;
        if (body.kind === 'raw-reasoning' && take.marker !== START) events.push({ type: 'text', text: take.marker });
        this.body = undefined;
        continue;
      }
      // Bodies kept whole until their terminator: tool calls and dropped messages.
      const peek = this.buffer.peek();
      let at = -1;
      let marker = '';
      for (const candidate of TERMINATORS) {
        const index = peek.indexOf(candidate);
        if (index !== -1 && (at === -1 || index < at)) {
          at = index;
          marker = candidate;
        }
      }
      if (at === -1 && !this.buffer.isEnded) return events;
      const content = at === -1 ? peek : peek.slice(0, at);
      this.buffer.consume(at === -1 ? peek.length : at + (marker === START ? START.length : marker.length));
      const terminator = marker === START ? '' : marker;
      this.body = undefined;
      if (body.kind === 'drop') continue;
      if (body.kind === 'raw-tool') {
        events.push({ type: 'text', text: body.header + MESSAGE + content + terminator });
        continue;
      }
      const json = compactJson(content.trim());
      if (json === undefined || !json.startsWith('{')) {
        this.options.warn('gpt-oss: tool call arguments are not valid JSON; kept as text', { name: body.name, raw: content });
        events.push({ type: 'text', text: body.header + MESSAGE + content + terminator });
        continue;
      }
      events.push(...toolCallEvents(this.calls++, this.options.newToolCallId(), body.name, json));
    }
  }

  /**
   * Reads a header up to `<|message|>`; false when more text is needed. Whether the buffer
   * holds a header is decided by how it begins (after whitespace between messages), never by
   * whether a `<|message|>` happens to be buffered already: the answer must not depend on
   * where the output was split into pieces (with a vocab that spells `<|channel|>` as
   * several plain text pieces, a streamed header arrives a few characters at a time).
   */
  private header(events: ParsedEvent[]): boolean {
    const peek = this.buffer.peek();
    if (peek === '') return false;
    const lead = peek.trimStart();
    const skipped = peek.length - lead.length;
    if (lead === '' && !this.buffer.isEnded) return false;
    const startsHeader = HEADER_STARTS.some((start) => lead.startsWith(start));
    const couldStartHeader = lead !== '' && HEADER_STARTS.some((start) => start.startsWith(lead));
    if (!startsHeader && !(couldStartHeader && !this.buffer.isEnded)) {
      // Not Harmony markup: plain text until a terminator (whitespace included).
      this.body = { kind: 'text' };
      return true;
    }
    if (!startsHeader) return false;
    const at = lead.indexOf(MESSAGE);
    if (at === -1 || at > MAX_HEADER) {
      if (lead.length <= MAX_HEADER && !this.buffer.isEnded) return false;
      if (lead.length <= MAX_HEADER && lead.includes('<|')) {
        // The output ended inside a header: nothing was said.
        this.buffer.takeAll();
        return false;
      }
      // Too long for a header, or words with no markup at all: plain text.
      this.body = { kind: 'text' };
      return true;
    }
    const raw = lead.slice(0, at);
    this.buffer.consume(skipped + at + MESSAGE.length);
    this.body = this.classify(raw);
    if (this.body.kind === 'raw-reasoning') {
      // reasoningFormat 'none': the analysis message stays in the text, markup included.
      events.push({ type: 'text', text: raw.replace(/^(?:<\|start\|>)?assistant/, '') + MESSAGE });
    }
    return true;
  }

  private classify(raw: string): Body {
    const header = raw.replace(/^(?:<\|start\|>)?assistant/, '');
    const channels = [...header.matchAll(/<\|channel\|>(\w+)/g)].map((match) => match[1]!);
    const recipients = [...header.matchAll(/ to=([^\s<]+)/g)].map((match) => match[1]!).filter((to) => to !== 'assistant');
    const channel = channels[channels.length - 1];
    const recipient = recipients[recipients.length - 1];
    if (recipient !== undefined) {
      if (recipient.startsWith('functions.') && recipient.length > 'functions.'.length) {
        return this.options.toolsEnabled ? { kind: 'tool', name: recipient.slice('functions.'.length), header } : { kind: 'raw-tool', header };
      }
      return { kind: 'drop' };
    }
    if (channel === 'analysis') {
      return this.options.reasoningFormat === 'auto' ? { kind: 'reasoning' } : { kind: 'raw-reasoning' };
    }
    return { kind: 'text' };
  }
}

export function createGptOssParser(options: ParserOptions): OutputParser {
  return new GptOssParser(options);
}
