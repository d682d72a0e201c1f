// GenerationEvents → Anthropic stream events, in the order Anthropic sends them:
//   message_start                     (on the first event: normally `accepted`, before prefill)
//   per block: content_block_start / content_block_delta… / content_block_stop
//     thinking: thinking_delta…, then one signature_delta just before the stop
//     text:     text_delta…
//     tool_use: input_json_delta… (the arguments as the model writes them)
//   message_delta                     (stop_reason, stop_sequence, final usage)
//   message_stop
// One block is open at a time; a change of kind closes it and opens the next. The
// non-streaming response is built from these same events (response.ts), so both agree.

import type { GenerationEvent } from '../../chat/types.js';
import type { StreamConverter } from '../../http/sse.js';
import { thinkingSignature, toStopReason, toWireUsage, usageFromDone } from './common.js';
import type { StreamEvent } from './wire.js';

export interface StreamMeta {
  /** `msg_…` */
  id: string;
  /** The model name the client asked for (echoed). */
  model: string;
  /** Id for each tool_use block (`toolu_01…`). */
  newToolUseId(): string;
}

type OpenBlock = { kind: 'text'; index: number } | { kind: 'thinking'; index: number; text: string } | { kind: 'tool_use'; index: number; call: number };

export class MessageStreamConverter implements StreamConverter<GenerationEvent, StreamEvent> {
  readonly #meta: StreamMeta;
  #started = false;
  #finished = false;
  #nextIndex = 0;
  #open: OpenBlock | undefined;
  #sawToolUse = false;
  #prompt = { promptTokens: 0, cachedTokens: 0 };

  constructor(meta: StreamMeta) {
    this.#meta = meta;
  }

  get started(): boolean {
    return this.#started;
  }

  /** True once `done` was converted (message_stop emitted). */
  get finished(): boolean {
    return this.#finished;
  }

  /** Convert one event; returns zero or more stream events to send, in order. */
  push(event: GenerationEvent): StreamEvent[] {
    if (this.#finished) return [];
    const out: StreamEvent[] = [];
    if (event.type === 'accepted') this.#prompt = { promptTokens: event.promptTokens, cachedTokens: event.cachedTokens };
    if (!this.#started) out.push(this.#messageStart());

    switch (event.type) {
      case 'accepted':
        break;
      case 'reasoning': {
        if (event.text === '') break;
        let block = this.#open;
        if (block?.kind !== 'thinking') {
          this.#close(out);
          block = { kind: 'thinking', index: this.#nextIndex++, text: '' };
          this.#open = block;
          out.push({ type: 'content_block_start', index: block.index, content_block: { type: 'thinking', thinking: '', signature: '' } });
        }
        block.text += event.text;
        out.push({ type: 'content_block_delta', index: block.index, delta: { type: 'thinking_delta', thinking: event.text } });
        break;
      }
      case 'text': {
        if (event.text === '') break;
        let block = this.#open;
        let text = event.text;
        if (block?.kind !== 'text') {
          // A text block starts at its first visible character. Whitespace between blocks
          // (after </think>, between tool calls) belongs to none: Anthropic never sends a
          // whitespace-only text block, and rejects one when a client sends it back.
          text = text.trimStart();
          if (text === '') break;
          this.#close(out);
          block = { kind: 'text', index: this.#nextIndex++ };
          this.#open = block;
          out.push({ type: 'content_block_start', index: block.index, content_block: { type: 'text', text: '' } });
        }
        out.push({ type: 'content_block_delta', index: block.index, delta: { type: 'text_delta', text } });
        break;
      }
      case 'tool_call_start': {
        this.#close(out);
        this.#sawToolUse = true;
        const block: OpenBlock = { kind: 'tool_use', index: this.#nextIndex++, call: event.index };
        this.#open = block;
        out.push({
          type: 'content_block_start',
          index: block.index,
          content_block: { type: 'tool_use', id: this.#meta.newToolUseId(), name: event.name, input: {} },
        });
        break;
      }
      case 'tool_call_arguments': {
        const block = this.#open;
        // Parsers emit a call's start, arguments and end together; arguments of a call whose
        // block is already closed cannot be sent in Anthropic's one-block-at-a-time order.
        if (block?.kind !== 'tool_use' || block.call !== event.index || event.json === '') break;
        out.push({ type: 'content_block_delta', index: block.index, delta: { type: 'input_json_delta', partial_json: event.json } });
        break;
      }
      case 'tool_call_end':
        if (this.#open?.kind === 'tool_use' && this.#open.call === event.index) this.#close(out);
        break;
      case 'done': {
        this.#close(out);
        this.#finished = true;
        const stopReason = toStopReason(event.stop, this.#sawToolUse);
        out.push({
          type: 'message_delta',
          delta: { stop_reason: stopReason, stop_sequence: stopReason === 'stop_sequence' ? (event.stopSequence ?? null) : null },
          usage: usageFromDone(event.usage),
        });
        out.push({ type: 'message_stop' });
        break;
      }
    }
    return out;
  }

  /** Emit `message_start` now if it was not sent yet (e.g. to answer before the first event). */
  start(): StreamEvent[] {
    return this.#started ? [] : [this.#messageStart()];
  }

  #messageStart(): StreamEvent {
    this.#started = true;
    return {
      type: 'message_start',
      message: {
        id: this.#meta.id,
        type: 'message',
        role: 'assistant',
        model: this.#meta.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: toWireUsage(this.#prompt, 0),
      },
    };
  }

  #close(out: StreamEvent[]): void {
    const block = this.#open;
    if (!block) return;
    this.#open = undefined;
    if (block.kind === 'thinking') {
      out.push({ type: 'content_block_delta', index: block.index, delta: { type: 'signature_delta', signature: thinkingSignature(block.text) } });
    }
    out.push({ type: 'content_block_stop', index: block.index });
  }
}
