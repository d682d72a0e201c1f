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
    afterBatchAction?: unknown,
  ): Promise<unknown[]>;
  _resolveSamplerConfig(options: SamplerOptions): Record<string, unknown>;
  _tokenMeter: unknown;
  _contextShift: { size: unknown; strategy: unknown };
  _takeIntervalCheckpointIfNeededAfterBatch: unknown;
  _context: { _ctx: { sampleToken(batchLogitIndex: number, sampler: NativeSampler): Promise<number> } };
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
   * Evaluates `lead` then `draft` in the sequence and returns the token sampled after the last
   * lead token and after each draft token (draft.length + 1 tokens), position i sampled with
   * `optionsAt(i)`. The caller keeps the sampled tokens up to the first that differs from the
   * draft, and erases the draft tokens after it from the sequence.
   */
  async verify(lead: readonly Token[], draft: readonly Token[], optionsAt: (position: number) => SamplerOptions): Promise<Token[]> {
    const internals = this.sequence as unknown as SequenceInternals;
    const tokens = [...lead, ...draft];
    const first = lead.length - 1;
    const logits: boolean[] = [];
    for (let i = first; i < tokens.length; i++) logits[i] = true;
    const contextShift = { size: internals._contextShift.size, strategy: internals._contextShift.strategy };
    // node-llama-cpp calls the mapper for one position after the previous one's promise settled.
    const results = await internals._decodeTokens(
      tokens,
      logits,
      EVALUATION_PRIORITY,
      internals._tokenMeter,
      contextShift,
      (batchLogitIndex, tokenIndex) => {
        this.sampler.applyConfig(internals._resolveSamplerConfig(optionsAt(tokenIndex - first)));
        return internals._context._ctx.sampleToken(batchLogitIndex, this.sampler);
      },
      // BatchGathering wraps this on the instance (it waits for the other slots after a batch): read it now.
      internals._takeIntervalCheckpointIfNeededAfterBatch,
    );
    const sampled: Token[] = [];
    for (let i = first; i < tokens.length; i++) {
      const token = results[i];
      if (typeof token !== 'number' || token < 0) throw new Error(`sampling failed at draft position ${i - first}`);
      sampled.push(token as Token);
    }
    return sampled;
  }

  close(): void {
    this.sampler.dispose();
  }
}
