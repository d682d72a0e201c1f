import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { commonPrefixLength, SlotPool, type PooledSlot } from './slot-pool.js';

function slot(id: number, tokens: number[] = []): PooledSlot & { tokens: number[] } {
  return {
    id,
    busy: false,
    lastUsed: 0,
    tokens,
    cachedTokens() {
      return this.tokens;
    },
  };
}

describe('commonPrefixLength', () => {
  it('counts equal leading tokens', () => {
    expect(commonPrefixLength([1, 2, 3], [1, 2, 4])).toBe(2);
    expect(commonPrefixLength([], [1])).toBe(0);
    expect(commonPrefixLength([1, 2], [1, 2])).toBe(2);
  });
});

describe('SlotPool', () => {
  it('with cache scopes, keeps a cached prompt only for the scope that left it (--cache-isolation)', async () => {
    const slots = [slot(0), slot(1)];
    const pool = new SlotPool(slots, 4);
    const prompt = [1, 2, 3, 4, 5, 6];
    const first = await pool.acquire(prompt, undefined, 'alice');
    slots[first.slot.id]!.tokens = [1, 2, 3, 4, 5];
    pool.release(first.slot);
    const again = await pool.acquire(prompt, undefined, 'alice');
    expect(again).toMatchObject({ slot: { id: first.slot.id }, reusable: 5 });
    pool.release(again.slot);
    // Another scope shares nothing with it: it takes the empty slot rather than alice's.
    const other = await pool.acquire(prompt, undefined, 'mallory');
    expect(other.slot.id).not.toBe(first.slot.id);
    expect(other.reusable).toBe(0);
    slots[other.slot.id]!.tokens = [9, 9, 9];
    pool.release(other.slot);
    // Both slots hold another scope's prompt: the least recently used is taken, keeping nothing.
    const third = await pool.acquire(prompt, undefined, 'eve');
    expect(third).toMatchObject({ slot: { id: first.slot.id }, reusable: 0 });
    pool.release(third.slot);
    // Unscoped requests (isolation off) see every cache as before.
    expect(await pool.acquire(prompt)).toMatchObject({ slot: { id: first.slot.id }, reusable: 5 });
  });

  it('with cache scopes, a cache of unknown scope (restored from disk) is kept for nobody', async () => {
    const pool = new SlotPool([slot(0, [1, 2, 3])], 4);
    expect((await pool.acquire([1, 2, 3, 4], undefined, 'alice')).reusable).toBe(0);
  });

  it('prefers the slot sharing the longest prefix with the prompt', async () => {
    const pool = new SlotPool([slot(0, [9, 9]), slot(1, [1, 2, 3]), slot(2, [1])], 4);
    const grant = await pool.acquire([1, 2, 3, 4]);
    expect(grant.slot.id).toBe(1);
    expect(grant.reusable).toBe(3);
  });

  it('ranks slots by what they can really keep, not by the shared prefix (memory that cannot roll back)', async () => {
    // Slot 0 shares 4 tokens but can only return to a checkpoint at 1; slot 1 shares 3 and keeps them all.
    const checkpointed = { ...slot(0, [1, 2, 3, 4, 9, 9]), reusablePrefix: () => 1 };
    const pool = new SlotPool([checkpointed, slot(1, [1, 2, 3])], 4);
    const grant = await pool.acquire([1, 2, 3, 4, 5, 6]);
    expect(grant.slot.id).toBe(1);
    expect(grant.reusable).toBe(3);
  });

  it('takes an empty slot rather than throw away a long cache that shares only a few tokens', async () => {
    const conversation = Array.from({ length: 100 }, (_, i) => i);
    const pool = new SlotPool([slot(0, conversation), slot(1)], 4);
    const grant = await pool.acquire([0, 1, 2, 500, 501]);
    expect(grant.slot.id).toBe(1);
    expect(grant.reusable).toBe(0);
  });

  it('evicts the least recently used slot when no free slot keeps most of its cache', async () => {
    const a = slot(
      0,
      Array.from({ length: 100 }, (_, i) => i),
    );
    const b = slot(
      1,
      Array.from({ length: 100 }, (_, i) => i + 1000),
    );
    const pool = new SlotPool([a, b], 4);
    pool.release((await pool.acquire(a.tokens)).slot); // slot 0 is now the most recently used
    const grant = await pool.acquire([0, 1, 2, 7000]);
    expect(grant.slot.id).toBe(1);
  });

  it('breaks ties by least recently used', async () => {
    const a = slot(0);
    const b = slot(1);
    const pool = new SlotPool([a, b], 4);
    const first = await pool.acquire([5]);
    pool.release(first.slot); // slot 0 is now the most recently used
    const second = await pool.acquire([5]);
    expect(second.slot.id).toBe(1);
  });

  it('queues in FIFO order when all slots are busy', async () => {
    const pool = new SlotPool([slot(0)], 4);
    const held = await pool.acquire([1]);
    const order: string[] = [];
    const w1 = pool.acquire([1]).then((g) => {
      order.push('w1');
      return g;
    });
    const w2 = pool.acquire([1]).then((g) => {
      order.push('w2');
      return g;
    });
    expect(pool.queueDepth()).toBe(2);
    pool.release(held.slot);
    pool.release((await w1).slot);
    await w2;
    expect(order).toEqual(['w1', 'w2']);
  });

  it('refuses past the queue bound with an overloaded error', async () => {
    const pool = new SlotPool([slot(0)], 1);
    await pool.acquire([1]);
    void pool.acquire([1]);
    const refused = pool.acquire([1]);
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.toMatchObject({ kind: 'overloaded', retryAfter: 1 });
  });

  it('removes an aborted waiter from the queue', async () => {
    const pool = new SlotPool([slot(0)], 4);
    const held = await pool.acquire([1]);
    const controller = new AbortController();
    const waiting = pool.acquire([1], controller.signal);
    controller.abort(new Error('client left'));
    await expect(waiting).rejects.toThrow('client left');
    expect(pool.queueDepth()).toBe(0);
    pool.release(held.slot);
    expect(held.slot.busy).toBe(false);
  });
});
