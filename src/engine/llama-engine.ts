// The real engine: one llama.cpp context (through node-llama-cpp) per cache, with one
// sequence per slot. Requests on different slots of a cache are evaluated in the same batches
// by node-llama-cpp's batch dispatcher, so concurrent requests run together, not one after
// another. Each cache has its own slot pool and queue: a busy cache never holds up another.
//
// This is the only module that calls node-llama-cpp (batch-gathering.ts adjusts its batch
// loop through private members).

import {
  getLlama,
  LlamaGrammar,
  LlamaGrammarEvaluationState,
  LlamaLogLevel,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import { basename } from 'node:path';
import { ApiError, ContextOverflowError, FatalError } from '../errors.js';
import { ContextCreationError } from './errors.js';
import type { Logger } from '../log.js';
import { defaultCacheOf, validateCaches } from './caches.js';
import { lastTokens, resolveSampling } from './sampling.js';
import { SlotPool, type PooledSlot } from './slot-pool.js';
import { CacheSet } from './cache-set.js';
import { CacheStore, type SavedSlot } from './cache-store.js';
import { GeneratedOutput } from './generated-output.js';
import { BatchGathering, installedNodeLlamaCppVersion, MEASURED_NODE_LLAMA_CPP } from './batch-gathering.js';
import type { CacheInfo, CacheSpec, CompletionEvent, CompletionRequest, Engine, ModelInfo, OutputConstraint, SlotStatus } from './types.js';

export interface LlamaEngineOptions {
  modelPath: string;
  /** Logical batch size: most prompt tokens submitted per decode call. */
  batchSize?: number;
  /** Physical batch size. node-llama-cpp decodes with n_ubatch = n_batch, so the smaller of the two is used for both. */
  ubatchSize?: number;
  threads?: number;
  flashAttention?: boolean;
  /** Layers to offload to the GPU: a count, 'max', or 'auto' (all that fit). */
  gpuLayers?: number | 'auto' | 'max';
  useMmap?: boolean;
  /** The KV caches: each its own context, slots and queue (one, for a server without routing). */
  caches: CacheSpec[];
  logger: Logger;
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
  /** Called with 0..1 while the weights load. */
  onLoadProgress?: (fraction: number) => void;
}

interface Slot extends PooledSlot {
  sequence: LlamaContextSequence;
  /** What is on disk for this slot, while its cache has not changed since (hot restarts). */
  saved?: SavedSlot;
}

interface Cache {
  name: string;
  context: LlamaContext;
  /** Tokens per slot. */
  contextSize: number;
  pool: SlotPool<Slot>;
  /** Fills node-llama-cpp's batches with every generating slot; undefined if its internals changed. */
  gathering: BatchGathering | undefined;
}

export class LlamaEngine implements Engine {
  private readonly caches: CacheSet<Slot, Cache>;

  private constructor(
    readonly info: ModelInfo,
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    caches: Cache[],
    private readonly logger: Logger,
    private readonly store: CacheStore | undefined,
    private readonly saveIdleMs: number,
  ) {
    this.caches = new CacheSet(caches, info.defaultCache);
  }

  private idleSaveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;

  static async load(options: LlamaEngineOptions): Promise<LlamaEngine> {
    const { logger } = options;
    const specs = options.caches;
    validateCaches(specs);
    // llama.cpp explains load failures only in its log; keep the last error line for our message.
    let lastNativeError = '';
    const llama = await getLlama({
      // Prebuilt binaries only: building llama.cpp at startup would take many minutes unannounced.
      build: 'never',
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        if (level === LlamaLogLevel.error && !/failed to load model$/.test(message.trim())) lastNativeError = message.trim();
        logNative(logger, level, message);
      },
    });
    // node-llama-cpp's default thread budget is twice the math cores; threads beyond the cores
    // spin against each other and slow decoding down, so default to the cores (llama-server does).
    const threads = options.threads ?? llama.cpuMathCores;
    llama.maxThreads = threads;

    let model: LlamaModel;
    try {
      model = await llama.loadModel({
        modelPath: options.modelPath,
        gpuLayers: options.gpuLayers ?? 'auto',
        ...(options.useMmap !== undefined ? { useMmap: options.useMmap } : {}),
        ...(options.onLoadProgress ? { onLoadProgress: options.onLoadProgress } : {}),
      });
    } catch (error) {
      await llama.dispose().catch(() => undefined);
      const reason = lastNativeError.replace(/^llama_model_load: error loading model: /, '') || messageOf(error);
      throw new FatalError(`Could not load model ${options.modelPath}: ${reason}`, { cause: error });
    }

    const batchSize = Math.min(options.batchSize ?? 512, options.ubatchSize ?? Number.POSITIVE_INFINITY);
    const caches: Cache[] = [];
    for (const spec of specs) {
      let context: LlamaContext;
      const gathering = new BatchGathering();
      try {
        context = await model.createContext({
          sequences: spec.slots,
          contextSize: spec.contextSize > 0 ? spec.contextSize : { max: model.trainContextSize },
          batchSize,
          threads: { ideal: threads, min: threads },
          batching: gathering.batchingOptions(),
          ...(options.flashAttention !== undefined ? { flashAttention: options.flashAttention } : {}),
        });
      } catch (error) {
        for (const cache of caches) await cache.context.dispose().catch(() => undefined);
        await model.dispose().catch(() => undefined);
        await llama.dispose().catch(() => undefined);
        throw new ContextCreationError({ cache: spec.name, contextSize: spec.contextSize, slots: spec.slots, holding: caches.map((cache) => cache.name), reason: messageOf(error) }, error);
      }
      const slots: Slot[] = [];
      for (let id = 0; id < spec.slots; id++) {
        const sequence = context.getSequence();
        slots.push({ id, busy: false, lastUsed: 0, sequence, cachedTokens: () => sequence.contextTokens });
      }
      const installed = gathering.install(context, slots.map((slot) => slot.sequence));
      if (!installed && spec.slots > 1) warnBatchGatheringOff(logger, spec.name);
      caches.push({ name: spec.name, context, contextSize: context.contextSize, pool: new SlotPool(slots, spec.queueSize, spec.name), gathering: installed ? gathering : undefined });
      logger.info(
        { cache: spec.name, slots: spec.slots, slotContextSize: context.contextSize, batchSize: context.batchSize, threads: context.currentThreads, gpu: llama.gpu || 'none' },
        'context ready',
      );
    }
    const defaultName = defaultCacheOf(specs).name;
    const defaultCache = caches.find((cache) => cache.name === defaultName)!;
    const cacheInfo: CacheInfo[] = specs.map((spec, index) => ({ name: spec.name, slots: spec.slots, contextSize: caches[index]!.contextSize, queueSize: spec.queueSize }));

    const tokens = model.tokens;
    const eogTokens = [tokens.eos, tokens.eot]
      .filter((token): token is Token => token !== null)
      .map((token) => model.detokenize([token], true));
    const metadata = model.fileInfo.metadata as Record<string, any>;
    const chatTemplate: unknown = metadata?.tokenizer?.chat_template;
    const info: ModelInfo = {
      name: basename(options.modelPath).replace(/\.gguf$/i, ''),
      path: options.modelPath,
      slotContextSize: defaultCache.contextSize,
      trainContextSize: model.trainContextSize,
      slots: cacheInfo.reduce((sum, cache) => sum + cache.slots, 0),
      caches: cacheInfo,
      defaultCache: defaultName,
      eogTokens: [...new Set(eogTokens)],
      ...(typeof chatTemplate === 'string' ? { chatTemplate } : {}),
      ...(tokens.bosString ? { bosToken: tokens.bosString } : {}),
      ...(tokens.eosString ? { eosToken: tokens.eosString } : {}),
      ...(typeof metadata?.general?.architecture === 'string' ? { architecture: metadata.general.architecture } : {}),
    };
    const store = options.cacheDir ? new CacheStore(options.cacheDir, options.modelPath) : undefined;
    const engine = new LlamaEngine(info, llama, model, caches, logger, store, options.cacheSaveIdleMs ?? 0);
    if (store) await engine.restoreCaches(store);
    return engine;
  }

  /** Load the slot caches saved by the last run on this model file (hot restart). */
  private async restoreCaches(store: CacheStore): Promise<void> {
    const started = performance.now();
    let restored = 0;
    let tokens = 0;
    for (const saved of store.saved().sort((a, b) => a.lastUsedAt - b.lastUsedAt)) {
      const cache = [...this.caches.values()].find((each) => each.name === saved.cache);
      const slot = cache?.pool.slots[saved.slot];
      // A cache renamed, shrunk or resized since: its saved slots do not fit.
      if (!cache || !slot || cache.contextSize !== saved.contextSize) continue;
      try {
        await slot.sequence.loadStateFromFile(store.stateFile(saved.cache, saved.slot).path, { acceptRisk: true });
        cache.pool.touch(slot, saved.lastUsedAt);
        slot.saved = saved;
        restored++;
        tokens += slot.sequence.nextTokenIndex;
      } catch (error) {
        this.logger.warn({ cache: saved.cache, slot: saved.slot, err: messageOf(error) }, 'a saved slot cache could not be loaded; it is discarded');
        await slot.sequence.clearHistory().catch(() => undefined);
        store.discard(saved.file);
      }
    }
    if (restored > 0) this.logger.info({ slots: restored, tokens, ms: Math.round(performance.now() - started), from: store.folder }, 'restored slot caches from the last run');
  }

  /**
   * Write the slots' caches to disk: the ones that changed since they were last written (the
   * others keep their file). Runs on close, and when idle with `cacheSaveIdleMs`.
   */
  private async saveCaches(store: CacheStore, why: 'close' | 'idle'): Promise<void> {
    const started = performance.now();
    store.prepare();
    const saved: SavedSlot[] = [];
    let written = 0;
    let bytes = 0;
    for (const cache of this.caches.values()) {
      for (const slot of cache.pool.slots) {
        const tokens = slot.sequence.nextTokenIndex;
        if (tokens === 0) continue;
        if (slot.saved) {
          saved.push({ ...slot.saved, lastUsedAt: slot.lastUsedAt ?? slot.saved.lastUsedAt });
          continue;
        }
        const { path, temporary, file } = store.stateFile(cache.name, slot.id);
        try {
          bytes += (await slot.sequence.saveStateToFile(temporary)).fileSize;
          store.finishWrite(temporary, path);
          slot.saved = { cache: cache.name, slot: slot.id, contextSize: cache.contextSize, tokens, file, lastUsedAt: slot.lastUsedAt ?? 0 };
          saved.push(slot.saved);
          written++;
        } catch (error) {
          this.logger.warn({ cache: cache.name, slot: slot.id, err: messageOf(error) }, 'could not save a slot cache');
        }
      }
    }
    store.commit(saved);
    if (written > 0 || why === 'close') {
      this.logger.info(
        { why, written, slots: saved.length, tokens: saved.reduce((sum, slot) => sum + slot.tokens, 0), megabytes: Math.round(bytes / 1e6), ms: Math.round(performance.now() - started), to: store.folder },
        'saved slot caches for the next start',
      );
    }
  }

  /** After a request: its slot changed; save once everything has been quiet for a while. */
  private slotChanged(slot: Slot): void {
    slot.saved = undefined;
    if (!this.store || this.saveIdleMs <= 0) return;
    clearTimeout(this.idleSaveTimer);
    this.idleSaveTimer = setTimeout(() => {
      const busy = [...this.caches.values()].some((cache) => cache.pool.slots.some((each) => each.busy)) || this.caches.queueDepth() > 0;
      if (busy || this.saving) return; // the next release schedules another try
      this.saving = this.saveCaches(this.store!, 'idle')
        .catch((error: unknown) => this.logger.warn({ err: messageOf(error) }, 'could not save the slot caches'))
        .finally(() => (this.saving = undefined));
    }, this.saveIdleMs);
    this.idleSaveTimer.unref();
  }

  /** Run a node-llama-cpp call that takes the context lock, letting a running batch loop hand it over. */
  private underContextLock<T>(cache: Cache, operation: () => Promise<T>): Promise<T> {
    return cache.gathering ? cache.gathering.withContextLock(operation) : operation();
  }

  countTokens(text: string): number {
    return this.tokenize(text).length;
  }

  slots(): SlotStatus[] {
    return this.caches.slots((slot) => slot.sequence.nextTokenIndex);
  }

  queueDepth(cache?: string): number {
    return this.caches.queueDepth(cache);
  }

  async *complete(request: CompletionRequest): AsyncGenerator<CompletionEvent> {
    const { signal } = request;
    const cache = this.caches.get(request.cache);
    const prompt = this.tokenize(request.prompt);
    if (prompt.length === 0) throw new ApiError('invalid_request', 'The rendered prompt is empty.', { param: 'messages' });
    const contextSize = cache.contextSize;
    // At least one token must be generated after the prompt.
    if (prompt.length + 1 > contextSize) throw new ContextOverflowError(prompt.length, contextSize);

    const grammar = request.constraint === undefined ? undefined : await this.createGrammar(request.constraint);
    const { slot, commonPrefix } = await cache.pool.acquire(prompt, signal);
    try {
      // The last prompt token is always evaluated again: its logits start the generation.
      const reused = Math.min(commonPrefix, prompt.length - 1);
      yield { type: 'accepted', promptTokens: prompt.length, cachedTokens: reused, cache: cache.name, slot: slot.id };
      yield* this.generate(cache, slot.sequence, prompt, reused, request, grammar);
    } finally {
      cache.pool.release(slot);
      this.slotChanged(slot);
    }
  }

  private async *generate(
    cache: Cache,
    sequence: LlamaContextSequence,
    prompt: Token[],
    reused: number,
    request: CompletionRequest,
    grammar: LlamaGrammar | undefined,
  ): AsyncGenerator<CompletionEvent> {
    const { signal } = request;
    const started = performance.now();
    // Keep the shared prefix, drop the rest of what the slot held.
    await this.underContextLock(cache, () => sequence.adaptStateToTokens(prompt.slice(0, reused), false));
    const cachedTokens = sequence.nextTokenIndex;

    const room = cache.contextSize - prompt.length;
    const maxTokens = Math.min(request.maxTokens ?? room, room);
    const sampling = resolveSampling(request.sampling);
    const detokenize = (tokens: readonly number[], last: readonly number[]) => this.model.detokenize(tokens as Token[], true, last as Token[]);
    const output = new GeneratedOutput<Token>(request, detokenize);
    const lazy = request.constraint?.type === 'lazy_gbnf' ? request.constraint : undefined;
    const newGrammarState = () => new LlamaGrammarEvaluationState({ model: this.model, grammar: grammar! });
    let grammarState = grammar && !lazy ? newGrammarState() : undefined;
    let stop: 'end' | 'max_tokens' | 'stop_sequence' = 'end';
    let stopSequence: string | undefined;
    let firstTokenAt: number | undefined;
    // While evaluating, this slot counts for the batches of its context (batch-gathering.ts).
    const track = (): (() => void) => cache.gathering?.track(sequence) ?? (() => undefined);
    let untrack = track();
    try {
      // Prefill in batch-sized chunks so an abort is noticed between chunks, not after the whole prompt.
      const chunk = cache.context.batchSize;
      let next = cachedTokens;
      while (prompt.length - 1 - next > 0) {
        signal?.throwIfAborted();
        const end = Math.min(prompt.length - 1, next + chunk);
        await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(next, end));
        next = end;
      }
      signal?.throwIfAborted();

      // Generation runs in phases: free text, then (after a trigger) under the grammar, or with
      // the end of thinking written in for the model. Each phase starts from `input`.
      let input = prompt.slice(next);
      if (output.thinkingBudgetSpent()) input = [...input, ...(yield* this.closeThinking(output))];
      while (maxTokens > 0) {
        let turn: { type: 'trigger'; at: number } | { type: 'close-thinking' } | undefined;
        const iterator = sequence.evaluate(input, {
          temperature: sampling.temperature,
          topK: sampling.topK,
          topP: sampling.topP,
          minP: sampling.minP,
          ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
          ...(grammarState ? { grammarEvaluationState: grammarState } : {}),
          ...(sampling.penalty
            ? {
                repeatPenalty: {
                  punishTokens: () => lastTokens(prompt, output.tokens, sampling.penalty!.lastN),
                  maxPunishTokens: sampling.penalty.lastN,
                  penalty: sampling.penalty.repeat,
                  presencePenalty: sampling.penalty.presence,
                  frequencyPenalty: sampling.penalty.frequency,
                },
              }
            : {}),
        });
        for await (const token of iterator) {
          firstTokenAt ??= performance.now();
          const step = output.push(token);
          if (step.emit) yield { type: 'text', text: step.emit };
          if (step.triggerAt !== undefined) {
            turn = { type: 'trigger', at: step.triggerAt };
            break;
          }
          if (step.stopSequence !== undefined) {
            stop = 'stop_sequence';
            stopSequence = step.stopSequence;
            break;
          }
          if (output.tokens.length >= maxTokens) {
            stop = 'max_tokens';
            break;
          }
          if (output.thinkingBudgetSpent()) {
            turn = { type: 'close-thinking' };
            break;
          }
          if (signal?.aborted) break;
        }
        signal?.throwIfAborted();
        if (!turn) break;
        // The last token sampled has not been evaluated yet; it leads the next phase's input.
        const last = output.tokens.at(-1)!;
        if (turn.type === 'close-thinking') {
          input = [last, ...(yield* this.closeThinking(output))];
          continue;
        }
        // Rewind to the token where the trigger starts and let the grammar write it again, so the
        // grammar sees the whole tool call. Text before the trigger in that token is kept.
        const kept = output.rewindTo(turn.at, (text) => this.model.tokenize(text, true));
        const all = [...prompt, ...kept.tokens];
        untrack();
        await this.underContextLock(cache, () => sequence.adaptStateToTokens(all.slice(0, -1), false));
        untrack = track();
        input = [all.at(-1)!, ...kept.prefix];
        grammarState = newGrammarState();
      }
    } finally {
      untrack();
    }
    if (maxTokens <= 0) stop = 'max_tokens';
    if (stop !== 'stop_sequence') {
      const rest = output.flush();
      if (rest) yield { type: 'text', text: rest };
    }

    const finished = performance.now();
    const generated = output.tokens.length;
    this.logger.debug(
      {
        requestId: request.id,
        cache: cache.name,
        promptTokens: prompt.length,
        cachedTokens,
        generated,
        prefillMs: Math.round((firstTokenAt ?? finished) - started),
        decodeTokPerSec: firstTokenAt && generated > 1 ? ((generated - 1) * 1000) / (finished - firstTokenAt) : undefined,
      },
      'completion finished',
    );
    yield {
      type: 'done',
      stop,
      ...(stopSequence !== undefined ? { stopSequence } : {}),
      usage: { promptTokens: prompt.length, cachedTokens, completionTokens: generated },
    };
  }

  /** Writes the end of thinking for the model; returns the tokens to evaluate. */
  private *closeThinking(output: GeneratedOutput<Token>): Generator<CompletionEvent, Token[]> {
    const text = output.closeThinkingText();
    const tokens = this.model.tokenize(text, true);
    const emit = output.append(tokens, text);
    if (emit) yield { type: 'text', text: emit };
    return tokens;
  }

  private tokenize(text: string): Token[] {
    const tokens = this.model.tokenize(text, true);
    // Templates usually write the BOS text themselves; add it only when the model wants one and the prompt lacks it.
    const bos = this.model.tokens.bos;
    if (this.model.tokens.shouldPrependBosToken && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
    return tokens;
  }

  async jsonSchemaGrammar(schema: Record<string, unknown>): Promise<string> {
    return (await this.createGrammar({ type: 'json_schema', schema })).grammar;
  }

  private async createGrammar(constraint: OutputConstraint): Promise<LlamaGrammar> {
    try {
      switch (constraint.type) {
        case 'json':
          return await this.llama.getGrammarFor('json');
        case 'json_schema':
          return await this.llama.createGrammarForJsonSchema(constraint.schema as Parameters<Llama['createGrammarForJsonSchema']>[0]);
        case 'gbnf':
        case 'lazy_gbnf':
          return await this.llama.createGrammar({ grammar: constraint.grammar });
      }
    } catch (error) {
      const gbnf = constraint.type === 'gbnf' || constraint.type === 'lazy_gbnf';
      throw new ApiError('invalid_request', `Unsupported or invalid ${gbnf ? 'grammar' : 'JSON schema'}: ${messageOf(error)}`, { param: gbnf ? 'grammar' : 'response_format', cause: error });
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.idleSaveTimer);
    await this.saving;
    if (this.store) {
      // A failed save must not keep the server from stopping: the caches are only an optimisation.
      await this.saveCaches(this.store, 'close').catch((error: unknown) => this.logger.warn({ err: messageOf(error) }, 'could not save the slot caches'));
    }
    for (const cache of this.caches.values()) await cache.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}

/** Which node-llama-cpp was found, and which one BatchGathering was measured on. */
function warnBatchGatheringOff(logger: Logger, cache: string): void {
  const found = installedNodeLlamaCppVersion();
  const why = found === MEASURED_NODE_LLAMA_CPP ? 'its internals changed' : `BatchGathering was measured on ${MEASURED_NODE_LLAMA_CPP}`;
  logger.warn({ cache, nodeLlamaCpp: found, measured: MEASURED_NODE_LLAMA_CPP }, `node-llama-cpp ${found} is installed and ${why}: concurrent requests decode in partial batches (slower)`);
}

function logNative(logger: Logger, level: LlamaLogLevel, message: string): void {
  const text = message.trimEnd();
  if (!text) return;
  if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) logger.error({ source: 'llama.cpp' }, text);
  else if (level === LlamaLogLevel.warn) logger.warn({ source: 'llama.cpp' }, text);
  else logger.debug({ source: 'llama.cpp' }, text);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
