// The Engine interface: the only way the rest of the server reaches a model.
// Implementations: LlamaEngine (node-llama-cpp; it and its parts in llama/ are the only
// importers of the native binding) and MockEngine (scripted output, no model).

import type { ThinkingMarkers, Trigger } from './steering.js';

export type { ThinkingMarkers, Trigger } from './steering.js';

/** Sampling parameters of one request; unset fields take llama-server's defaults (sampling.ts). */
export interface SamplingOptions {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  repeatPenalty?: number;
  /** Token id → value added to its logit before sampling (OpenAI's `logit_bias`; -100 all but bans a token). */
  logitBias?: Readonly<Record<number, number>>;
}

/** Why the engine stopped generating. */
export type CompletionStop = 'end' | 'max_tokens' | 'stop_sequence';

/**
 * One KV cache: a set of slots (sequences) of one size with its own queue. Which requests go to
 * which cache is the router's business (routing/), not the engine's.
 */
export interface CacheSpec {
  name: string;
  /** Conversations this cache holds at once (its slots: KV sequences, each `contextSize` tokens). */
  slots: number;
  /** Tokens per slot; 0 = the model's training context, capped to memory. */
  contextSize: number;
  /** Requests that may wait for one of this cache's slots before the server answers overloaded. */
  queueSize: number;
  /** Serves requests that name no cache. Exactly one cache is the default (or the first, if none says so). */
  default?: boolean;
}

export interface ModelInfo {
  /** Display name, e.g. the GGUF file name without extension. */
  name: string;
  path: string;
  /**
   * Context size of one slot of the default cache, in tokens (what clients such as
   * `llama-bridge cc` size their conversations by). Each cache's own size is in `caches`.
   */
  slotContextSize: number;
  /** Context length the model was trained with (GGUF metadata), if known. */
  trainContextSize?: number;
  /** Slots over all caches. */
  slots: number;
  /** The KV caches, in configured order; one of them is the default (see `defaultCache`). */
  caches: CacheInfo[];
  /** Name of the cache serving requests that name none. */
  defaultCache: string;
  /** `tokenizer.chat_template` from the GGUF metadata, if present. */
  chatTemplate?: string;
  bosToken?: string;
  eosToken?: string;
  /** Text of every end-of-generation token (eos, eot, …), for templates and stop handling. */
  eogTokens: string[];
  /** GGUF `general.architecture`. */
  architecture?: string;
  /** The model's memory and how the engine keeps its prompt cache (GET /props, the startup log). */
  memory?: ModelMemory;
  /** A remote engine evaluates and samples (the GGUF supplies only the template and vocabulary). */
  remote?: { url: string; protocol: string };
  /** CPU threads each context decodes with, and the GPU backend ('none' on CPU only). */
  threads?: number;
  gpu?: string;
  /** Speculative decoding, when on: how, and the caches whose slots use it (the others' memory cannot drop refuted drafts). */
  speculation?: { type: 'ngram' | 'draft'; draftMax: number; draftMin: number; draftModel?: string; caches: string[] };
}

export interface ModelMemory {
  /** Layers that see only the last `slidingWindow` tokens, if the model has them. */
  slidingWindow?: number;
  /** Recurrent layers (recurrent or hybrid models): their state covers the whole sequence. */
  recurrent: boolean;
  /**
   * How a slot returns to an earlier token: `any` (attention caches: drop the suffix),
   * `window` (sliding-window layers: within the window, else a checkpoint), `checkpoints` (only a checkpoint).
   */
  rollback: 'any' | 'window' | 'checkpoints';
  /** `full-cache` (every token cached, sliding-window layers too), or `checkpoints` (with at most `maxCheckpoints` per slot). */
  cacheStrategy: 'full-cache' | 'checkpoints';
  maxCheckpoints?: number;
  /** Bytes a slot's checkpoints may take; unset: only the count limits them. */
  checkpointMemoryBytes?: number;
}

export interface CacheInfo {
  name: string;
  /** The remote engine serving it; in-process when absent. */
  remote?: { url: string; protocol: string };
  slots: number;
  /** Tokens per slot (the real size, after `0` = training context was resolved). */
  contextSize: number;
  /** Requests that may wait for one of its slots. */
  queueSize: number;
}

