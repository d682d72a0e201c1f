// The internal contract between the API layers and the generation pipeline.
// Neither wire format (Anthropic, OpenAI) is the internal format: each API folder
// converts its request into a ChatRequest and turns GenerationEvents into its wire.

import type { CompletionStop, SamplingOptions } from '../engine/types.js';

// Sampling is the engine's vocabulary; the APIs fill it in from their own parameter names.
export type { SamplingOptions } from '../engine/types.js';

/** One tool call made by the assistant, as kept in conversation history. */
export interface ToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments, exactly as the model produced or the client sent them. */
  arguments: string;
}

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image';
  /**
   * A data: URL or http(s) URL. No API produces one today: no model served has vision, so both
   * turn images into a text note at the edge (chat/image-note.ts); the template layer rejects one.
   */
  url: string;
}

export type ContentPart = TextPart | ImagePart;

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ContentPart[]; name?: string }
  | {
      role: 'assistant';
      content: string;
      /** Reasoning ("thinking") text from an earlier turn, for templates that render it. */
      reasoning?: string;
      toolCalls?: ToolCall[];
    }
  | { role: 'tool'; content: string; toolCallId: string; name?: string };

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'function'; name: string };

export type ResponseFormat = { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; name?: string; schema: Record<string, unknown> };

export interface ChatRequest {
  /** Server-assigned request id, used in logs and responses. */
  id: string;
  /** The model name the client asked for; echoed back, never used to pick weights. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  /** Upper bound on generated tokens; clamped to what is left of the slot's context. */
  maxTokens?: number;
  stop?: string[];
  sampling: SamplingOptions;
  /**
   * Most reasoning tokens the model may spend before its thinking is closed for it
   * (Anthropic `thinking.budget_tokens`); 0 turns thinking off. Unset: no limit.
   */
  reasoningBudget?: number;
  /** Set under `--debug`: receives the prompt, raw output and notes. */
  trace?: GenerationTrace;
  /** Extra variables for the chat template (OpenAI `chat_template_kwargs`, e.g. enable_thinking). */
  templateKwargs?: Record<string, unknown>;
  /**
   * The HTTP request's headers (lower-case names; authorization, x-api-key and cookies left
   * out), for routing the request to a cache.
   */
  headers?: Record<string, string>;
  /** `--cache-isolation`: only requests of the same scope (a hashed API key) reuse each other's cached prompts. */
  cacheScope?: string;
}

/** Details shown with the rendered prompt in a debug trace. */
export type PromptInfo = Record<string, string | number | boolean | undefined>;

/** Where the pipeline reports what it did for a request under `--debug` (see src/debug/trace.ts). */
export interface GenerationTrace {
  /** The rendered prompt, exactly as it is tokenized. */
  prompt(text: string, info?: PromptInfo): void;
  /** More prompt details once known (token counts, cache route, reused tokens). */
  promptDetails(info: PromptInfo): void;
  /** Raw model output, markup included, as generated. */
  rawOutput(text: string): void;
  /** Something the parser or pipeline could not handle as expected (e.g. unparseable tool arguments). */
  note(message: string, details?: Record<string, unknown>): void;
}

export interface Usage {
  promptTokens: number;
  /** Prompt tokens served from the KV cache instead of being evaluated again. */
  cachedTokens: number;
  completionTokens: number;
  /** With speculative decoding: tokens drafted and verified, and how many the model agreed with. */
  speculative?: { drafted: number; accepted: number };
}

/** Why generation ended: the engine's reasons, plus `tool_calls` once the parser saw a call. */
export type StopReason = CompletionStop | 'tool_calls';

export type GenerationEvent =
  /** Sent after tokenizing and slot choice, before prompt processing: lets clients start their stream early. */
  | {
      type: 'accepted';
      promptTokens: number;
      cachedTokens: number;
      cache: string;
      route: string;
      /** The slot within `cache`, and the routing rule that chose the cache (routed servers only). */
      slot?: number;
      rule?: string;
    }
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'tool_call_start'; index: number; id: string; name: string }
  /** A fragment of the tool call's JSON arguments. */
  | { type: 'tool_call_arguments'; index: number; json: string }
  | { type: 'tool_call_end'; index: number }
  | { type: 'done'; stop: StopReason; stopSequence?: string; usage: Usage };
