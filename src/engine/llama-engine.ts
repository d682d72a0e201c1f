// The real engine: one llama.cpp context (through node-llama-cpp) per cache, with one
// sequence per slot. Requests on different slots of a cache are evaluated in the same batches
// by node-llama-cpp's batch dispatcher, so concurrent requests run together, not one after
// another. Each cache has its own slot pool and queue: a busy cache never holds up another.
//
// This class wires the parts in llama/: loading (load.ts), one request's generation
// (generation.ts, its phases in phases.ts), hot-restart persistence (persistence.ts) and
// grammars (grammar.ts). Only these modules and batch-gathering.ts (which adjusts
// node-llama-cpp's batch loop through private members) call node-llama-cpp.

import type { Llama, LlamaModel, Token } from 'node-llama-cpp';
import { setImmediate } from 'node:timers/promises';
import { ApiError, ContextOverflowError } from '../errors.js';
import type { Logger } from '../log.js';
import { CacheSet } from './cache-set.js';
import { CacheStore } from './cache-store.js';
import { Generation } from './llama/generation.js';
import { createGrammar } from './llama/grammar.js';
import { loadModel, type LlamaCache, type LlamaSlot, type LoadOptions } from './llama/load.js';
import { NativeGarbage } from './llama/native-garbage.js';
import { SlotCachePersistence } from './llama/persistence.js';
import { checkpointStats } from './llama/sequence-memory.js';
import { supported as draftVerificationSupported } from './llama/verify-draft.js';
import { AdaptiveDraftLength } from './speculation/draft-length.js';
import { LookupDrafter } from './speculation/drafter.js';
import { DraftModelDrafter } from './llama/draft-model.js';
import type { SpeculationOptions } from './speculation/options.js';
import type { Speculation } from './llama/generation.js';
import type { CompletionEvent, CompletionRequest, Engine, ModelInfo, SlotStatus } from './types.js';

export interface LlamaEngineOptions extends LoadOptions {
  /**
   * Save the slots' KV caches here when the engine closes and restore them when it loads
   * (hot restarts); unset: caches live in memory only.
   */
  cacheDir?: string;
  /**
   * With `cacheDir`: also save once the engine has been idle this long (ms) after a request, so
   * a crash or kill -9 loses at most the last turns. 0 = only on close.
   */
  cacheSaveIdleMs?: number;
}

/** Prompts longer than this (characters) are counted in pieces before being tokenized whole. */
const COUNT_IN_PIECES_OVER = 512 * 1024;
/** ~120 ms of tokenizing per piece: /health and other requests get a turn between pieces. */
const PIECE_CHARS = 256 * 1024;
/** Tokens a cut between pieces can add to the count (a word split in two, a merge lost). */
const PIECE_CUT_MARGIN = 4;

export class LlamaEngine implements Engine {
  private constructor(
    readonly info: ModelInfo,
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly caches: CacheSet<LlamaSlot, LlamaCache>,
    private readonly logger: Logger,
    private readonly persistence: SlotCachePersistence | undefined,
    private readonly garbage: NativeGarbage,
    /** Caches whose slots decode speculatively, and how. */
    private readonly speculating: ReadonlyMap<string, SpeculationOptions>,
    private readonly draftModel: LlamaModel | undefined,
  ) {}

  static async load(options: LlamaEngineOptions): Promise<LlamaEngine> {
    const { llama, model, caches: loaded, info, draftModel } = await loadModel(options);
    const caches = new CacheSet<LlamaSlot, LlamaCache>(loaded, info.defaultCache);
    const persistence = options.cacheDir
      ? new SlotCachePersistence(new CacheStore(options.cacheDir, options.modelPath), caches, options.logger, options.cacheSaveIdleMs ?? 0)
      : undefined;
    await persistence?.restore();
    const speculating = speculatingCaches(model, loaded, options.speculation, options.logger);
    const speculation = options.speculation;
    if (speculation && speculation.type !== 'none' && speculating.size > 0) {
      info.speculation = {
        type: speculation.type,
        draftMax: speculation.max,
        draftMin: speculation.min,
        ...(speculation.draftModel !== undefined ? { draftModel: speculation.draftModel } : {}),
        caches: [...speculating.keys()],
      };
    }
    return new LlamaEngine(info, llama, model, caches, options.logger, persistence, NativeGarbage.forVocabulary(vocabularySize(model)), speculating, draftModel);
  }

