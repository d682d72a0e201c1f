import { readFileSync } from 'node:fs';
import type { BatchItem, LlamaContext, LlamaContextSequence } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { BatchGathering, inSequenceOrder, installedNodeLlamaCppVersion, MEASURED_NODE_LLAMA_CPP } from './batch-gathering.js';

const item = (tokens: number, evaluationPriority = 5): BatchItem => ({ tokens: Array(tokens).fill(1), logits: [], evaluationPriority }) as unknown as BatchItem;

describe('inSequenceOrder', () => {
  it('orders by sequence id, unknown ones last in queue order', () => {
    const [a, b, c, d] = [item(1), item(1), item(1), item(1)];
    const ids = new Map([
      [a, 2],
      [b, 0],
      [c, 1],
    ]);
    const batch = inSequenceOrder([a!, b!, c!, d!], 512, (each) => ids.get(each));
    expect(batch.map((entry) => entry.item)).toEqual([b, c, a, d]);
    expect(batch.map((entry) => entry.processAmount)).toEqual([1, 1, 1, 1]);
  });

  it('gives each item an even share of the batch, then the rest by priority', () => {
    const [prompt, decode, urgent] = [item(600, 5), item(1, 5), item(300, 6)];
    const ids = new Map([
      [prompt, 0],
      [decode, 1],
      [urgent, 2],
    ]);
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

describe('the node-llama-cpp version BatchGathering was measured on', () => {
  /** A context and a sequence with the private members `install` looks for (no model needed). */
  function fakes(): { context: LlamaContext; sequence: LlamaContextSequence; original: () => void } {
    const original = () => undefined;
    const context = { _queuedDecodes: [], dispatchPendingBatch: () => undefined } as unknown as LlamaContext;
    const sequence = { _takeIntervalCheckpointIfNeededAfterBatch: original } as unknown as LlamaContextSequence;
    return { context, sequence, original };
  }
  const hook = (sequence: LlamaContextSequence) => (sequence as unknown as { _takeIntervalCheckpointIfNeededAfterBatch: unknown })._takeIntervalCheckpointIfNeededAfterBatch;

  it('reads the installed version from node-llama-cpp/package.json', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../node_modules/node-llama-cpp/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(installedNodeLlamaCppVersion()).toBe(manifest.version);
  });

  it('is the installed one (after an upgrade: re-measure, see the header of batch-gathering.ts)', () => {
    expect(MEASURED_NODE_LLAMA_CPP).toBe('3.22.1');
    expect(installedNodeLlamaCppVersion()).toBe(MEASURED_NODE_LLAMA_CPP);
  });

  it('installs on the measured version', () => {
    const { context, sequence, original } = fakes();
    expect(new BatchGathering().install(context, [sequence], '3.22.1')).toBe(true);
    expect(hook(sequence)).not.toBe(original);
  });

  it('leaves another version alone, even with the same private members', () => {
    for (const version of ['3.22.0', '3.23.0', '4.0.0', 'unknown']) {
      const { context, sequence, original } = fakes();
      expect(new BatchGathering().install(context, [sequence], version)).toBe(false);
      expect(hook(sequence)).toBe(original);
    }
  });

  it('leaves the measured version alone when its private members are missing', () => {
    const { sequence, original } = fakes();
    const context = { _queuedDecodes: [] } as unknown as LlamaContext;
    expect(new BatchGathering().install(context, [sequence], '3.22.1')).toBe(false);
    expect(hook(sequence)).toBe(original);
  });
});
