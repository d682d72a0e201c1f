// GET /slots: what each KV cache holds right now, in the spirit of llama-server's /slots
// (n_ctx, is_processing per slot), grouped by cache since ours has several. Behind the API
// key like every path but / and /health: cached token counts say something about traffic.

import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine/types.js';

export interface SlotWire {
  id: number;
  is_processing: boolean;
  n_ctx: number;
  /** Tokens held in the slot's KV cache. */
  n_cached_tokens: number;
  /** ISO time the slot was last released; null = never used. */
  last_used: string | null;
  /** Milliseconds since then; null = never used. */
  idle_ms: number | null;
  /** Checkpoints the slot keeps and the bytes they take, on a model whose memory needs them. */
  n_checkpoints?: number;
  checkpoint_bytes?: number;
}

export interface CacheWire {
  name: string;
  default: boolean;
  /** Tokens per slot. */
  n_ctx: number;
  /** Requests waiting for one of this cache's slots, and how many may wait. */
  queue_depth: number;
  queue_size: number;
  slots: SlotWire[];
}

export interface SlotsWire {
  model: string;
  caches: CacheWire[];
}

export function slotsReport(engine: Engine, now = Date.now()): SlotsWire {
  const all = engine.slots();
  return {
    model: engine.info.name,
    caches: engine.info.caches.map((cache) => ({
      name: cache.name,
      default: cache.name === engine.info.defaultCache,
      n_ctx: cache.contextSize,
      queue_depth: engine.queueDepth(cache.name),
      queue_size: cache.queueSize,
      slots: all
        .filter((slot) => slot.cache === cache.name)
        .map((slot) => ({
          id: slot.id,
          is_processing: slot.busy,
          n_ctx: slot.contextSize,
          n_cached_tokens: slot.cachedTokens,
          last_used: slot.lastUsedAt !== undefined ? new Date(slot.lastUsedAt).toISOString() : null,
          idle_ms: slot.lastUsedAt !== undefined ? Math.max(0, now - slot.lastUsedAt) : null,
          ...(slot.checkpoints ? { n_checkpoints: slot.checkpoints.count, checkpoint_bytes: slot.checkpoints.bytes } : {}),
        })),
    })),
  };
}

export function registerSlots(app: FastifyInstance, engine: () => Engine | undefined): void {
  app.get('/slots', async (_request, reply) => {
    const current = engine();
    if (!current) return reply.code(503).send({ error: 'model is loading' });
    return slotsReport(current);
  });
}
