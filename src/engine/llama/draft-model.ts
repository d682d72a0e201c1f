// Draft-model speculation (`--spec-type draft`, `--model-draft`): a small model with the same
// vocabulary guesses the next tokens greedily in its own context, one sequence per slot, and the
// model verifies them (verify-draft.ts). The draft sequence keeps what it evaluated between
// steps and requests: only what changed is evaluated again (refuted drafts are cut, the slot's
// next prompt reuses its prefix, as the model's own sequence does).

import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { FatalError } from '../../errors.js';
import { commonPrefixLength } from '../prefix-reuse.js';
import type { Draft, Drafter, TokenHistory } from '../speculation/drafter.js';
import type { NativeGarbage } from './native-garbage.js';

/**
 * A prompt longer than this (tokens the draft sequence lacks) is evaluated by the draft model in
 * the background, without drafts meanwhile: the first token is not held up by the draft's prefill.
 */
const BACKGROUND_PREFILL_OVER = 32;

export class DraftModelDrafter implements Drafter {
  /** The generation's tokens, as told by `draft` and `truncate`. */
  private readonly history: number[] = [];
  /** The draft's prefill, while it runs in the background. */
  private prefilling: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly sequence: LlamaContextSequence,
    private readonly garbage?: NativeGarbage,
  ) {}

  async draft(history: TokenHistory, limit: number): Promise<Draft> {
    if (history.length > this.history.length) this.history.push(...history.slice(this.history.length));
    if (this.prefilling) return { tokens: [] };
    const missing = this.history.length - 1 - commonPrefixLength(this.sequence.contextTokens, this.history);
    if (missing > BACKGROUND_PREFILL_OVER) {
      const target = this.history.slice(0, -1);
      this.prefilling = this.catchUp(target).finally(() => (this.prefilling = undefined));
      // A failed background prefill only means no drafts: the model's own decoding goes on.
      this.prefilling.catch(() => undefined);
      return { tokens: [] };
    }
    await this.catchUp(this.history.slice(0, -1));
    return { tokens: await this.generate(this.history.at(-1)!, limit) };
  }

  truncate(length: number): void {
    this.history.length = Math.min(this.history.length, length);
  }

  /** Waits for a background prefill: the slot is not released while its draft sequence changes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.prefilling?.catch(() => undefined);
  }

  /** Make the draft sequence hold `tokens`: keep the common prefix, evaluate the rest in batch-sized pieces. */
  private async catchUp(tokens: readonly number[]): Promise<void> {
    await this.sequence.adaptStateToTokens(tokens as Token[], false);
    const chunk = this.sequence.context.batchSize;
    for (let next = this.sequence.nextTokenIndex; next < tokens.length && !this.closed; next = this.sequence.nextTokenIndex) {
      try {
        await this.sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(next, next + chunk) as Token[]);
      } finally {
        this.garbage?.samplerDone();
      }
    }
  }

  /** The draft model's greedy continuation of the sequence + `last`, `limit` tokens at most. */
  private async generate(last: number, limit: number): Promise<number[]> {
    const tokens: number[] = [];
    try {
      for await (const token of this.sequence.evaluate([last as Token], { temperature: 0 })) {
        tokens.push(token);
        if (tokens.length >= limit || this.closed) break;
      }
    } finally {
      this.garbage?.samplerDone();
    }
    return tokens;
  }
}

/**
 * Refuse a draft model whose tokens are not the model's: its guesses would be ids of other
 * words. llama.cpp's test (common_speculative_are_compatible): same tokenizer type, same
 * BOS/EOS, vocabulary sizes within 128, and the same text for every shared id from 5 on.
 */
export function checkDraftVocabulary(model: LlamaModel, draft: LlamaModel, draftPath: string): void {
  const target = vocabularyOf(model);
  const other = vocabularyOf(draft);
  const refuse = (why: string) => {
    throw new FatalError(
      `The draft model ${draftPath} cannot draft for this model: ${why}. A draft model must have the same vocabulary (usually a smaller model of the same family).`,
    );
  };
  if (target.type !== other.type) refuse(`its tokenizer is ${other.type ?? 'unknown'}, the model's is ${target.type ?? 'unknown'}`);
  if (model.tokens.bos !== draft.tokens.bos || model.tokens.eos !== draft.tokens.eos) {
    refuse(`its BOS/EOS tokens are ${draft.tokens.bos}/${draft.tokens.eos}, the model's ${model.tokens.bos}/${model.tokens.eos}`);
  }
  if (Math.abs(target.tokens.length - other.tokens.length) > 128) refuse(`it has ${other.tokens.length} tokens, the model ${target.tokens.length}`);
  const shared = Math.min(target.tokens.length, other.tokens.length);
  for (let id = 5; id < shared; id++) {
    if (target.tokens[id] !== other.tokens[id]) refuse(`token ${id} is ${JSON.stringify(other.tokens[id])} in it, ${JSON.stringify(target.tokens[id])} in the model`);
  }
}

function vocabularyOf(model: LlamaModel): { type: string | undefined; tokens: readonly unknown[] } {
  const tokenizer = (model.fileInfo.metadata as { tokenizer?: { ggml?: { model?: unknown; tokens?: unknown } } }).tokenizer?.ggml;
  return { type: typeof tokenizer?.model === 'string' ? tokenizer.model : undefined, tokens: Array.isArray(tokenizer?.tokens) ? tokenizer.tokens : [] };
}
