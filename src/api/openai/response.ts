// GenerationEvents → one non-streaming `chat.completion` object.

import type { GenerationEvent } from '../../chat/types.js';
import { ApiError } from '../../errors.js';
import { toFinishReason, toUsage } from './common.js';
import type { ChatCompletion, ChatCompletionMessage, MessageToolCall, ResponseMeta } from './wire.js';

export class ChatCompletionAccumulator {
  readonly #meta: ResponseMeta;
  #content = '';
  #reasoning = '';
  /** Event tool-call index → call, in order of appearance. */
  readonly #toolCalls = new Map<number, MessageToolCall>();
  #done: Extract<GenerationEvent, { type: 'done' }> | undefined;

  constructor(meta: ResponseMeta) {
    this.#meta = meta;
  }

  get finished(): boolean {
    return this.#done !== undefined;
  }

  push(event: GenerationEvent): void {
    if (this.#done) return;
    switch (event.type) {
      case 'accepted':
      case 'tool_call_end':
        break;
      case 'text':
        this.#content += event.text;
        break;
      case 'reasoning':
        this.#reasoning += event.text;
        break;
      case 'tool_call_start':
        if (!this.#toolCalls.has(event.index)) {
          this.#toolCalls.set(event.index, {
            id: event.id,
            type: 'function',
            function: { name: event.name, arguments: '' },
          });
        }
        break;
      case 'tool_call_arguments': {
        const call = this.#toolCalls.get(event.index);
        if (call) call.function.arguments += event.json;
        break;
      }
      case 'done':
        this.#done = event;
        break;
    }
  }

  /** The finished response. Throws if no `done` event arrived. */
  result(): ChatCompletion {
    const done = this.#done;
    if (!done) throw new ApiError('internal', 'The generation ended without a result');
    const toolCalls = [...this.#toolCalls.values()];
    const message: ChatCompletionMessage = {
      role: 'assistant',
      // OpenAI sends null content when the answer is only tool calls.
      content: this.#content === '' && toolCalls.length > 0 ? null : this.#content,
      refusal: null,
    };
    if (this.#reasoning !== '') message.reasoning_content = this.#reasoning;
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return {
      id: this.#meta.id,
      object: 'chat.completion',
      created: this.#meta.created,
      model: this.#meta.model,
      system_fingerprint: this.#meta.systemFingerprint,
      choices: [{ index: 0, message, logprobs: null, finish_reason: toFinishReason(done.stop, toolCalls.length > 0) }],
      usage: toUsage(done.usage),
    };
  }
}

/** Drain an event stream into a `chat.completion`. */
export async function collectChatCompletion(events: AsyncIterable<GenerationEvent>, meta: ResponseMeta): Promise<ChatCompletion> {
  const acc = new ChatCompletionAccumulator(meta);
  // Drained to the end (not cut off at `done`) so the producer can finish its own bookkeeping.
  for await (const event of events) acc.push(event);
  return acc.result();
}
