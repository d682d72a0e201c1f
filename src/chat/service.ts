// What the API layers call: a ChatRequest in, a stream of GenerationEvents out.
// The implementation (chat/pipeline.ts) renders the template, runs the engine and parses output.

import type { ChatFormat } from './chat-format.js';
import type { ChatRequest, GenerationEvent } from './types.js';

export interface ChatServiceInfo {
  /** Name of the loaded model (file name), listed by GET /v1/models. */
  modelName: string;
  /** Unix seconds when the model was loaded. */
  loadedAt: number;
  slotContextSize: number;
  /** The output syntax parsed (family, what decided it, the inferred markup for `derived`). */
  chatFormat?: ChatFormat;
}

export interface ChatService {
  readonly info: ChatServiceInfo;
  /**
   * Stream the answer to a request. Errors that happen before the first event (bad template
   * input, prompt too long, queue full) are thrown as ApiError from the first `next()`.
   */
  generate(request: ChatRequest, signal: AbortSignal): AsyncIterable<GenerationEvent>;
  /**
   * Exact number of prompt tokens the request renders to (template, system, tools included),
   * as `generate` would evaluate it (Anthropic count_tokens). Throws ApiError on bad input.
   */
  countTokens(request: ChatRequest): number;
}
