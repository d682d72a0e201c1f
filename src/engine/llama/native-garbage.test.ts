import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { NativeGarbage } from './native-garbage.js';

describe('NativeGarbage', () => {
  it('asks for a collection once the released buffers reach the budget, on the next turn, once per budget', async () => {
    let collections = 0;
    // 1 000 tokens × 12 bytes = 12 000 bytes a sampler; budget 30 000: the third sampler reaches it.
    const garbage = NativeGarbage.forVocabulary(1_000, 30_000, () => collections++);
    garbage.samplerDone();
    garbage.samplerDone();
    await nextTurn();
    expect(collections).toBe(0);
    garbage.samplerDone();
    garbage.samplerDone(); // while one is scheduled: no second
    expect(collections).toBe(0);
    await nextTurn();
    expect(collections).toBe(1);
    for (let i = 0; i < 3; i++) garbage.samplerDone();
    await nextTurn();
    expect(collections).toBe(2);
  });

  it("reaches V8's gc() without --expose-gc", () => {
    expect(() => NativeGarbage.forVocabulary(10)).not.toThrow();
  });
});