  countTokens(text: string): number {
    return this.tokenize(text).length;
  }

  slots(): SlotStatus[] {
    return this.caches.slots(
      (slot) => slot.sequence.nextTokenIndex,
      (slot, cache) => (cache.rollback.kind === 'any' ? {} : { checkpoints: checkpointStats(slot.sequence) }),
    );
  }

  queueDepth(cache?: string): number {
    return this.caches.queueDepth(cache);
  }

  async *complete(request: CompletionRequest): AsyncGenerator<CompletionEvent> {
    const cache = this.caches.get(request.cache);
    await this.refuseIfSurelyTooLong(request.prompt, request.cache, request.signal);
    const prompt = this.tokenize(request.prompt);
    if (prompt.length === 0) throw new ApiError('invalid_request', 'The rendered prompt is empty.', { param: 'messages' });
    // At least one token must be generated after the prompt.
    if (prompt.length + 1 > cache.contextSize) throw new ContextOverflowError(prompt.length, cache.contextSize);
    checkLogitBias(request.sampling.logitBias, vocabularySize(this.model));

    const grammar = request.constraint === undefined ? undefined : await createGrammar(this.llama, request.constraint);
    // The slot keeps what its memory can really return to (prefix-reuse.ts), never the prompt's
    // last token: evaluating it gives the logits the generation starts from.
    const { slot, reusable: reused } = await cache.pool.acquire(prompt, request.signal, request.cacheScope);
    try {
      const reusedChars = request.measureReusedText ? this.reusedChars(request.prompt, prompt, reused) : undefined;
      yield { type: 'accepted', promptTokens: prompt.length, cachedTokens: reused, cache: cache.name, slot: slot.id, ...(reusedChars !== undefined ? { reusedChars } : {}) };
      const checkpointAt = cache.rollback.kind === 'any' ? [] : this.tokenCounts(request.prompt, prompt, request.reusePoints ?? []);
      slot.resumeAt = checkpointAt.length > 0 ? Math.max(...checkpointAt) : undefined;
      const speculation = this.speculationFor(cache, slot);
      yield* new Generation({
        model: this.model,
        cache,
        sequence: slot.sequence,
        prompt,
        request,
        grammar,
        logger: this.logger,
        checkpointAt,
        garbage: this.garbage,
        ...(speculation ? { speculation } : {}),
      }).run(reused);
    } finally {
      cache.pool.release(slot);
      this.persistence?.slotChanged(slot);
    }
  }

  /** A new drafter for one request on `slot` of `cache`, if its slots decode speculatively. */
  private speculationFor(cache: LlamaCache, slot: LlamaSlot): Speculation | undefined {
    const options = this.speculating.get(cache.name);
    if (!options) return undefined;
    const drafter = options.type === 'draft' && slot.draftSequence ? new DraftModelDrafter(slot.draftSequence, this.garbage) : new LookupDrafter();
    return { drafter, length: new AdaptiveDraftLength({ ...options, keepAfterRefutation: options.type === 'ngram' }), minDraft: options.min };
  }

  async jsonSchemaGrammar(schema: Record<string, unknown>): Promise<string> {
    return (await createGrammar(this.llama, { type: 'json_schema', schema })).grammar;
  }

  async close(): Promise<void> {
    await this.persistence?.close();
    for (const cache of this.caches.values()) {
      await cache.context.dispose();
      await cache.draftContext?.dispose();
    }
    await this.draftModel?.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }

  /**
   * Characters of `text` its first `count` tokens spell: the text less what the other tokens
   * detokenize to. From the tail, because the tail is usually short and carries no BOS token nor
   * the leading space some tokenizers add; a tail that does not end the text (a tokenizer that
   * does not round-trip) gives no answer rather than a wrong mark.
   */
  private reusedChars(text: string, tokens: readonly Token[], count: number): number | undefined {
    if (count === 0) return 0;
    if (count >= tokens.length) return text.length;
    const rest = this.model.detokenize(tokens.slice(count), true);
    return text.endsWith(rest) ? text.length - rest.length : undefined;
  }

