// What a slot's sequence holds, in the terms prefix-reuse.ts plans with (its tokens, the
// checkpoints it can restore, how the model's memory rolls back), and the one way to make
// node-llama-cpp restore a checkpoint on a sliding-window model.
//
// Two private parts of node-llama-cpp 3.22.1 are involved (the version batch-gathering.ts pins):
// - the checkpoint positions: `sequence._checkpoints._checkpoints`, [name, checkpoint] pairs,
//   checkpoint.maxPos being the last position it holds;
// - the erase decision: `_eraseContextTokenRanges` drops a suffix directly unless the cut is at
//   or before `_context._ctx.getSequenceKvCacheMinPosition(id)` (the oldest cell), and only then
//   restores a checkpoint. On a sliding window a direct cut is wrong (prefix-reuse.ts), so
//   `restoringCheckpoint` makes that position read as "everything" for the one sequence while
//   it cuts.
// When either shape is missing the sequence reports no checkpoints: the plan is then never
// longer than what it can really restore, only shorter.

import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { commonPrefixLength, type Rollback, type SequenceMemory } from '../prefix-reuse.js';

interface SequenceInternals {
  _checkpoints?: { _checkpoints?: unknown };
  _sequenceId?: unknown;
  _context?: { _ctx?: NativeContext };
}

interface NativeContext {
  getSequenceKvCacheMinPosition?: (sequenceId: number) => number;
}

/** How the model's memory in this context rolls back (see prefix-reuse.ts). */
export function rollbackOf(model: LlamaModel, context: LlamaContext): Rollback {
  const insights = model.fileInsights;
  if (insights.isRecurrent || insights.isHybrid) return { kind: 'none' };
  const window = insights.swaSize;
  if (window !== undefined && !swaFullCacheOf(context)) return { kind: 'window', window };
  return { kind: 'any' };
}

/** Whether the context was created with a full-size cache for its sliding-window layers. */
export function swaFullCacheOf(context: LlamaContext): boolean {
  return (context as unknown as { _swaFullCache?: unknown })._swaFullCache === true;
}

export function sequenceMemory(sequence: LlamaContextSequence, rollback: Rollback): SequenceMemory {
  const held = sequence.contextTokens;
  return {
    rollback,
    held,
    checkpoints: rollback.kind === 'any' || (rollback.kind === 'window' && !canForceRestore(sequence)) ? [] : checkpointLengths(sequence),
  };
}

/**
 * Make the sequence hold `tokens` (a prefix of what it holds), or as much of them as it can
 * return to: on a sliding window through a checkpoint (never a direct cut), on recurrent state
 * through a checkpoint too (node-llama-cpp does that by itself). The caller holds no context
 * lock (this takes it); the sequence may end up holding fewer tokens than asked.
 */
export async function cutTo(sequence: LlamaContextSequence, rollback: Rollback, tokens: readonly Token[]): Promise<void> {
  const cut = () => sequence.adaptStateToTokens(tokens as Token[], false);
  const dropsSuffix = commonPrefixLength(sequence.contextTokens, tokens) < sequence.nextTokenIndex;
  await (rollback.kind === 'window' && dropsSuffix ? restoringCheckpoint(sequence, cut) : cut());
}

/**
 * Run `cut` (an adaptStateToTokens that drops a suffix) so that node-llama-cpp restores the last
 * checkpoint at or before the cut instead of dropping cells directly. For sliding-window models.
 */
export async function restoringCheckpoint<T>(sequence: LlamaContextSequence, cut: () => Promise<T>): Promise<T> {
  if (!canForceRestore(sequence)) return cut();
  const internals = sequence as unknown as SequenceInternals;
  const native = internals._context!._ctx!;
  const id = internals._sequenceId as number;
  const minPosition = native.getSequenceKvCacheMinPosition!;
  // The binding's methods are read-only on its prototype: shadow it with an own property, then remove that.
  Object.defineProperty(native, 'getSequenceKvCacheMinPosition', {
    configurable: true,
    value: (sequenceId: number) => (sequenceId === id ? Number.MAX_SAFE_INTEGER : minPosition.call(native, sequenceId)),
  });
  try {
    return await cut();
  } finally {
    delete native.getSequenceKvCacheMinPosition;
  }
}

function canForceRestore(sequence: LlamaContextSequence): boolean {
  const internals = sequence as unknown as SequenceInternals;
  return typeof internals._sequenceId === 'number' && typeof internals._context?._ctx?.getSequenceKvCacheMinPosition === 'function';
}

/** How many checkpoints the sequence keeps, and the memory they take (RAM, not the KV cache). */
export function checkpointStats(sequence: LlamaContextSequence): { count: number; bytes: number } {
  return { count: checkpointLengths(sequence).length, bytes: sequence.checkpointsMemoryUsage };
}

/** Token counts the sequence's checkpoints restore, ascending. */
export function checkpointLengths(sequence: LlamaContextSequence): number[] {
  const entries = (sequence as unknown as SequenceInternals)._checkpoints?._checkpoints;
  if (!Array.isArray(entries)) return [];
  const lengths: number[] = [];
  for (const entry of entries) {
    const maxPos = Array.isArray(entry) ? (entry[1] as { maxPos?: unknown } | undefined)?.maxPos : undefined;
    if (typeof maxPos === 'number' && maxPos >= 0) lengths.push(maxPos + 1);
  }
  return lengths.sort((a, b) => a - b);
}
