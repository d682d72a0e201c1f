// Muse Glimmer (ATEM): Harmony-like messages. The prompt ends with `<|start|>assistant`; the
// output is a series of messages, each a recipient, `<|message|>`, a body and a terminator
// (`<|eom|>` when more messages follow, `<|eot|>` at the end of the turn):
//
//    to=self<|message|>…<|eom|>                      → reasoning
//   <|start|>assistant to=user<|message|>…<|eot|>    → text (` to=user` optional)
//   <|start|>assistant to=get_weather<|message|><atem:function_calls>
//   <atem:invoke name="get_weather">
//   <atem:parameter name="city">Paris</atem:parameter>
//   </atem:invoke>
//   </atem:function_calls><|eom|>                    → tool call
//
// As in llama.cpp's dedicated parser (common/parsers/muse-glimmer.cpp), the call's name is the
// invoke's, and a value whose schema allows strings is the raw text, other values are JSON.

import type { ToolDefinition } from '../types.js';
import { StreamBuffer } from './stream-buffer.js';
import type { CallParse } from './tool-markup.js';
import type { OutputParser, ParsedEvent } from './types.js';
import { buildArguments, type XmlArgsParserOptions } from './xml-arguments.js';

const MESSAGE = '<|message|>';
const START = '<|start|>';
const EOM = '<|eom|>';
const EOT = '<|eot|>';
const TERMINATORS = [EOM, EOT, START];
/** What a header may start with, once whitespace between messages is dropped. */
const HEADER_STARTS = [START, 'assistant', 'to=', MESSAGE];
/** A header longer than this without `<|message|>` is not a header. */
const MAX_HEADER = 256;

const INVOKE = /^\s*<atem:invoke\s+name="([^"]*)"\s*>([\s\S]*?)<\/atem:invoke>/;
const PARAMETER = /^\s*<atem:parameter\s+name="([^"]*)"\s*>([\s\S]*?)<\/atem:parameter>/;

/** A tool message's body: `<atem:function_calls>` holding one or more `<atem:invoke>`. */
export function parseAtemCalls(body: string, tools: readonly ToolDefinition[] | undefined): CallParse[] | { error: string } {
  const match = /^\s*<atem:function_calls>([\s\S]*)<\/atem:function_calls>\s*$/.exec(body);
  if (!match) return { error: 'no <atem:function_calls> block' };
  let rest = match[1]!;
  const calls: CallParse[] = [];
  for (;;) {
    const invoke = INVOKE.exec(rest);
    if (!invoke) break;
    const name = invoke[1]!.trim();
    if (!name) return { error: 'empty invoke name' };
    let params = invoke[2]!;
    const pairs: Array<[string, string]> = [];
    for (;;) {
      const parameter = PARAMETER.exec(params);
      if (!parameter) break;
      pairs.push([parameter[1]!.trim(), parameter[2]!]);
      params = params.slice(parameter[0].length);
    }
    if (params.trim()) return { error: 'unexpected text in invoke' };
    calls.push({ name, arguments: buildArguments(tools, name, pairs, 'string') });
    rest = rest.slice(invoke[0].length);
  }
  if (rest.trim() || calls.length === 0) return { error: 'unexpected text in function calls' };
  return calls;
}

type Body =
  | { kind: 'reasoning' }
  | { kind: 'text' }
  /** reasoningFormat 'none': the reasoning message verbatim, markup included. */
  | { kind: 'raw-reasoning' }
  | { kind: 'tool'; header: string }
  /** Tools disabled: the call's markup is text. */
  | { kind: 'raw-tool'; header: string };

class MuseGlimmerParser implements OutputParser {
  private readonly buffer = new StreamBuffer();
  /** undefined while reading a header. */
  private body: Body | undefined;
  private calls = 0;

