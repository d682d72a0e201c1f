// BatchGathering on real llama.cpp inference: concurrent sequences of one context share every
// decode batch, and a request that needs the context lock gets it while others generate.
// These tests also guard the node-llama-cpp internals it relies on: after an upgrade that
// changes them (or any other version: see MEASURED_NODE_LLAMA_CPP), `install` returns false and
// the first test says so.

import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchGathering } from '../../src/engine/batch-gathering.js';
import { fixtureLlama, makeRandomModel } from '../fixtures/models.js';

const STREAMS = 4;
const TOKENS = 32;

let model: LlamaModel;
beforeAll(async () => {
  const llama = await fixtureLlama();
  model = await llama.loadModel({ modelPath: (await makeRandomModel({ shape: 'tiny' })).path });
});
afterAll(async () => {
  await model?.dispose();
});

/** A context whose native decode calls are counted. */
async function countingContext(gathering?: BatchGathering): Promise<{ context: LlamaContext; sequences: LlamaContextSequence[]; batches: () => number; orders: number[][] }> {
  const context = await model.createContext({ sequences: STREAMS, contextSize: 512 * STREAMS, threads: 1, ...(gathering ? { batching: gathering.batchingOptions() } : {}) });
  const holder = context as unknown as { _ctx: Record<string, unknown> };
  const native = holder._ctx;
  let batches = 0;
  const orders: number[][] = [];
  holder._ctx = new Proxy(native, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === 'initBatch') orders.push([]);
      if (property === 'addToBatch') {
        return (sequenceId: number, ...args: unknown[]) => {
          orders.at(-1)?.push(sequenceId);
          return (value as (...a: unknown[]) => unknown).call(target, sequenceId, ...args);
        };
      }
      if (property === 'decodeBatch') {
        return (...args: unknown[]) => {
          batches++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const sequences = Array.from({ length: STREAMS }, () => context.getSequence());
  return { context, sequences, batches: () => batches, orders };
}

async function generate(sequence: LlamaContextSequence, prompt: Token[], tokens: number, gathering?: BatchGathering, onToken?: () => void): Promise<number> {
  const untrack = gathering?.track(sequence);
  let count = 0;
  try {
    // yieldEogToken: a random model may pick an end token; keep going so every stream runs `tokens` steps.
    for await (const _token of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
      onToken?.();
      if (++count >= tokens) break;
    }
  } finally {
    untrack?.();
  }
  return count;
}

const promptOf = (i: number): Token[] => model.tokenize(`stream ${i}: once upon a time`);

describe('BatchGathering', () => {
  it('puts every generating sequence in each decode batch, in sequence-id order', async () => {
    const gathering = new BatchGathering();
    const { context, sequences, batches, orders } = await countingContext(gathering);
    try {
      expect(gathering.install(context, sequences), 'node-llama-cpp internals changed; see src/engine/batch-gathering.ts').toBe(true);
      // The first sequence starts alone and the others join it, as requests do: in queue order,
      // its next decode would come after their prompts.
      let joined!: () => void;
      const join = new Promise<void>((resolve) => (joined = resolve));
      let firstCount = 0;
      const first = generate(sequences[0]!, promptOf(0), TOKENS + 2, gathering, () => ++firstCount === 2 && joined());
      await join;
      await Promise.all([first, ...sequences.slice(1).map((sequence, i) => generate(sequence, promptOf(i + 1), TOKENS, gathering))]);
      // One batch per step: the first prompt, its first decode, the other prompts with its next
      // token, and TOKENS - 1 decodes of all four.
      expect(batches()).toBeLessThanOrEqual(TOKENS + 3);
      // llama.cpp splits a batch at every break in ascending consecutive sequence ids (kv_unified = false).
      for (const order of orders) expect(order).toEqual([...order].sort((a, b) => a - b));
    } finally {
      await context.dispose();
    }
  });

  it('without it, node-llama-cpp leaves a sequence out of most batches (the reason it exists)', async () => {
    const { context, sequences, batches } = await countingContext();
    try {
      await Promise.all(sequences.map((sequence, i) => generate(sequence, promptOf(i), TOKENS)));
      // If this fails, node-llama-cpp fills its batches by itself now and BatchGathering can go.
      expect(batches()).toBeGreaterThan(TOKENS + 4);
    } finally {
      await context.dispose();
    }
  });

  it('hands the context lock to a waiting request while other sequences generate', async () => {
    const gathering = new BatchGathering();
    const { context, sequences } = await countingContext(gathering);
    try {
      expect(gathering.install(context, sequences)).toBe(true);
      // The third slot holds an earlier conversation, so adapting it erases tokens (under the lock).
      await sequences[2]!.evaluateWithoutGeneratingNewTokens(promptOf(2));
      const long = 400;
      let generated = 0;
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const streams = [0, 1].map((i) =>
        generate(sequences[i]!, promptOf(i), long, gathering, () => {
          if (++generated === 20) started();
        }),
      );
      await running;
      // A new request on the third slot: adaptStateToTokens erases its tokens under the context lock.
      await gathering.withContextLock(() => sequences[2]!.adaptStateToTokens([], false));
      const generatedWhenLocked = generated;
      const done = await Promise.all(streams);
      expect(done).toEqual([long, long]);
      expect(generatedWhenLocked).toBeLessThan(2 * long - 100);
      expect(gathering.stats.released).toBeGreaterThan(0);
    } finally {
      await context.dispose();
    }
  });
});
