// Several engines behind one: each cache is served by the engine that holds it — the in-process
// llama.cpp engine for local caches, a remote engine for each cache a config file sends to a
// llama.cpp server, vLLM or SGLang. Routing rules pick a cache as always; this only forwards to
// its engine. The engines share the GGUF's vocabulary and template, so counting tokens and
// building grammars go to the first.

import { ApiError } from '../errors.js';
import type { CompletionEvent, CompletionRequest, Engine, ModelInfo, SlotStatus } from './types.js';

export class CompositeEngine implements Engine {
  readonly info: ModelInfo;
  private readonly byCache = new Map<string, Engine>();

  /** `order`: cache names as configured; `defaultCache`: the configured default. */
  constructor(
    private readonly engines: readonly Engine[],
    order: readonly string[],
    defaultCache: string,
  ) {
    for (const engine of engines) for (const cache of engine.info.caches) this.byCache.set(cache.name, engine);
    const caches = order.map((name) => {
      const engine = this.byCache.get(name);
      if (!engine) throw new Error(`no engine serves cache "${name}"`);
      return engine.info.caches.find((cache) => cache.name === name)!;
    });
    // The in-process engine knows the model best (architecture, memory); a remote one only its vocabulary.
    const base = engines.find((engine) => engine.info.remote === undefined) ?? engines[0]!;
    const { remote: _remote, ...info } = base.info;
    this.info = {
      ...info,
      caches,
      defaultCache,
      slots: caches.reduce((sum, cache) => sum + cache.slots, 0),
      slotContextSize: caches.find((cache) => cache.name === defaultCache)!.contextSize,
    };
  }

  countTokens(text: string): number {
    return this.engines[0]!.countTokens(text);
  }

  jsonSchemaGrammar(schema: Record<string, unknown>): Promise<string> {
    return this.engines[0]!.jsonSchemaGrammar(schema);
  }

  complete(request: CompletionRequest): AsyncIterable<CompletionEvent> {
    const cache = request.cache ?? this.info.defaultCache;
    return this.engineOf(cache).complete({ ...request, cache });
  }

  async refuseIfSurelyTooLong(prompt: string, cache: string | undefined, signal?: AbortSignal): Promise<void> {
    const name = cache ?? this.info.defaultCache;
    await this.engineOf(name).refuseIfSurelyTooLong?.(prompt, name, signal);
  }

  slots(): SlotStatus[] {
    const all = this.engines.flatMap((engine) => engine.slots());
    return this.info.caches.flatMap((cache) => all.filter((slot) => slot.cache === cache.name));
  }

  queueDepth(cache?: string): number {
    if (cache !== undefined) return this.engineOf(cache).queueDepth(cache);
    return this.engines.reduce((sum, engine) => sum + engine.queueDepth(), 0);
  }

  async close(): Promise<void> {
    for (const engine of this.engines) await engine.close();
  }

  private engineOf(cache: string): Engine {
    const engine = this.byCache.get(cache);
    if (!engine) throw new ApiError('internal', `No cache named "${cache}" (caches: ${[...this.byCache.keys()].join(', ')}).`);
    return engine;
  }
}