  constructor(private readonly options: XmlArgsParserOptions) {}

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
      if (body.kind !== 'tool' && body.kind !== 'raw-tool') {
        const take = this.buffer.takeUntil(TERMINATORS);
        if (take.text) events.push(body.kind === 'reasoning' ? { type: 'reasoning', text: take.text } : { type: 'text', text: take.text });
        if (take.marker === undefined) return events;
        if (body.kind === 'raw-reasoning' && take.marker !== START) events.push({ type: 'text', text: take.marker });
        // `<|start|>` begins the next header.
        if (take.marker === START) this.putBack(START);
        this.body = undefined;
        continue;
      }
      // A tool message is kept whole until its terminator (or the end of the output).
      const take = this.buffer.takeUntil(TERMINATORS);
      body.header += take.text;
      if (take.marker === undefined && !this.buffer.isEnded) return events;
      if (take.marker === START) this.putBack(START);
      this.body = undefined;
      this.finishTool(body, take.marker !== undefined && take.marker !== START ? take.marker : '', events);
      if (take.marker === undefined) return events;
    }
  }

  /** `header` holds the raw header + `<|message|>` + the body read so far. */
  private finishTool(body: { kind: 'tool' | 'raw-tool'; header: string }, terminator: string, events: ParsedEvent[]): void {
    const at = body.header.indexOf(MESSAGE) + MESSAGE.length;
    const content = body.header.slice(at);
    if (body.kind === 'raw-tool') {
      events.push({ type: 'text', text: body.header + terminator });
      return;
    }
    const parsed = parseAtemCalls(content, this.options.tools);
    if ('error' in parsed) {
      this.options.warn(`muse-glimmer: tool call could not be parsed (${parsed.error}); kept as text`, { markup: body.header });
      events.push({ type: 'text', text: body.header + terminator });
      return;
    }
    for (const call of parsed) {
      if ('error' in call) continue;
      const index = this.calls++;
      events.push({ type: 'tool_call_start', index, id: this.options.newToolCallId(), name: call.name });
      events.push({ type: 'tool_call_arguments', index, json: call.arguments });
      events.push({ type: 'tool_call_end', index });
    }
  }

  private putBack(text: string): void {
    const rest = this.buffer.takeAll();
    this.buffer.append(text + rest);
  }

  /**
   * Reads a header up to `<|message|>`; false when more text is needed. Whether the buffer
   * holds a header is decided by how it begins, so the answer does not depend on where the
   * output was split.
   */
  private header(events: ParsedEvent[]): boolean {
    const peek = this.buffer.peek();
    if (peek === '') return false;
    const lead = peek.trimStart();
    const skipped = peek.length - lead.length;
    if (lead === '') {
      // Whitespace between messages is not text; at the end of the output it is dropped.
      if (this.buffer.isEnded) this.buffer.takeAll();
      return false;
    }
    const startsHeader = HEADER_STARTS.some((start) => lead.startsWith(start));
    const couldStartHeader = HEADER_STARTS.some((start) => start.startsWith(lead));
    if (!startsHeader && !(couldStartHeader && !this.buffer.isEnded)) {
      // Not a message header: plain text until a terminator (whitespace included).
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
      this.body = { kind: 'text' };
      return true;
    }
    const raw = lead.slice(0, at);
    this.buffer.consume(skipped + at + MESSAGE.length);
    const header = raw.replace(/^(?:<\|start\|>)?assistant/, '');
    const recipient = /^\s*to=(\S+?)\s*$/.exec(header)?.[1];
    if (recipient === 'self') {
      if (this.options.reasoningFormat === 'auto') {
        this.body = { kind: 'reasoning' };
      } else {
        this.body = { kind: 'raw-reasoning' };
        events.push({ type: 'text', text: header + MESSAGE });
      }
    } else if (recipient === undefined || recipient === 'user') {
      this.body = { kind: 'text' };
    } else {
      this.body = { kind: this.options.toolsEnabled ? 'tool' : 'raw-tool', header: header + MESSAGE };
    }
    return true;
  }
}

export function createMuseGlimmerParser(options: XmlArgsParserOptions): OutputParser {
  return new MuseGlimmerParser(options);
}