  /**
   * Token counts of the prompt's first `offsets` characters: where the rest of the text
   * tokenizes to the end of the prompt's tokens (a boundary inside a token has no count and is
   * skipped). Tokenizing the rest, not the head: the points are near the end, and a 48 KB
   * Claude Code prompt takes ~16 ms to tokenize whole.
   */
  private tokenCounts(text: string, tokens: readonly Token[], offsets: readonly number[]): number[] {
    const counts: number[] = [];
    for (const offset of offsets) {
      if (offset <= 0 || offset >= text.length) continue;
      const rest = this.model.tokenize(text.slice(offset), true);
      const count = tokens.length - rest.length;
      if (count > 0 && rest.every((token, i) => token === tokens[count + i])) counts.push(count);
    }
    return counts;
  }

  /**
   * A long prompt is first counted in pieces, yielding to the event loop between them, and
   * refused as soon as it surely cannot fit: tokenizing is synchronous (~420 ms per MiB with the
   * qwen2 vocabulary), so a 30 MiB body held every client for 13 s before its context-length
   * error (issue 15). Pieces cut words apart, which changes the count by a few tokens at each
   * cut: the count is trusted only beyond that margin. A prompt that may fit is tokenized whole.
   */
  async refuseIfSurelyTooLong(text: string, cacheName: string | undefined, signal?: AbortSignal): Promise<void> {
    if (text.length <= COUNT_IN_PIECES_OVER) return;
    const { contextSize } = this.caches.get(cacheName);
    let tokens = 0;
    let pieces = 0;
    for (let at = 0; at < text.length; at += PIECE_CHARS) {
      tokens += this.model.tokenize(text.slice(at, at + PIECE_CHARS), true).length;
      pieces++;
      const atLeast = tokens - PIECE_CUT_MARGIN * pieces;
      if (atLeast + 1 > contextSize) throw new ContextOverflowError(atLeast, contextSize, { atLeast: true });
      await setImmediate();
      signal?.throwIfAborted();
    }
  }

  private tokenize(text: string): Token[] {
    const tokens = this.model.tokenize(text, true);
    // Templates usually write the BOS text themselves; add it only when the model wants one and the prompt lacks it.
    const bos = this.model.tokens.bos;
    if (this.model.tokens.shouldPrependBosToken && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
    return tokens;
  }
}

/**
 * The caches whose slots can decode speculatively: a draft is verified in the sequence and the
 * refuted part erased, which only a memory that rolls back to any token allows (a sliding window
 * or recurrent state would need a checkpoint per step). Logged either way.
 */
function speculatingCaches(model: LlamaModel, caches: readonly LlamaCache[], options: SpeculationOptions | undefined, logger: Logger): Map<string, SpeculationOptions> {
  const speculating = new Map<string, SpeculationOptions>();
  if (!options || options.type === 'none') return speculating;
  for (const cache of caches) {
    const sequence = cache.pool.slots[0]?.sequence;
    if (cache.rollback.kind !== 'any') {
      logger.warn(
        { cache: cache.name, rollback: cache.rollback.kind },
        'speculative decoding is off for this cache: its memory (sliding window or recurrent) cannot drop refuted draft tokens',
      );
    } else if (!sequence || !draftVerificationSupported(sequence, model)) {
      logger.warn({ cache: cache.name }, 'speculative decoding is off: this node-llama-cpp lacks the internals draft verification uses');
    } else {
      speculating.set(cache.name, options);
    }
  }
  if (speculating.size > 0)
    logger.info({ type: options.type, draftMax: options.max, draftMin: options.min, caches: [...speculating.keys()] }, `speculative decoding: ${options.type}`);
  return speculating;
}

/** Tokens in the model's vocabulary, from its GGUF metadata (node-llama-cpp has no accessor for it). */
function vocabularySize(model: LlamaModel): number {
  const tokens = (model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: unknown } } }).tokenizer?.ggml?.tokens;
  return Array.isArray(tokens) ? tokens.length : 0;
}

/** A logit bias must name tokens the model has: llama.cpp's logit-bias sampler indexes the logits by id unchecked. */
function checkLogitBias(bias: Readonly<Record<number, number>> | undefined, size: number): void {
  for (const token of Object.keys(bias ?? {}).map(Number)) {
    if (!Number.isSafeInteger(token) || token >= size) {
      throw new ApiError('invalid_request', `logit_bias: token ${token} is not in the model's vocabulary (${size} tokens)`, { param: 'logit_bias' });
    }
  }
}
