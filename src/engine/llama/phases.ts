// The phases of one generation and the transitions between them, without a model (generation.ts
// runs them). Each sampling phase (free, constrained) is one `sequence.evaluate` stream; it
// ends when a token says so, and what ended it decides the next phase:
//
//   prefill ──► free ──(trigger)──► constrained           (lazy grammar, or none; the grammar
//                                                           takes over the output from the trigger on)
//   prefill ──► constrained                                (grammar forced from the first token)
//   free, constrained ──(thinking budget spent)──► closing-thinking ──► back to the one it left
//   prefill ──(the prompt spent the budget)──► closing-thinking
//   free, constrained ──(end of output, stop string, token limit)──► done
//
// Like llama.cpp's server, which names its slot states (tools/server/README-dev.md).

import type { OutputStep } from '../generated-output.js';
import type { CompletionStop } from '../types.js';

export type GenerationPhase =
  /** Keeping the slot's shared prefix, then evaluating the rest of the prompt but its last token. */
  | { name: 'prefill' }
  /** Sampling freely; with a lazy grammar, watching the text for its triggers. */
  | { name: 'free' }
  /**
   * Sampling under the grammar: from the first token when the grammar is forced, or from a
   * trigger found at text offset `triggerAt` (once, first: the grammar takes the output from
   * there on as sampled, or the output is rewound there for the grammar to write it again).
   */
  | { name: 'constrained'; triggerAt?: number }
  /** The thinking budget is spent: the end of thinking is written in for the model, then `resume`. */
  | { name: 'closing-thinking'; resume: SamplingPhase['name'] }
  | { name: 'done'; stop: CompletionStop; stopSequence?: string };

export type SamplingPhase = Extract<GenerationPhase, { name: 'free' | 'constrained' }>;

/** Why a sampling phase's stream of tokens ended. */
export type SamplingEnd =
  /** The model ended its output (an end-of-generation token). */
  | { type: 'end' }
  | { type: 'stop_sequence'; stopSequence: string }
  | { type: 'max_tokens' }
  /** A tool-call trigger begins at this text offset. */
  | { type: 'trigger'; at: number }
  | { type: 'thinking_budget_spent' };

export interface SamplingProgress {
  /** Output tokens so far (sampled, and written in for the model). */
  generated: number;
  maxTokens: number;
  thinkingBudgetSpent: boolean;
}

/**
 * After each sampled token: whether it ends the phase, and why (undefined: sample on). A trigger
 * comes first (its token is rewound, so nothing else about it counts), then a stop string, then
 * the token limit, then the thinking budget.
 */
export function samplingEndAfter(step: OutputStep, progress: SamplingProgress): SamplingEnd | undefined {
  if (step.triggerAt !== undefined) return { type: 'trigger', at: step.triggerAt };
  if (step.stopSequence !== undefined) return { type: 'stop_sequence', stopSequence: step.stopSequence };
  if (progress.generated >= progress.maxTokens) return { type: 'max_tokens' };
  if (progress.thinkingBudgetSpent) return { type: 'thinking_budget_spent' };
  return undefined;
}

/** The prompt is in the cache: sample, freely or under a forced grammar, unless the prompt already spent the thinking budget. */
export function afterPrefill(start: { forcedGrammar: boolean; thinkingBudgetSpent: boolean; maxTokens: number }): GenerationPhase {
  const sampling: SamplingPhase['name'] = start.forcedGrammar ? 'constrained' : 'free';
  if (start.thinkingBudgetSpent) return { name: 'closing-thinking', resume: sampling };
  return startSampling(sampling, start.maxTokens);
}

/** A sampling phase ended: done, or on to the grammar at a trigger, or to closing thinking. */
export function afterSampling(phase: SamplingPhase, end: SamplingEnd): GenerationPhase {
  switch (end.type) {
    case 'end':
    case 'max_tokens':
      return { name: 'done', stop: end.type };
    case 'stop_sequence':
      return { name: 'done', stop: 'stop_sequence', stopSequence: end.stopSequence };
    case 'trigger':
      return { name: 'constrained', triggerAt: end.at };
    case 'thinking_budget_spent':
      return { name: 'closing-thinking', resume: phase.name };
  }
}

/** The end of thinking is written in: back to the sampling it interrupted (or that the prompt's spent budget held back). */
export function afterClosingThinking(phase: Extract<GenerationPhase, { name: 'closing-thinking' }>, maxTokens: number): GenerationPhase {
  return startSampling(phase.resume, maxTokens);
}

/** A request that allows no output tokens at all ends before the first sampling. */
function startSampling(name: SamplingPhase['name'], maxTokens: number): GenerationPhase {
  return maxTokens > 0 ? { name } : { name: 'done', stop: 'max_tokens' };
}
