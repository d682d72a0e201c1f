// GenerationEvents → one non-streaming `message`. Built by folding the stream converter's own
// events, so a streamed and a non-streamed answer to the same generation have the same
// blocks, ids scheme, stop reason and usage.

import type { GenerationEvent } from '../../chat/types.js';
import { ApiError } from '../../errors.js';
import { MessageStreamConverter, type StreamMeta } from './stream.js';
import type { ContentBlock, Message, StreamEvent } from './wire.js';

export class MessageAccumulator {
  readonly #converter: MessageStreamConverter;
  #message: Message | undefined;
  /** Raw JSON text of each tool_use block's input, by block index. */
  readonly #inputJson = new Map<number, string>();
  #done = false;

  constructor(meta: StreamMeta) {
    this.#converter = new MessageStreamConverter(meta);
  }

  get finished(): boolean {
    return this.#done;
  }

  push(event: GenerationEvent): void {
    for (const streamEvent of this.#converter.push(event)) this.#apply(streamEvent);
  }

  /** The finished message. Throws if no `done` event arrived. */
  result(): Message {
    if (!this.#done || !this.#message) throw new ApiError('internal', 'The generation ended without a result');
    return this.#message;
  }

  #apply(event: StreamEvent): void {
    switch (event.type) {
      case 'message_start':
        this.#message = { ...event.message, content: [] };
        return;
      case 'ping':
        return;
    }
    const message = this.#message!;
    switch (event.type) {
      case 'content_block_start':
        message.content[event.index] = { ...event.content_block } as ContentBlock;
        break;
      case 'content_block_delta': {
        const block = message.content[event.index];
        const delta = event.delta;
        if (block?.type === 'text' && delta.type === 'text_delta') block.text += delta.text;
        else if (block?.type === 'thinking' && delta.type === 'thinking_delta') block.thinking += delta.thinking;
        else if (block?.type === 'thinking' && delta.type === 'signature_delta') block.signature = delta.signature;
        else if (block?.type === 'tool_use' && delta.type === 'input_json_delta') {
          this.#inputJson.set(event.index, (this.#inputJson.get(event.index) ?? '') + delta.partial_json);
        }
        break;
      }
      case 'content_block_stop': {
        const block = message.content[event.index];
        if (block?.type === 'tool_use') block.input = parseInput(this.#inputJson.get(event.index) ?? '');
        break;
      }
      case 'message_delta':
        message.stop_reason = event.delta.stop_reason;
        message.stop_sequence = event.delta.stop_sequence;
        message.usage = event.usage;
        break;
      case 'message_stop':
        this.#done = true;
        break;
    }
  }
}

/**
 * Anthropic's `input` is always an object. Parsers emit valid JSON objects; anything else
 * (a call cut off by max_tokens) becomes `{}` rather than a response the SDKs cannot type.
 */
function parseInput(json: string): Record<string, unknown> {
  if (json.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(json);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return {};
}

/** Drain an event stream into a `message`. */
export async function collectMessage(events: AsyncIterable<GenerationEvent>, meta: StreamMeta): Promise<Message> {
  const acc = new MessageAccumulator(meta);
  // Drained to the end (not cut off at `done`) so the producer can finish its own bookkeeping.
  for await (const event of events) acc.push(event);
  return acc.result();
}
