// Evaluating a draft: the tokens that lead the step and the drafted ones go into the slot's
// sequence in one decode (batched with the other slots by node-llama-cpp's dispatcher, as any
// evaluation), and the model's own next token is sampled after each of them, each under its
// own sampling state (grammar, penalties) as if the draft before it had been sampled.
//
// node-llama-cpp (3.22.1, pinned; batch-gathering.ts) has speculative decoding of its own
// (`tokenPredictor`), but its verification samples every drafted position under one grammar
// state and one penalty window, so with a grammar or penalties its output differs from plain
// decoding; and it drafts only when a predictor pushes, not when we choose. So this calls the
// same private parts its own `_speculativeEvaluate` does: the sequence's `_decodeTokens`, its
// sampler-config resolution, and the native `sampleToken` with a native sampler. `supported()`
// checks their shape; without them the engine decodes without speculation.

import type { LlamaContextSequence, LlamaGrammarEvaluationState, LlamaModel, SequenceEvaluateOptions, Token } from 'node-llama-cpp';

/** node-llama-cpp's default evaluation priority (`defaultEvaluationPriority`). */
const EVALUATION_PRIORITY = 5;

interface NativeSampler {
  applyConfig(config: Record<string, unknown>): void;
  dispose(): void;
}

interface SequenceInternals {
  _decodeTokens(
    tokens: Token[],
    logits: boolean[],
    priority: number,
    tokenMeter: unknown,
    contextShift: unknown,
    mapper: (batchLogitIndex: number, tokenIndex: number) => unknown,
    afterBatchAction?: (sequenceStateLength: number) => unknown,
  ): Promise<unknown[]>;
  _resolveSamplerConfig(options: SamplerOptions): Record<string, unknown>;
  _tokenMeter: unknown;
  _contextShift: { size: unknown; strategy: unknown };
  _takeIntervalCheckpointIfNeededAfterBatch: (sequenceStateLength: number) => unknown;
  _sequenceId: number;
  _nextTokenIndex: number;
  _contextTokens: Token[];
  _context: {
    _ctx: {
      sampleToken(batchLogitIndex: number, sampler: NativeSampler): Promise<number>;
      removeTokenCellsFromSequence(sequenceId: number, start: number, end: number): boolean;
    };
  };
}

interface ModelInternals {
  _model: unknown;
  _llama: { _bindings: { AddonSampler: new (model: unknown) => NativeSampler } };
}

/** What sampling one position needs: node-llama-cpp's evaluate options, penalties with a concrete window. */
export type SamplerOptions = Pick<SequenceEvaluateOptions, 'temperature' | 'topK' | 'topP' | 'minP' | 'seed' | 'tokenBias'> & {
  grammarEvaluationState?: LlamaGrammarEvaluationState;
  repeatPenalty?: { punishTokens: Token[]; maxPunishTokens: number; penalty?: number; presencePenalty?: number; frequencyPenalty?: number };
};

/** Whether this node-llama-cpp has the private parts draft verification uses. */
export function supported(sequence: LlamaContextSequence, model: LlamaModel): boolean {
  const internals = sequence as unknown as Partial<SequenceInternals>;
  const modelInternals = model as unknown as Partial<ModelInternals>;
  return (
    typeof internals._decodeTokens === 'function' &&
    typeof internals._resolveSamplerConfig === 'function' &&
    typeof internals._context?._ctx?.sampleToken === 'function' &&
    typeof internals._context._ctx.removeTokenCellsFromSequence === 'function' &&
    typeof internals._sequenceId === 'number' &&
    typeof internals._nextTokenIndex === 'number' &&
    Array.isArray(internals._contextTokens) &&
    internals._contextShift !== undefined &&
    typeof modelInternals._llama?._bindings?.AddonSampler === 'function'
  );
}

/** One generation's verifier: it holds one native sampler (each takes a vocabulary-sized buffer) until closed. */
export class DraftVerifier {
  private readonly sampler: NativeSampler;

  constructor(
    private readonly sequence: LlamaContextSequence,
    model: LlamaModel,
  ) {
    const internals = model as unknown as ModelInternals;
    this.sampler = new internals._llama._bindings.AddonSampler(internals._model);
  }

  /**
   * Evaluates `lead` then `draft` in the sequence and samples the model's token after the last
   * lead token and after each draft token, position i with `optionsAt(i)`, until one differs from
   * the draft (or after the last draft token): those are returned, so the last one returned is the
   * model's own next token and the ones before it confirmed the draft. The refuted draft tokens
   * are removed from the sequence (it then holds the lead and the confirmed draft), all but
   * `unremoved` of them: where llama.cpp refused the removal, the caller erases those.
   *
   * The refuted tokens are removed while node-llama-cpp's batch loop waits for this sequence
   * after the batch (its `afterBatchAction`): no decode is running then, and removing them later
   * would need the context lock, which the loop holds while other slots keep it busy.
   */
  async verify(lead: readonly Token[], draft: readonly Token[], optionsAt: (position: number) => SamplerOptions): Promise<{ sampled: Token[]; unremoved: number }> {
    const internals = this.sequence as unknown as SequenceInternals;
    const tokens = [...lead, ...draft];
    const first = lead.length - 1;
    const start = internals._nextTokenIndex;
    const logits: boolean[] = [];
    for (let i = first; i < tokens.length; i++) logits[i] = true;
    const sampled: Token[] = [];
    let decided = false;
    let removed = 0;
    const native = internals._context._ctx;
    // BatchGathering wraps this on the instance (it waits for the other slots after a batch): read it now.
    const afterBatch = internals._takeIntervalCheckpointIfNeededAfterBatch;
    await internals._decodeTokens(
      tokens,
      logits,
      EVALUATION_PRIORITY,
      internals._tokenMeter,
      { size: internals._contextShift.size, strategy: internals._contextShift.strategy },
      // node-llama-cpp calls this for one position after the previous one's promise settled.
      async (batchLogitIndex, tokenIndex) => {
        const position = tokenIndex - first;
        if (decided) return null;
        this.sampler.applyConfig(internals._resolveSamplerConfig(optionsAt(position)));
        const token = (await native.sampleToken(batchLogitIndex, this.sampler)) as Token;
        if (typeof token !== 'number' || token < 0) throw new Error(`sampling failed at draft position ${position}`);
        sampled.push(token);
        if (position >= draft.length || token !== draft[position]) decided = true;
        return token;
      },
      (length) => {
        const refuted = draft.length - (sampled.length - 1);
        if (decided && refuted > 0 && removed === 0) {
          const from = start + lead.length + sampled.length - 1;
          if (native.removeTokenCellsFromSequence(internals._sequenceId, from, from + refuted)) removed = refuted;
        }
        return afterBatch(length);
      },
    );
    if (!decided) throw new Error('the draft was not verified to its end');
    if (removed > 0) {
      // node-llama-cpp counted every token in after the decode; the removed ones are not held.
      internals._nextTokenIndex -= removed;
      internals._contextTokens.length -= removed;
    }
    return { sampled, unremoved: draft.length - (sampled.length - 1) - removed };
  }

  close(): void {
    this.sampler.dispose();
  }
}
