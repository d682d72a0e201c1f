// Hot restarts (--cache-dir): the slots' KV caches are read back from the last run when the
// engine loads, written when it closes, and, with an idle delay, also after a quiet spell so a
// killed server loses little. The files and manifest are cache-store.ts's business; this
// decides which slots to write and when.

import type { Logger } from '../../log.js';
import type { CacheSet } from '../cache-set.js';
import type { CacheStore, SavedSlot } from '../cache-store.js';
import { messageOf } from '../errors.js';
import type { LlamaCache, LlamaSlot } from './load.js';
import { cutTo } from './sequence-memory.js';

export class SlotCachePersistence {
  private idleSaveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;

  constructor(
    private readonly store: CacheStore,
    private readonly caches: CacheSet<LlamaSlot, LlamaCache>,
    private readonly logger: Logger,
    /** Also save once the engine has been idle this long (ms) after a request; 0 = only on close. */
    private readonly saveIdleMs: number,
  ) {}

  /** Load the slot caches saved by the last run on this model file (hot restart). */
  async restore(): Promise<void> {
    const started = performance.now();
    let restored = 0;
    let tokens = 0;
    for (const saved of this.store.saved().sort((a, b) => a.lastUsedAt - b.lastUsedAt)) {
      const cache = [...this.caches.values()].find((each) => each.name === saved.cache);
      const slot = cache?.pool.slots[saved.slot];
      // A cache renamed, shrunk or resized since: its saved slots do not fit.
      if (!cache || !slot || cache.contextSize !== saved.contextSize) continue;
      const unsafe = await this.store.verify(saved);
      if (unsafe) {
        this.logger.warn({ cache: saved.cache, slot: saved.slot, reason: unsafe }, 'a saved slot cache is not the file that was written; it is discarded');
        this.store.discard(saved.cache, saved.slot);
        continue;
      }
      try {
        await slot.sequence.loadStateFromFile(this.store.stateFile(saved.cache, saved.slot).path, { acceptRisk: true });
        cache.pool.touch(slot, saved.lastUsedAt);
        slot.saved = saved;
        restored++;
        tokens += slot.sequence.nextTokenIndex;
      } catch (error) {
        this.logger.warn({ cache: saved.cache, slot: saved.slot, err: messageOf(error) }, 'a saved slot cache could not be loaded; it is discarded');
        await slot.sequence.clearHistory().catch(() => undefined);
        this.store.discard(saved.cache, saved.slot);
      }
    }
    if (restored > 0) this.logger.info({ slots: restored, tokens, ms: Math.round(performance.now() - started), from: this.store.folder }, 'restored slot caches from the last run');
  }

  /** After a request: its slot changed; save once everything has been quiet for a while. */
  slotChanged(slot: LlamaSlot): void {
    slot.saved = undefined;
    if (this.saveIdleMs <= 0) return;
    clearTimeout(this.idleSaveTimer);
    this.idleSaveTimer = setTimeout(() => {
      const busy = [...this.caches.values()].some((cache) => cache.pool.slots.some((each) => each.busy)) || this.caches.queueDepth() > 0;
      if (busy || this.saving) return; // the next release schedules another try
      this.saving = this.save('idle')
        .catch((error: unknown) => this.logger.warn({ err: messageOf(error) }, 'could not save the slot caches'))
        .finally(() => (this.saving = undefined));
    }, this.saveIdleMs);
    this.idleSaveTimer.unref();
  }

  /** The engine closes: wait for an idle save under way, then save what changed since. */
  async close(): Promise<void> {
    clearTimeout(this.idleSaveTimer);
    await this.saving;
    // A failed save must not keep the server from stopping: the caches are only an optimisation.
    await this.save('close').catch((error: unknown) => this.logger.warn({ err: messageOf(error) }, 'could not save the slot caches'));
  }

  /**
   * Checkpoints live in memory only (node-llama-cpp cannot save them), so a restored slot of a
   * model whose memory cannot roll back could never return before its end: the next turn,
   * which re-renders the last generation prompt, would start over. So such a slot goes back to
   * where that generation prompt began before it is written; the next turn then appends to it.
   */
  private async backToResumePoint(cache: LlamaCache, slot: LlamaSlot): Promise<void> {
    const { resumeAt } = slot;
    if (cache.rollback.kind === 'any' || resumeAt === undefined || resumeAt >= slot.sequence.nextTokenIndex) return;
    const held = slot.sequence.nextTokenIndex;
    await cutTo(slot.sequence, cache.rollback, slot.sequence.contextTokens.slice(0, resumeAt));
    slot.resumeAt = undefined;
    this.logger.debug({ cache: cache.name, slot: slot.id, held, kept: slot.sequence.nextTokenIndex }, 'slot taken back to its last generation prompt before saving');
  }

  /**
   * Write the slots' caches to disk: the ones that changed since they were last written (the
   * others keep their file). Runs on close, and when idle with `saveIdleMs`.
   */
  private async save(why: 'close' | 'idle'): Promise<void> {
    const started = performance.now();
    this.store.prepare();
    const saved: SavedSlot[] = [];
    let written = 0;
    let bytes = 0;
    for (const cache of this.caches.values()) {
      for (const slot of cache.pool.slots) {
        if (slot.sequence.nextTokenIndex === 0) continue;
        if (slot.saved) {
          saved.push({ ...slot.saved, lastUsedAt: slot.lastUsedAt ?? slot.saved.lastUsedAt });
          continue;
        }
        await this.backToResumePoint(cache, slot);
        const tokens = slot.sequence.nextTokenIndex;
        if (tokens === 0) continue;
        const { path, temporary, file } = this.store.stateFile(cache.name, slot.id);
        try {
          await slot.sequence.saveStateToFile(temporary);
          const check = await this.store.finishWrite(temporary, path);
          bytes += check.bytes;
          slot.saved = { cache: cache.name, slot: slot.id, contextSize: cache.contextSize, tokens, file, lastUsedAt: slot.lastUsedAt ?? 0, ...check };
          saved.push(slot.saved);
          written++;
        } catch (error) {
          this.logger.warn({ cache: cache.name, slot: slot.id, err: messageOf(error) }, 'could not save a slot cache');
        }
      }
    }
    this.store.commit(saved);
    if (written > 0 || why === 'close') {
      this.logger.info(
        {
          why,
          written,
          slots: saved.length,
          tokens: saved.reduce((sum, slot) => sum + slot.tokens, 0),
          megabytes: Math.round(bytes / 1e6),
          ms: Math.round(performance.now() - started),
          to: this.store.folder,
        },
        'saved slot caches for the next start',
      );
    }
  }
}
