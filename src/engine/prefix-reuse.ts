// How much of a new prompt a slot's cache can really keep, by how the model's memory rolls back.
// Pure arithmetic over what the sequence holds; llama/sequence-memory.ts reads those facts from
// node-llama-cpp and llama/generation.ts carries the plan out.
//
// Attention layers keep one cell per token, so any suffix can be dropped: a slot keeps the whole
// shared prefix. Two kinds of layers cannot go back to an arbitrary earlier token:
//
// - sliding-window attention keeps only the cells of the last `window` tokens (plus a batch),
//   and llama.cpp reuses any cell the window has left behind, so after a few turns the cells
//   just before a cut may hold other positions even though older ones survive (measured on the
//   gemma3 fixture: dropping a suffix directly changed the next turn's output at temperature 0);
// - recurrent layers (Mamba, short convolutions, gated delta nets in hybrid models) hold one
//   state for the whole sequence: no suffix can be dropped at all.
//
// For those, a checkpoint (a copy of the part of the state that cannot be rolled back, taken at
// a token index while prefilling) restores an earlier point, and the prompt is evaluated from
// there. llama.cpp's server does the same (tools/server/server-context.cpp, context checkpoints,
// `pos_min_thold`) and takes them 4 and 4 + batch tokens before the prompt's end. We take them
// where the chat layer knows a later prompt may diverge instead: where the generation prompt
// starts (the next turn drops or re-renders it: an empty think block, say — 4 tokens do not
// cover `<think>\n\n</think>\n\n` in a vocab without a `<think>` token) and where the last
// user message's text starts (a client that edits or retries it); llama.cpp's places only
// when the chat layer knows none.

export type Rollback =
  /** Attention only (or sliding-window layers with a full cache): any suffix can be dropped. */
  | { kind: 'any' }
  /** Sliding-window attention layers that keep only the last cells. */
  | { kind: 'window'; window: number }
  /** Recurrent state (recurrent or hybrid models): no suffix can be dropped, only checkpoints restore. */
  | { kind: 'none' };

export interface SequenceMemory {
  rollback: Rollback;
  /** The tokens the sequence holds, in order. */
  held: readonly number[];
  /** Token counts a checkpoint restores (a checkpoint taken after evaluating n tokens restores n), ascending. */
  checkpoints: readonly number[];
}

export interface ReusePlan {
  /** Prompt tokens the slot keeps; evaluation starts after them. */
  keep: number;
  /**
   * `append`: the slot holds a prefix of the prompt, nothing is dropped; `truncate`: the suffix
   * after `keep` is dropped; `checkpoint`: a checkpoint restores the state after `keep` tokens;
   * `none`: nothing reusable (the slot starts over).
   */
  via: 'append' | 'truncate' | 'checkpoint' | 'none';
}

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  while (i < max && a[i] === b[i]) i++;
  return i;
}

/**
 * The longest prefix of `prompt` the sequence can keep. The prompt's last token is never kept:
 * evaluating it gives the logits the generation starts from.
 */
export function planReuse(memory: SequenceMemory, prompt: readonly number[]): ReusePlan {
  const common = Math.min(commonPrefixLength(memory.held, prompt), Math.max(0, prompt.length - 1));
  if (common === 0) return { keep: 0, via: 'none' };
  if (common === memory.held.length) return { keep: common, via: 'append' };
  if (memory.rollback.kind === 'any') return { keep: common, via: 'truncate' };
  // Sliding window or recurrent state: only a checkpoint at or before the cut returns correctly.
  const checkpoint = lastAtOrBelow(memory.checkpoints, common);
  return checkpoint > 0 ? { keep: checkpoint, via: 'checkpoint' } : { keep: 0, via: 'none' };
}

/**
 * Where to take checkpoints while prefilling a prompt of `promptLength` tokens from `from`
 * (exclusive) on: the `requested` token counts (where the chat layer knows a later prompt may
 * diverge), or without those 4 and 4 + `batchSize` tokens before its end, as llama.cpp's server
 * does. Not both: a checkpoint of a big sliding-window model takes hundreds of MiB, and memory
 * limits drop the oldest first, which would drop the requested ones before the guessed ones.
 * Ascending, distinct, each strictly between `from` and the last prompt token.
 */
export function prefillCheckpoints(promptLength: number, from: number, batchSize: number, requested: readonly number[] = []): number[] {
  const wanted = requested.length > 0 ? requested : [promptLength - 4 - batchSize, promptLength - 4];
  return [...new Set(wanted)].filter((point) => point > from && point < promptLength - 1).sort((a, b) => a - b);
}

function lastAtOrBelow(sorted: readonly number[], limit: number): number {
  let best = 0;
  for (const value of sorted) if (value <= limit && value > best) best = value;
  return best;
}
