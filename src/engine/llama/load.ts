// Loading: llama.cpp (prebuilt), the model's weights, one context per cache with one sequence
// per slot, and what the rest of the server learns about the model (ModelInfo). Every context
// batches through BatchGathering, so the slots of a cache decode together.

import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel } from 'node-llama-cpp';
import { basename } from 'node:path';
import { FatalError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { BatchGathering, installedNodeLlamaCppVersion, MEASURED_NODE_LLAMA_CPP } from '../batch-gathering.js';
import type { SavedSlot } from '../cache-store.js';
import type { EngineCache } from '../cache-set.js';
import { defaultCacheOf, validateCaches } from '../caches.js';
import { ContextCreationError, messageOf } from '../errors.js';
import { planReuse, type Rollback } from '../prefix-reuse.js';
import { SlotPool, type PooledSlot } from '../slot-pool.js';
import type { CacheInfo, CacheSpec, ModelInfo, ModelMemory } from '../types.js';
import { contextTooLarge, estimateContextBytes } from './memory-budget.js';
import { rollbackOf, sequenceMemory } from './sequence-memory.js';
import { checkDraftVocabulary } from './draft-model.js';
import { describeVocabulary, logNative } from './vocabulary.js';
import type { SpeculationOptions } from '../speculation/options.js';

export interface LoadOptions {
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
  /** Called with 0..1 while the weights load. */
  onLoadProgress?: (fraction: number) => void;
  /**
   * Give sliding-window layers a cache of the whole context (llama.cpp's `--swa-full`): any
   * earlier token can then be returned to without checkpoints, at the cost of that memory.
   */
  swaFull?: boolean;
  /** Checkpoints per slot, for models whose memory cannot roll back (prefix-reuse.ts). */
  checkpoints?: CheckpointLimits;
  /** Speculative decoding (engine/speculation/); unset: none. */
  speculation?: SpeculationOptions;
}

export interface CheckpointLimits {
  /** Most checkpoints a slot keeps (llama.cpp's `--ctx-checkpoints`, default 32). */
  max: number;
  /** Most bytes a slot's checkpoints take; the oldest go first (one always stays). Unset: no limit. */
  maxBytes?: number;
}

export interface LlamaSlot extends PooledSlot {
  sequence: LlamaContextSequence;
  /** With a draft model: the slot's sequence in the draft model's context. */
  draftSequence?: LlamaContextSequence;
  /** What is on disk for this slot, while its cache has not changed since (hot restarts). */
  saved?: SavedSlot;
  /**
   * Tokens of the last prompt before the point where the next prompt will likely diverge (its
   * generation prompt's start): where a hot-restart save first takes a slot whose memory cannot
   * roll back, since checkpoints are not saved.
   */
  resumeAt?: number;
}

export interface LlamaCache extends EngineCache<LlamaSlot> {
  context: LlamaContext;
  /** How its sequences roll back to an earlier token: freely, within a window, or by checkpoints only. */
  rollback: Rollback;
  /** Fills node-llama-cpp's batches with every generating slot; undefined if its internals changed. */
  gathering: BatchGathering | undefined;
  /** With a draft model: its context for this cache's slots (one sequence each). */
  draftContext?: LlamaContext;
}

export interface LoadedModel {
  llama: Llama;
  model: LlamaModel;
  /** In the order of `options.caches`. */
  caches: LlamaCache[];
  info: ModelInfo;
  /** The draft model (`speculation.type` draft). */
  draftModel?: LlamaModel;
}

export async function loadModel(options: LoadOptions): Promise<LoadedModel> {
  validateCaches(options.caches);
  const { llama, model, threads } = await loadWeights(options);
  const draftModel = await loadDraftModel(llama, model, options);
  const caches: LlamaCache[] = [];
  /** Each cache context's draft context (draft speculation). */
  const cacheContexts = new Map<LlamaContext, LlamaContext>();
  for (const spec of options.caches) {
    const gathering = new BatchGathering();
    const batchSize = Math.min(options.batchSize ?? 512, options.ubatchSize ?? Number.POSITIVE_INFINITY);
    let context: LlamaContext;
    try {
      if (spec.contextSize > 0) {
        const needed = estimateContextBytes(model, {
          contextSize: spec.contextSize,
          sequences: spec.slots,
          batchSize,
          ...(options.flashAttention !== undefined ? { flashAttention: options.flashAttention } : {}),
          ...(options.swaFull !== undefined ? { swaFullCache: options.swaFull } : {}),
        });
        const tooLarge = contextTooLarge(needed, (await llama.getVramState()).total);
        if (tooLarge) throw new Error(tooLarge);
      }
      context = await model.createContext({
        sequences: spec.slots,
        contextSize: spec.contextSize > 0 ? spec.contextSize : { max: model.trainContextSize },
        batchSize,
        threads: { ideal: threads, min: threads },
        batching: gathering.batchingOptions(),
        ...(options.swaFull !== undefined ? { swaFullCache: options.swaFull } : {}),
        ...(options.flashAttention !== undefined ? { flashAttention: options.flashAttention } : {}),
      });
      if (draftModel) {
        const draftContext = await draftModel
          .createContext({ sequences: spec.slots, contextSize: context.contextSize, batchSize, threads: { ideal: threads, min: threads } })
          .catch(async (error: unknown) => {
            await context.dispose().catch(() => undefined);
            throw new Error(`the draft model's context: ${messageOf(error)}`, { cause: error });
          });
        cacheContexts.set(context, draftContext);
      }
    } catch (error) {
      for (const cache of caches) await cache.context.dispose().catch(() => undefined);
      for (const draftContext of cacheContexts.values()) await draftContext.dispose().catch(() => undefined);
      await draftModel?.dispose().catch(() => undefined);
      await model.dispose().catch(() => undefined);
      await llama.dispose().catch(() => undefined);
      throw new ContextCreationError(
        { cache: spec.name, contextSize: spec.contextSize, slots: spec.slots, holding: caches.map((cache) => cache.name), reason: messageOf(error) },
        error,
      );
    }
    caches.push(cacheOn(context, spec, gathering, options.logger, rollbackOf(model, context), options.checkpoints, cacheContexts.get(context)));
    options.logger.info(
      { cache: spec.name, slots: spec.slots, slotContextSize: context.contextSize, batchSize: context.batchSize, threads: context.currentThreads, gpu: llama.gpu || 'none' },
      'context ready',
    );
  }
  const memory = describeMemory(model, caches[0]!.rollback, options.checkpoints);
  const info: ModelInfo = {
    ...describeModel(model, options.modelPath, options.caches, caches),
    memory,
    threads: caches[0]!.context.currentThreads,
    gpu: llama.gpu || 'none',
  };
  options.logger.info({ architecture: info.architecture, ...memory }, memorySummary(info.architecture, memory));
  return { llama, model, caches, info, ...(draftModel ? { draftModel } : {}) };
}

/** The draft model for `--spec-type draft`, checked against the model's vocabulary; undefined for other types. */
async function loadDraftModel(llama: Llama, model: LlamaModel, options: LoadOptions): Promise<LlamaModel | undefined> {
  const path = options.speculation?.type === 'draft' ? options.speculation.draftModel : undefined;
  if (path === undefined) return undefined;
  let draft: LlamaModel;
  try {
    draft = await llama.loadModel({ modelPath: path, gpuLayers: options.gpuLayers ?? 'auto', ...(options.useMmap !== undefined ? { useMmap: options.useMmap } : {}) });
  } catch (error) {
    await model.dispose().catch(() => undefined);
    await llama.dispose().catch(() => undefined);
    throw new FatalError(`Could not load the draft model ${path}: ${messageOf(error)}`, { cause: error });
  }
  try {
    checkDraftVocabulary(model, draft, path);
  } catch (error) {
    await draft.dispose().catch(() => undefined);
    await model.dispose().catch(() => undefined);
    await llama.dispose().catch(() => undefined);
    throw error;
  }
  options.logger.info({ draftModel: path }, `draft model ${basename(path)} loaded`);
  return draft;
}

async function loadWeights(options: LoadOptions): Promise<{ llama: Llama; model: LlamaModel; threads: number }> {
  const { logger } = options;
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

  try {
    const model = await llama.loadModel({
      modelPath: options.modelPath,
      gpuLayers: options.gpuLayers ?? 'auto',
      ...(options.useMmap !== undefined ? { useMmap: options.useMmap } : {}),
      ...(options.onLoadProgress ? { onLoadProgress: options.onLoadProgress } : {}),
    });
    return { llama, model, threads };
  } catch (error) {
    await llama.dispose().catch(() => undefined);
    const reason = lastNativeError.replace(/^llama_model_load: error loading model: /, '') || messageOf(error);
    throw new FatalError(`Could not load model ${options.modelPath}: ${reason}`, { cause: error });
  }
}

/** llama.cpp's server default (`--ctx-checkpoints`). */
export const DEFAULT_CHECKPOINTS = 32;

/** The cache on a new context: a slot per sequence, its pool, and BatchGathering when it fits. */
function cacheOn(
  context: LlamaContext,
  spec: CacheSpec,
  gathering: BatchGathering,
  logger: Logger,
  rollback: Rollback,
  limits: CheckpointLimits | undefined,
  draftContext: LlamaContext | undefined,
): LlamaCache {
  const slots: LlamaSlot[] = [];
  for (let id = 0; id < spec.slots; id++) {
    const sequence = context.getSequence({ checkpoints: { max: limits?.max ?? DEFAULT_CHECKPOINTS, maxMemory: limits?.maxBytes ?? null } });
    slots.push({
      id,
      busy: false,
      lastUsed: 0,
      sequence,
      ...(draftContext ? { draftSequence: draftContext.getSequence() } : {}),
      cachedTokens: () => sequence.contextTokens,
      reusablePrefix: (prompt) => planReuse(sequenceMemory(sequence, rollback), prompt).keep,
    });
  }
  const installed = gathering.install(
    context,
    slots.map((slot) => slot.sequence),
  );
  if (!installed && spec.slots > 1) warnBatchGatheringOff(logger, spec.name);
  return {
    name: spec.name,
    context,
    rollback,
    contextSize: context.contextSize,
    pool: new SlotPool(slots, spec.queueSize, spec.name),
    gathering: installed ? gathering : undefined,
    ...(draftContext ? { draftContext } : {}),
  };
}

function describeModel(model: LlamaModel, modelPath: string, specs: readonly CacheSpec[], caches: readonly LlamaCache[]): ModelInfo {
  const defaultName = defaultCacheOf(specs).name;
  const defaultCache = caches.find((cache) => cache.name === defaultName)!;
  const cacheInfo: CacheInfo[] = specs.map((spec, index) => ({ name: spec.name, slots: spec.slots, contextSize: caches[index]!.contextSize, queueSize: spec.queueSize }));

  return {
    ...describeVocabulary(model, modelPath),
    slotContextSize: defaultCache.contextSize,
    trainContextSize: model.trainContextSize,
    slots: cacheInfo.reduce((sum, cache) => sum + cache.slots, 0),
    caches: cacheInfo,
    defaultCache: defaultName,
  };
}

function describeMemory(model: LlamaModel, rollback: Rollback, limits: CheckpointLimits | undefined): ModelMemory {
  const insights = model.fileInsights;
  const recurrent = insights.isRecurrent || insights.isHybrid;
  const memory: ModelMemory = {
    ...(insights.swaSize !== undefined ? { slidingWindow: insights.swaSize } : {}),
    recurrent,
    rollback: rollback.kind === 'none' ? 'checkpoints' : rollback.kind,
    cacheStrategy: rollback.kind === 'any' ? 'full-cache' : 'checkpoints',
  };
  if (rollback.kind === 'any') return memory;
  return { ...memory, maxCheckpoints: limits?.max ?? DEFAULT_CHECKPOINTS, ...(limits?.maxBytes !== undefined ? { checkpointMemoryBytes: limits.maxBytes } : {}) };
}

/** One line for the startup log: what the layers are, and how the prompt cache copes with them. */
export function memorySummary(architecture: string | undefined, memory: ModelMemory): string {
  const layers = [...(memory.slidingWindow !== undefined ? [`sliding-window attention (window ${memory.slidingWindow})`] : []), ...(memory.recurrent ? ['recurrent layers'] : [])];
  const what = `${architecture ?? 'model'}: ${layers.length ? layers.join(' and ') : 'attention layers only'}`;
  if (memory.cacheStrategy === 'full-cache') {
    return `${what}; prompt cache: every token cached${memory.slidingWindow !== undefined ? ' (--swa-full)' : ''}, any earlier point reusable`;
  }
  const bound = memory.checkpointMemoryBytes !== undefined ? `, at most ${Math.round(memory.checkpointMemoryBytes / 2 ** 20)} MiB` : '';
  return `${what}; prompt cache: checkpoints (up to ${memory.maxCheckpoints} per slot${bound}) where a later prompt may diverge`;
}

/** Which node-llama-cpp was found, and which one BatchGathering was measured on. */
function warnBatchGatheringOff(logger: Logger, cache: string): void {
  const found = installedNodeLlamaCppVersion();
  const why = found === MEASURED_NODE_LLAMA_CPP ? 'its internals changed' : `BatchGathering was measured on ${MEASURED_NODE_LLAMA_CPP}`;
  logger.warn(
    { cache, nodeLlamaCpp: found, measured: MEASURED_NODE_LLAMA_CPP },
    `node-llama-cpp ${found} is installed and ${why}: concurrent requests decode in partial batches (slower)`,
  );
}
