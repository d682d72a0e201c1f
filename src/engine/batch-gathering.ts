// Full, well-ordered batches for concurrent requests on one context, and no starved newcomers.
//
// node-llama-cpp (3.22.1) runs one dispatch loop per context (`LlamaContext.dispatchPendingBatch`)
// and we measured three ways it falls short on concurrent streams (docs/benchmarks.md, "Four
// streams"):
//
// 1. After a batch it awaits the sampling of every sequence, then decodes again at once if
//    *anything* is queued. The sequences sampled first have re-queued by then; the one sampled
//    last needs a few more microtask hops through its `evaluate` generator and our consumer,
//    so it misses the batch: 4 streams decoded 3 sequences per batch (171 batches for 4 × 128
//    tokens instead of 128), 2 streams only 1.
// 2. It holds the context lock for as long as it finds work, so a new request's
//    `adaptStateToTokens` (which takes that lock) waited until the running streams all ended.
// 3. It adds sequences to the batch in queue order. node-llama-cpp creates contexts with
//    `kv_unified = false`, and then llama.cpp splits a batch into one micro-batch per run of
//    *consecutive ascending* sequence ids (`split_equal(…, sequential = true)`): the order
//    2,0,1,3 costs two graph computations instead of one (80 ms instead of 50 per step).
//
// So: the loop awaits each sequence's `afterBatchAction` after sampling; we wrap it to wait (a
// few event-loop turns at most) until every evaluating sequence has queued its next decode,
// and, when one of our requests waits for the context lock, to take the queued decodes out so
// the loop ends and releases the lock, handing them back (with a new dispatch, queued behind
// the waiter) on the next turn. And our batch prioritization strategy puts the queued decodes
// in sequence-id order. Only private members of node-llama-cpp are involved; `install` checks
// the installed version and their shape, and otherwise leaves the context alone (slower, still
// correct).
//
// Upgrading node-llama-cpp (package.json pins it exactly): private members can change meaning
// without changing shape, so `install` also refuses any version but MEASURED_NODE_LLAMA_CPP.
// Before raising that constant, measure again what the numbers above rest on:
// - `UV_THREADPOOL_SIZE=1 npx tsx bench/probes/probe-streams.ts` (batches by sequences in them:
//   4 : 127 with BatchGathering; also `--streams 1`, which it must not slow down);
// - `npx tsx bench/probes/probe-server-streams.ts --reps 3` (4 streams and the late joiner's
//   time to first token, against llama-server);
// - `npx vitest run test/engine/batch-gathering.test.ts` (full batches in sequence-id order, the
//   lock hand-over, and that node-llama-cpp alone still needs this);
// and record them in docs/benchmarks.md ("Four streams").

import type { BatchingOptions, BatchItem, LlamaContext, LlamaContextSequence, PrioritizedBatchItem } from 'node-llama-cpp';
import { installedPackageVersion } from '../package-version.js';

/** The node-llama-cpp version whose private members this was written against and measured on. */
export const MEASURED_NODE_LLAMA_CPP = '3.22.1';

/** The private parts of node-llama-cpp this relies on (checked at install). */
interface QueuedDecode {
  sequenceId: number;
  tokens: readonly unknown[];
}
interface ContextInternals {
  _queuedDecodes: QueuedDecode[];
  dispatchPendingBatch(): void;
}
interface SequenceInternals {
  _takeIntervalCheckpointIfNeededAfterBatch: (sequenceStateLength: number) => unknown;
}

/** Longest wait for late sequences after a batch: event-loop turns and milliseconds. */
const MAX_TURNS = 8;
const MAX_WAIT_MS = 2;

export class BatchGathering {
  private context: ContextInternals | undefined;
  /** Sequences between the start and the end of an evaluation (prefill or generation). */
  private readonly evaluating = new Set<LlamaContextSequence>();
  private lockWaiters = 0;
  /** Set while queued decodes are out of the queue to let the dispatch loop end. */
  private handingBack = false;
  /** The gathering after the current batch, shared by the sequences of that batch. */
  private gathering: Promise<void> | undefined;
  /** Batches after which the loop had to wait for late sequences, and lock hand-overs (for tests and probes). */
  readonly stats = { waited: 0, released: 0 };

  /** Pass to `model.createContext` (before `install`). */
  batchingOptions(): BatchingOptions {
    return {
      itemPrioritizationStrategy: ({ items, size }) => {
        const queued = this.context?._queuedDecodes ?? [];
        // The items are built from the queued decodes in queue order, sharing their token arrays.
        const sequenceOf = (item: BatchItem) => queued.find((decode) => decode.tokens === item.tokens)?.sequenceId;
        return inSequenceOrder(items, size, sequenceOf);
      },
    };
  }

