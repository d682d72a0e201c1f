// Google Gemma 4: reasoning in a thought channel and tool calls in Gemma's own value encoding
// (gemma4-values.ts), one call per `<|tool_call>`, calls back to back:
//
//   <|channel>thought
//   The user asks about Paris.<channel|><|tool_call>call:get_weather{city:<|"|>Paris<|"|>}<tool_call|>
//
// llama.cpp has a specialized handler (common/parsers/gemma4.cpp), which we follow:
// - a thought block is `<|channel>thought`, whitespace, reasoning up to `<channel|>`; the output
//   is a sequence of thought blocks and content, so a block may also come after some text
//   (Gemma 4 sometimes ends its answer with an empty `<|channel>thought\n<channel|>`), and its
//   reasoning joins the rest. Extra `<|channel>` before `thought` are dropped. Reasoning is
//   extracted whatever the prompt says: with thinking off the template's generation prompt
//   closes an empty thought block, and a block the model writes anyway is still reasoning.
// - whitespace around blocks stays in the content.
// - a stray `<channel|>` in the content is dropped. (llama.cpp drops it and everything after
//   it but the tool calls; we keep the text that follows.)
// - the call name runs up to the `{` of its arguments.

import { gemma4ValueToJson } from './gemma4-values.js';
import { StreamBuffer } from './stream-buffer.js';
import { LeadingSkip, type Segment } from './think.js';
import { type CallParse, type SegmentSplitter, type TemplateHints, ToolMarkupParser } from './tool-markup.js';
import type { OutputParser, ParserOptions } from './types.js';

const CHANNEL_OPEN = '<|channel>';
const CHANNEL_CLOSE = '<channel|>';
const THOUGHT = 'thought';

type State = 'content' | 'channel' | 'reasoning';

/** Splits Gemma 4 output into content and the reasoning of its thought blocks. */
export class Gemma4ChannelSplitter implements SegmentSplitter {
  private readonly buffer = new StreamBuffer();
  private state: State = 'content';
  private skip = new LeadingSkip();

  constructor(
    private readonly extract: boolean,
    /** Markers that end an unclosed thought block (a tool call); they start the content. */
    private readonly endsAt: readonly string[],
  ) {}

  push(text: string): Segment[] {
    if (!this.extract) return text ? [{ kind: 'content', text }] : [];
    this.buffer.append(text);
    return this.drain();
  }

  finish(): Segment[] {
    if (!this.extract) return [];
    this.buffer.end();
    // An unterminated thought block stays reasoning.
    return this.drain();
  }

  private drain(): Segment[] {
    const out: Segment[] = [];
    for (;;) {
      if (this.state === 'content') {
        const take = this.buffer.takeUntil([CHANNEL_OPEN, CHANNEL_CLOSE]);
        if (take.text) out.push({ kind: 'content', text: take.text });
        if (take.marker === undefined) return out;
        // A stray `<channel|>` is dropped.
        if (take.marker === CHANNEL_OPEN) this.state = 'channel';
        continue;
      }
      if (this.state === 'channel') {
        // After `<|channel>`: more `<|channel>`, then `thought`.
        const rest = this.buffer.peek();
        if (rest.startsWith(CHANNEL_OPEN)) {
          this.buffer.consume(CHANNEL_OPEN.length);
          continue;
        }
        if (rest.startsWith(THOUGHT)) {
          this.buffer.consume(THOUGHT.length);
          this.state = 'reasoning';
          this.skip = new LeadingSkip();
          continue;
        }
        if (!this.buffer.isEnded && (THOUGHT.startsWith(rest) || CHANNEL_OPEN.startsWith(rest))) return out;
        // Another channel name: not a thought block, so the markup is text.
        out.push({ kind: 'content', text: CHANNEL_OPEN });
        this.state = 'content';
        continue;
      }
      const take = this.buffer.takeUntil([CHANNEL_CLOSE, ...this.endsAt]);
      // Whitespace after `thought` is markup (llama.cpp's `p.space()`); whitespace-only reasoning is none.
      const text = this.skip.done ? take.text : this.skip.apply(take.text);
      if (text) out.push({ kind: 'reasoning', text });
      if (take.marker === undefined) return out;
      this.state = 'content';
      if (take.marker !== CHANNEL_CLOSE) out.push({ kind: 'content', text: take.marker });
    }
  }
}

/** The body of `<|tool_call>…<tool_call|>`: `call:NAME{ARGS}`. */
export function parseGemma4Call(body: string): CallParse {
  const match = /^\s*call:([^{]+)\{/.exec(body);
  if (!match) return { error: 'no call:NAME{' };
  const name = match[1]!.trim();
  if (!name || /\s/.test(name)) return { error: `bad tool name ${JSON.stringify(match[1])}` };
  const args = gemma4ValueToJson(body.slice(match[0].length - 1));
  if ('error' in args) return args;
  if (!args.json.startsWith('{')) return { error: 'arguments are not an object' };
  return { name, arguments: args.json };
}

export function createGemma4Parser(options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'gemma4',
    think: false,
    splitter: (endsAt) => new Gemma4ChannelSplitter(options.reasoningFormat === 'auto', endsAt),
    tools: {
      call: { open: '<|tool_call>', close: '<tool_call|>' },
      parse: (body) => parseGemma4Call(body),
    },
  });
}
