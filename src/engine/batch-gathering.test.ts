import type { BatchItem } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { inSequenceOrder } from './batch-gathering.js';

const item = (tokens: number, evaluationPriority = 5): BatchItem => ({ tokens: Array(tokens).fill(1), logits: [], evaluationPriority }) as unknown as BatchItem;

describe('inSequenceOrder', () => {
  it('orders by sequence id, unknown ones last in queue order', () => {
    const [a, b, c, d] = [item(1), item(1), item(1), item(1)];
    const ids = new Map([[a, 2], [b, 0], [c, 1]]);
    const batch = inSequenceOrder([a!, b!, c!, d!], 512, (each) => ids.get(each));
    expect(batch.map((entry) => entry.item)).toEqual([b, c, a, d]);
    expect(batch.map((entry) => entry.processAmount)).toEqual([1, 1, 1, 1]);
  });

  it('gives each item an even share of the batch, then the rest by priority', () => {
    const [prompt, decode, urgent] = [item(600, 5), item(1, 5), item(300, 6)];
    const ids = new Map([[prompt, 0], [decode, 1], [urgent, 2]]);
    const batch = inSequenceOrder([prompt!, decode!, urgent!], 512, (each) => ids.get(each));
    // Share 170 each; the decode needs 1, leaving 512 - 170 - 1 - 170 = 171, which goes to the urgent one first (130), then 41 to the prompt.
    expect(batch.map((entry) => entry.processAmount)).toEqual([211, 1, 300]);
    expect(batch.reduce((sum, entry) => sum + entry.processAmount, 0)).toBe(512);
  });

  it('leaves out items that get no tokens', () => {
    const items = Array.from({ length: 3 }, () => item(10));
    expect(inSequenceOrder(items, 2, () => undefined).map((entry) => entry.processAmount)).toEqual([2]);
  });
});