  /**
   * Attach to a context (created with `batchingOptions()`) and its sequences; false, leaving
   * them alone, when node-llama-cpp is not the measured version (`version`: the installed one)
   * or its internals are not what this was written against (the caller logs it).
   */
  install(context: LlamaContext, sequences: readonly LlamaContextSequence[], version = installedNodeLlamaCppVersion()): boolean {
    if (version !== MEASURED_NODE_LLAMA_CPP) return false;
    const internals = context as unknown as Partial<ContextInternals>;
    if (!Array.isArray(internals._queuedDecodes) || typeof internals.dispatchPendingBatch !== 'function') return false;
    if (!sequences.every((sequence) => typeof (sequence as unknown as Partial<SequenceInternals>)._takeIntervalCheckpointIfNeededAfterBatch === 'function')) return false;
    this.context = internals as ContextInternals;
    for (const sequence of sequences) {
      const holder = sequence as unknown as SequenceInternals;
      const original = holder._takeIntervalCheckpointIfNeededAfterBatch;
      // The sequence reads this property each time it queues a decode, so replacing it on the
      // instance is enough.
      holder._takeIntervalCheckpointIfNeededAfterBatch = (length: number) => {
        const result = original(length);
        return result instanceof Promise ? result.then(() => this.afterBatch()) : this.afterBatch();
      };
    }
    return true;
  }

  /**
   * `sequence` starts evaluating (a prefill or a generation): batches wait for its next decode.
   * Call the returned function when it stops, before any lock-taking call on it.
   */
  track(sequence: LlamaContextSequence): () => void {
    this.evaluating.add(sequence);
    return () => this.evaluating.delete(sequence);
  }

  /** Run `operation`, which takes the context lock (adaptStateToTokens, clearHistory, state files). */
  async withContextLock<T>(operation: () => Promise<T>): Promise<T> {
    this.lockWaiters++;
    try {
      return await operation();
    } finally {
      this.lockWaiters--;
    }
  }

  private afterBatch(): Promise<void> | undefined {
    if (this.handingBack || !this.context) return undefined;
    this.gathering ??= this.gather(this.context).finally(() => (this.gathering = undefined));
    return this.gathering;
  }

  private async gather(context: ContextInternals): Promise<void> {
    const started = performance.now();
    if (!this.allQueued(context)) this.stats.waited++;
    for (let turn = 0; turn < MAX_TURNS && !this.allQueued(context); turn++) {
      if (performance.now() - started > MAX_WAIT_MS) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (this.lockWaiters === 0 || context._queuedDecodes.length === 0) return;
    // Someone waits for the context lock: empty the queue so the loop ends and releases it.
    this.stats.released++;
    const held = context._queuedDecodes.splice(0);
    this.handingBack = true;
    setImmediate(() => {
      this.handingBack = false;
      context._queuedDecodes.unshift(...held);
      context.dispatchPendingBatch(); // queued behind the waiter for the lock
    });
  }

  /** Every evaluating sequence has its next decode queued (only evaluating sequences queue decodes). */
  private allQueued(context: ContextInternals): boolean {
    return new Set(context._queuedDecodes.map((decode) => decode.sequenceId)).size >= this.evaluating.size;
  }
}

/**
 * The version of the node-llama-cpp this process loads, from its package.json ('unknown' if
 * not found). Its `exports` hide `node-llama-cpp/package.json`, so the file is looked up from
 * the resolved main entry.
 */
export function installedNodeLlamaCppVersion(): string {
  return installedPackageVersion('node-llama-cpp');
}

/**
 * The batch: items in ascending sequence id (unknown ids last, in queue order), each first given
 * an even share of `size`, then what is left in order of evaluation priority — node-llama-cpp's
 * `maximumParallelism` strategy, ordered for llama.cpp's micro-batch split.
 */
export function inSequenceOrder(items: readonly BatchItem[], size: number, sequenceOf: (item: BatchItem) => number | undefined): PrioritizedBatchItem[] {
  const order = (item: BatchItem) => sequenceOf(item) ?? Number.MAX_SAFE_INTEGER;
  const ordered = items.map((item, index) => ({ item, index })).sort((a, b) => order(a.item) - order(b.item) || a.index - b.index);
  const share = Math.floor(size / Math.max(1, items.length));
  let left = size;
  const batch = ordered.map(({ item }) => {
    const processAmount = Math.min(item.tokens.length, share, left);
    left -= processAmount;
    return { item, processAmount };
  });
  const byPriority = [...batch].sort((a, b) => b.item.evaluationPriority - a.item.evaluationPriority);
  for (const entry of byPriority) {
    if (left === 0) break;
    const more = Math.min(entry.item.tokens.length - entry.processAmount, left);
    entry.processAmount += more;
    left -= more;
  }
  return batch.filter((entry) => entry.processAmount > 0);
}
