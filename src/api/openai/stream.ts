// GenerationEvents → `chat.completion.chunk` objects, in the order OpenAI sends them:
//   1. `delta: {role: 'assistant', content: ''}` (on the first event of any kind)
//   2. content / reasoning_content / tool_calls deltas
//   3. `delta: {}` with `finish_reason`
//   4. with `stream_options.include_usage`: `choices: []` and `usage`
// The caller frames each chunk as `data: …` and writes `data: [DONE]` after `done`.

import type { GenerationEvent } from '../../chat/types.js';
import type { StreamConverter } from '../../http/sse.js';
import { toFinishReason, toUsage } from './common.js';
import type { ChatCompletionChunk, ChunkDelta, FinishReason, ResponseMeta } from './wire.js';

export interface ChunkerOptions extends ResponseMeta {
  /** `stream_options.include_usage`: every chunk gets `usage: null`, plus a final usage chunk. */
  includeUsage: boolean;
}

export class ChatCompletionChunker implements StreamConverter<GenerationEvent, ChatCompletionChunk> {
  readonly #options: ChunkerOptions;
  #started = false;
  #finished = false;
  /** Event tool-call index → wire index (0, 1, … in order of appearance). */
  readonly #toolIndex = new Map<number, number>();
  #prompt: { promptTokens: number; cachedTokens: number } | undefined;
  #finishReason: FinishReason | undefined;

  constructor(options: ChunkerOptions) {
    this.#options = options;
  }

  /** True once the `done` event was converted. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Prompt token counts from the `accepted` event, if one came. */
  get prompt(): { promptTokens: number; cachedTokens: number } | undefined {
    return this.#prompt;
  }

  get finishReason(): FinishReason | undefined {
    return this.#finishReason;
  }

  /** Convert one event; returns zero or more chunks to send, in order. */
  push(event: GenerationEvent): ChatCompletionChunk[] {
    if (this.#finished) return [];
    const out: ChatCompletionChunk[] = [];
    if (!this.#started) {
      this.#started = true;
      out.push(this.#chunk({ role: 'assistant', content: '' }));
    }
    switch (event.type) {
      case 'accepted':
        this.#prompt = { promptTokens: event.promptTokens, cachedTokens: event.cachedTokens };
        break;
      case 'text':
        if (event.text !== '') out.push(this.#chunk({ content: event.text }));
        break;
      case 'reasoning':
        if (event.text !== '') out.push(this.#chunk({ reasoning_content: event.text }));
        break;
      case 'tool_call_start': {
        if (this.#toolIndex.has(event.index)) break;
        const index = this.#toolIndex.size;
        this.#toolIndex.set(event.index, index);
        out.push(
          this.#chunk({
            tool_calls: [{ index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }],
          }),
        );
        break;
      }
      case 'tool_call_arguments': {
        const index = this.#toolIndex.get(event.index);
        if (index === undefined || event.json === '') break;
        out.push(this.#chunk({ tool_calls: [{ index, function: { arguments: event.json } }] }));
        break;
      }
      case 'tool_call_end':
        break;
      case 'done': {
        this.#finished = true;
        this.#finishReason = toFinishReason(event.stop, this.#toolIndex.size > 0);
        out.push(this.#chunk({}, this.#finishReason));
        if (this.#options.includeUsage) {
          out.push({ ...this.#base(), choices: [], usage: toUsage(event.usage) });
        }
        break;
      }
    }
    return out;
  }

  #base(): Omit<ChatCompletionChunk, 'choices'> {
    const o = this.#options;
    return {
      id: o.id,
      object: 'chat.completion.chunk',
      created: o.created,
      model: o.model,
      system_fingerprint: o.systemFingerprint,
    };
  }

  #chunk(delta: ChunkDelta, finishReason: FinishReason | null = null): ChatCompletionChunk {
    const chunk: ChatCompletionChunk = {
      ...this.#base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    if (this.#options.includeUsage) chunk.usage = null;
    return chunk;
  }
}
