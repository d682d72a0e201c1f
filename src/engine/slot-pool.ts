// Which slot (KV-cache sequence) serves a request, and who waits when all are busy.
// Pure bookkeeping, no native code: the llama engine owns the sequences themselves.
//
// Choice rule, among free slots, by what each can really keep of the prompt (its shared prefix,
// or less where the model's memory cannot roll back to it: see prefix-reuse.ts):
// 1. a slot that keeps at least half of what it holds (an empty slot keeps everything): the
//    longest kept prefix wins, then the least recently used;
// 2. else the least recently used slot, so an idle conversation is evicted last-touched-first.
// Rule 1 is what stops a new conversation that shares only a system-prompt opening with a
// long cached one from taking its slot while an empty one is free (measured on a captured
// Claude Code session with a subagent: the subagent evicted the main conversation).

import { ApiError } from '../errors.js';
import { commonPrefixLength } from './prefix-reuse.js';

export { commonPrefixLength } from './prefix-reuse.js';

export interface PooledSlot {
  readonly id: number;
  busy: boolean;
  /** Monotonic counter value of the last release; 0 = never used. */
  lastUsed: number;
  /** Wall-clock time (epoch ms) of the last release; set by the pool. */
  lastUsedAt?: number;
  /** Tokens currently held in this slot's cache. */
  cachedTokens(): readonly number[];
  /**
   * Prompt tokens this slot's cache can keep (evaluation resumes after them). Default: the
   * shared prefix but the prompt's last token, for memory that rolls back to any token.
   */
  reusablePrefix?(prompt: readonly number[]): number;
  /** The cache scope of the request that last used it (`--cache-isolation`); set by the pool. */
  scope?: string;
}

export interface SlotGrant<S extends PooledSlot> {
  slot: S;
  /** Prompt tokens the slot's cache keeps (`reusablePrefix`): evaluation starts after them. */
  reusable: number;
}

interface Waiter<S extends PooledSlot> {
  prompt: readonly number[];
  scope?: string;
  resolve(grant: SlotGrant<S>): void;
  reject(error: unknown): void;
  onAbort?: () => void;
  signal?: AbortSignal;
}

export class SlotPool<S extends PooledSlot> {
  private readonly waiting: Waiter<S>[] = [];
  private useCounter = 0;

  constructor(
    readonly slots: readonly S[],
    /** Requests allowed to wait for a slot; one more is refused as overloaded. */
    private readonly maxQueue: number,
    /** Cache name for messages; each cache has its own pool, so one busy cache never blocks another. */
    readonly name?: string,
  ) {}

  queueDepth(): number {
    return this.waiting.length;
  }

  /** Take the best free slot for this prompt, waiting in FIFO order when all are busy. */
  acquire(prompt: readonly number[], signal?: AbortSignal, scope?: string): Promise<SlotGrant<S>> {
    signal?.throwIfAborted();
    // Someone already waiting goes first: no overtaking, even if a slot is free right now.
    if (this.waiting.length === 0) {
      const grant = this.pick(prompt, scope);
      if (grant) return Promise.resolve(grant);
    }
    if (this.waiting.length >= this.maxQueue) {
      return Promise.reject(
        new ApiError(
          'overloaded',
          `Server busy: all ${this.slots.length} slots${this.name !== undefined ? ` of cache "${this.name}"` : ''} are in use and ${this.waiting.length} requests are waiting. Retry shortly.`,
          {
            retryAfter: 1,
            code: 'server_overloaded',
          },
        ),
      );
    }
    return new Promise<SlotGrant<S>>((resolve, reject) => {
      const waiter: Waiter<S> = { prompt, resolve, reject, ...(scope !== undefined ? { scope } : {}) };
      if (signal) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          const at = this.waiting.indexOf(waiter);
          if (at !== -1) this.waiting.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiting.push(waiter);
    });
  }

  /** Give the slot back (its cache stays) and hand a free slot to the next waiter. */
  release(slot: S): void {
    slot.busy = false;
    slot.lastUsed = ++this.useCounter;
    slot.lastUsedAt = Date.now();
    this.serveWaiters();
  }

  /**
   * Mark a free slot as used at `at` (epoch ms) without a request: a slot whose cache was
   * restored from disk. Call oldest first, so least-recently-used order survives a restart.
   */
  touch(slot: S, at: number): void {
    slot.lastUsed = ++this.useCounter;
    slot.lastUsedAt = at;
  }

  private serveWaiters(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      const grant = this.pick(next.prompt, next.scope);
      if (!grant) return;
      this.waiting.shift();
      if (next.signal && next.onAbort) next.signal.removeEventListener('abort', next.onAbort);
      next.resolve(grant);
    }
  }

  private pick(prompt: readonly number[], scope: string | undefined): SlotGrant<S> | undefined {
    let best: Candidate<S> | undefined;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const cached = slot.cachedTokens();
      // Another scope's cache (or one of unknown scope, restored from disk) is no use to this request: nothing of it is kept.
      const foreign = scope !== undefined && cached.length > 0 && slot.scope !== scope;
      const reusable = foreign ? 0 : slot.reusablePrefix ? slot.reusablePrefix(prompt) : Math.min(commonPrefixLength(cached, prompt), Math.max(0, prompt.length - 1));
      const candidate = { slot, reusable, keeps: reusable * 2 >= cached.length };
      if (!best || better(candidate, best)) best = candidate;
    }
    if (!best) return undefined;
    best.slot.busy = true;
    if (scope !== undefined) best.slot.scope = scope;
    return { slot: best.slot, reusable: best.reusable };
  }
}

interface Candidate<S extends PooledSlot> {
  slot: S;
  reusable: number;
  keeps: boolean;
}

/** Whether slot candidate `a` should serve the prompt rather than `b` (see the rule at the top). */
function better<S extends PooledSlot>(a: Candidate<S>, b: Candidate<S>): boolean {
  if (a.keeps !== b.keeps) return a.keeps;
  if (a.keeps && a.reusable !== b.reusable) return a.reusable > b.reusable;
  return a.slot.lastUsed < b.slot.lastUsed;
}
