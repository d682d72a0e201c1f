// The caches of one engine by name, and what both engines report about them (slots, queues).
// Each cache is a set of slots (KV sequences) of one size with its own queue; the engine
// behind it (llama.cpp or the mock) decides what a slot holds.

import { ApiError } from '../errors.js';
import type { PooledSlot, SlotPool } from './slot-pool.js';
import type { SlotStatus } from './types.js';

export interface EngineCache<S extends PooledSlot> {
  name: string;
  /** Tokens per slot. */
  contextSize: number;
  pool: SlotPool<S>;
}

export class CacheSet<S extends PooledSlot, C extends EngineCache<S>> {
  private readonly byName: Map<string, C>;

  constructor(
    caches: readonly C[],
    private readonly defaultName: string,
  ) {
    this.byName = new Map(caches.map((cache) => [cache.name, cache]));
  }

  values(): IterableIterator<C> {
    return this.byName.values();
  }

  /** The named cache, or the default; an unknown name is a server-side routing error. */
  get(name: string | undefined): C {
    const cache = this.byName.get(name ?? this.defaultName);
    if (!cache) throw new ApiError('internal', `No cache named "${name}" (caches: ${[...this.byName.keys()].join(', ')}).`);
    return cache;
  }

  /** Every slot of every cache; `cachedTokens` reads how many tokens a slot holds, `more` what else an engine knows. */
  slots(cachedTokens: (slot: S) => number, more: (slot: S, cache: C) => Partial<SlotStatus> = () => ({})): SlotStatus[] {
    return [...this.byName.values()].flatMap((cache) =>
      cache.pool.slots.map((slot) => ({
        ...more(slot, cache),
        cache: cache.name,
        id: slot.id,
        busy: slot.busy,
        cachedTokens: cachedTokens(slot),
        contextSize: cache.contextSize,
        lastUsed: slot.lastUsed,
        ...(slot.lastUsedAt !== undefined ? { lastUsedAt: slot.lastUsedAt } : {}),
      })),
    );
  }

  /** Requests waiting in one cache's queue, or in all of them. */
  queueDepth(name?: string): number {
    if (name !== undefined) return this.get(name).pool.queueDepth();
    let total = 0;
    for (const cache of this.byName.values()) total += cache.pool.queueDepth();
    return total;
  }
}