export interface CompletionRequest {
  /** Request id for logs. */
  id: string;
  /** The fully rendered prompt text; special tokens in it are parsed as special tokens. */
  prompt: string;
  maxTokens?: number;
  stop?: string[];
  sampling: SamplingOptions;
  /** Constrains what may be generated, if set. */
  constraint?: OutputConstraint;
  /**
   * The model's thinking markers, when it may think. Tool-call triggers inside thinking are
   * ignored, and with a `budget` the span is closed for the model (by generating `closeWith`
   * as if the model had) once it has used that many tokens.
   */
  thinking?: ThinkingMarkers & { budget?: number; closeWith?: string };
  /** The cache (see ModelInfo.caches) to serve this from; default: the default cache. Unknown → ApiError. */
  cache?: string;
  /** Aborting stops queued, prefilling or generating work and frees the slot with its cache kept. */
  signal?: AbortSignal;
  /**
   * Offsets in `prompt` (characters) where a later prompt may diverge from this one: where the
   * generation prompt starts, where the last user message starts. On a model whose memory
   * cannot roll back (`ModelInfo.rollback`), the engine keeps a checkpoint there.
   */
  reusePoints?: number[];
  /** Only a slot last used by the same scope may keep its cached prompt for this request (`--cache-isolation`). */
  cacheScope?: string;
  /** Report in `accepted` how many characters of `prompt` the reused tokens cover (`reusedChars`). */
  measureReusedText?: boolean;
  /** A key stable over one conversation: a remote engine sends it where routers keep a conversation on one replica. */
  affinityKey?: string;
}

export type OutputConstraint =
  /** Any JSON value (OpenAI `response_format: json_object`). */
  | { type: 'json' }
  /** JSON matching a schema; an unsupported or invalid schema is an `invalid_request` ApiError. */
  | { type: 'json_schema'; schema: Record<string, unknown> }
  /** A llama.cpp GBNF grammar. */
  | { type: 'gbnf'; grammar: string }
  /**
   * Free output until a trigger appears (outside thinking, unless `insideThinking`); from the
   * trigger on, the grammar applies. The grammar must itself begin with the trigger text: the
   * engine rewinds to where the trigger started and lets the grammar produce it again.
   */
  | { type: 'lazy_gbnf'; grammar: string; triggers: Trigger[]; insideThinking?: boolean };

export interface CompletionUsage {
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  /** With speculative decoding: tokens drafted and verified, and how many of them the model agreed with. */
  speculative?: { drafted: number; accepted: number };
}

export type CompletionEvent =
  /** The prompt was tokenized and given a slot; prompt processing starts now. */
  | {
      type: 'accepted';
      promptTokens: number;
      cachedTokens: number;
      cache: string;
      slot: number;
      /** With `measureReusedText`: characters of the prompt text the `cachedTokens` cover. */
      reusedChars?: number;
    }
  /** A piece of generated text. Stop strings are already held back and cut out. */
  | { type: 'text'; text: string }
  | { type: 'done'; stop: CompletionStop; stopSequence?: string; usage: CompletionUsage };

export interface SlotStatus {
  /** The cache the slot belongs to. */
  cache: string;
  /** Slot number within its cache. */
  id: number;
  busy: boolean;
  cachedTokens: number;
  /** Tokens the slot holds at most (its cache's context size). */
  contextSize: number;
  /** Order of last release within its cache (higher = more recent); 0 = never used. */
  lastUsed: number;
  /** Wall-clock time (epoch ms) the slot was last released; undefined = never used. */
  lastUsedAt?: number;
  /** The slot's checkpoints, on a model whose memory needs them (ModelInfo.memory). */
  checkpoints?: { count: number; bytes: number };
}

export interface Engine {
  readonly info: ModelInfo;
  /** Number of tokens the prompt text tokenizes to (special tokens parsed). */
  countTokens(text: string): number;
  /**
   * GBNF text (root rule `root`) for JSON matching a schema, as llama.cpp's grammar sampler
   * will enforce it. Unsupported keywords are ignored by the converter: check the schema first.
   */
  jsonSchemaGrammar(schema: Record<string, unknown>): Promise<string>;
  /**
   * Run one completion. Events stream as they happen. Throws ApiError for a prompt that does
   * not fit (`invalid_request`, code `context_length_exceeded`) or a full queue (`overloaded`).
   */
  complete(request: CompletionRequest): AsyncIterable<CompletionEvent>;
  /**
   * Throws the context-length error for a prompt that surely cannot fit the cache's slots,
   * cheaply and without blocking (a very long prompt is counted in pieces): the chat layer asks
   * before it builds a grammar for it. `complete` checks exactly in any case.
   */
  refuseIfSurelyTooLong?(prompt: string, cache: string | undefined, signal?: AbortSignal): Promise<void>;
  slots(): SlotStatus[];
  /** Requests waiting for a free slot: of one cache, or of all caches when none is named. */
  queueDepth(cache?: string): number;
  close(): Promise<void>;
}
