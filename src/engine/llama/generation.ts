// One request's run on one slot: prefill, then sampling through the phases of phases.ts until
// done. Yields the request's text and its `done` event (the engine has sent `accepted`).

import { LlamaGrammarEvaluationState, TokenBias, type LlamaContextSequence, type LlamaGrammar, type LlamaModel, type SequenceEvaluateOptions, type Token } from 'node-llama-cpp';
import type { Logger } from '../../log.js';
import { GeneratedOutput } from '../generated-output.js';
import { lastTokens, resolveSampling, type ResolvedSampling } from '../sampling.js';
import type { CompletionEvent, CompletionRequest } from '../types.js';
import { prefillCheckpoints } from '../prefix-reuse.js';
import type { LlamaCache } from './load.js';
import type { NativeGarbage } from './native-garbage.js';
import { cutTo } from './sequence-memory.js';
import { afterClosingThinking, afterPrefill, afterSampling, samplingEndAfter, type GenerationPhase, type SamplingEnd } from './phases.js';

export interface GenerationSetup {
  model: LlamaModel;
  cache: LlamaCache;
  /** The slot's sequence, acquired for this request. */
  sequence: LlamaContextSequence;
  prompt: Token[];
  request: CompletionRequest;
  /** The request's constraint as a grammar: forced, or lazy (`lazy_gbnf`: from a trigger on). */
  grammar: LlamaGrammar | undefined;
  logger: Logger;
  /** Token counts where a later prompt may diverge (CompletionRequest.reusePoints): checkpoints go there too. */
  checkpointAt?: readonly number[];
  /** Told of every evaluate call, whose sampler leaves native memory only a GC frees (native-garbage.ts). */
  garbage?: NativeGarbage;
}

/** node-llama-cpp's grammar bindings, internal: its own LlamaChat feeds a grammar tokens this way (version pinned, package.json). */
interface GrammarBindings {
  canBeNextTokenForGrammarEvaluationState(state: unknown, token: Token): boolean;
  acceptGrammarEvaluationStateToken(state: unknown, token: Token): void;
}

/**
 * Feeds `tokens` to a grammar state as if sampled under it, if it accepts every one (else the
 * state is left part-way: throw it away). False also where the bindings are not as expected.
 */
function acceptTokens(state: LlamaGrammarEvaluationState, tokens: readonly Token[]): boolean {
  const internal = state as unknown as { _llama?: { _bindings?: { AddonSampler?: Partial<GrammarBindings> } }; _state?: unknown };
  const bindings = internal._llama?._bindings?.AddonSampler;
  if (typeof bindings?.canBeNextTokenForGrammarEvaluationState !== 'function' || typeof bindings.acceptGrammarEvaluationStateToken !== 'function') return false;
  for (const token of tokens) {
    if (!bindings.canBeNextTokenForGrammarEvaluationState(internal._state, token)) return false;
    bindings.acceptGrammarEvaluationStateToken(internal._state, token);
  }
  return true;
}

export class Generation {
  private readonly model: LlamaModel;
  private readonly cache: LlamaCache;
  private readonly sequence: LlamaContextSequence;
  private readonly prompt: Token[];
  private readonly request: CompletionRequest;
  private readonly grammar: LlamaGrammar | undefined;
  private readonly logger: Logger;
  private readonly garbage: NativeGarbage | undefined;
  private readonly checkpointAt: readonly number[];
  private readonly sampling: ResolvedSampling;
  private readonly tokenBias: TokenBias | undefined;
  private readonly maxTokens: number;
  private readonly output: GeneratedOutput<Token>;
  /** Set while sampling under the grammar (a forced grammar: from the start). */
  private grammarState: LlamaGrammarEvaluationState | undefined;
  /** Takes the slot out of its context's batches again; a no-op while it is not evaluating. */
  private untrack: () => void = () => undefined;
  private cachedTokens = 0;
  private firstTokenAt: number | undefined;

  constructor(setup: GenerationSetup) {
    ({
      model: this.model,
      cache: this.cache,
      sequence: this.sequence,
      prompt: this.prompt,
      request: this.request,
      grammar: this.grammar,
      logger: this.logger,
      garbage: this.garbage,
    } = setup);
    this.checkpointAt = setup.checkpointAt ?? [];
    const room = this.cache.contextSize - this.prompt.length;
    this.maxTokens = Math.min(this.request.maxTokens ?? room, room);
    this.sampling = resolveSampling(this.request.sampling);
    this.tokenBias = this.sampling.logitBias && tokenBiasOf(this.model, this.sampling.logitBias);
    const detokenize = (tokens: readonly number[], last: readonly number[]) => this.model.detokenize(tokens as Token[], true, last as Token[]);
    this.output = new GeneratedOutput<Token>(this.request, detokenize);
    const forced = this.grammar !== undefined && this.request.constraint?.type !== 'lazy_gbnf';
    this.grammarState = forced ? this.newGrammarState() : undefined;
  }

  /** `reused`: prompt tokens the slot's cache already holds and keeps. */
  async *run(reused: number): AsyncGenerator<CompletionEvent> {
    const started = performance.now();
    let phase: GenerationPhase = { name: 'prefill' };
    /** Tokens not evaluated yet: they lead the next evaluation. */
    let lead: Token[] = [];
    try {
      while (phase.name !== 'done') {
        switch (phase.name) {
          case 'prefill':
            lead = await this.prefill(reused);
            phase = afterPrefill({ forcedGrammar: this.grammarState !== undefined, thinkingBudgetSpent: this.output.thinkingBudgetSpent(), maxTokens: this.maxTokens });
            break;
          case 'closing-thinking':
            lead = [...lead, ...(yield* this.closeThinking())];
            phase = afterClosingThinking(phase, this.maxTokens);
            break;
          case 'free':
          case 'constrained':
            if (phase.name === 'constrained' && phase.triggerAt !== undefined) {
              const entered = await this.enterGrammar(phase.triggerAt, lead);
              if (entered.emit) yield { type: 'text', text: entered.emit };
              lead = entered.lead;
            }
            phase = afterSampling(phase, yield* this.sample(lead));
            // The last token sampled has not been evaluated yet; it leads the next phase's input.
            lead = this.output.tokens.slice(-1);
            break;
        }
      }
    } finally {
      this.untrack();
    }
    if (phase.stop !== 'stop_sequence') {
      const rest = this.output.flush();
      if (rest) yield { type: 'text', text: rest };
    }
    this.logFinished(started);
    yield {
      type: 'done',
      stop: phase.stop,
      ...(phase.stopSequence !== undefined ? { stopSequence: phase.stopSequence } : {}),
      usage: { promptTokens: this.prompt.length, cachedTokens: this.cachedTokens, completionTokens: this.output.tokens.length },
    };
  }

  /**
   * Keeps the reusable prefix (`reused`, planned by prefix-reuse.ts) and evaluates the rest of
   * the prompt but its last token, which it returns. On a model whose memory cannot roll back,
   * checkpoints are taken where a later prompt may diverge (`checkpointAt`; else near the end).
   */
  private async prefill(reused: number): Promise<Token[]> {
    const { signal } = this.request;
    await this.keepOnly(this.prompt.slice(0, reused));
    this.cachedTokens = this.sequence.nextTokenIndex;
    if (this.cachedTokens !== reused) {
      this.logger.warn({ requestId: this.request.id, planned: reused, kept: this.cachedTokens }, 'the slot kept another prefix than planned; cached_tokens reports what it kept');
    }
    // Prefill in batch-sized chunks so an abort is noticed between chunks, not after the whole prompt.
    const chunk = this.cache.context.batchSize;
    const checkpoints = this.cache.rollback.kind === 'any' ? [] : prefillCheckpoints(this.prompt.length, this.cachedTokens, chunk, this.checkpointAt);
    let next = this.cachedTokens;
    while (this.prompt.length - 1 - next > 0) {
      signal?.throwIfAborted();
      const checkpoint = checkpoints.find((point) => point > next);
      const end = Math.min(this.prompt.length - 1, next + chunk, checkpoint ?? Number.POSITIVE_INFINITY);
      await this.evaluateWithoutSampling(this.prompt.slice(next, end));
      next = end;
      if (end === checkpoint) await this.takeCheckpoint();
    }
    signal?.throwIfAborted();
    return this.prompt.slice(next);
  }

  /** Evaluates tokens without sampling (node-llama-cpp still makes a sampler for the call). */
  private async evaluateWithoutSampling(tokens: Token[]): Promise<void> {
    try {
      await this.sequence.evaluateWithoutGeneratingNewTokens(tokens);
    } finally {
      this.garbage?.samplerDone();
    }
  }

  /** A checkpoint of the sequence as it is now (node-llama-cpp takes it under the context lock, so no batch decodes meanwhile). */
  private async takeCheckpoint(): Promise<void> {
    this.untrack();
    await this.underContextLock(() => this.sequence.takeCheckpoint());
    this.untrack = this.cache.gathering?.track(this.sequence) ?? (() => undefined);
  }

  /** One `evaluate` stream from `input`, until a token ends the phase or the model ends its output. */
  private async *sample(input: Token[]): AsyncGenerator<CompletionEvent, SamplingEnd> {
    const { signal } = this.request;
    let end: SamplingEnd = { type: 'end' };
    try {
      for await (const token of this.sequence.evaluate(input, this.evaluateOptions())) {
        this.firstTokenAt ??= performance.now();
        const step = this.output.push(token);
        if (step.emit) yield { type: 'text', text: step.emit };
        const ended = samplingEndAfter(step, { generated: this.output.tokens.length, maxTokens: this.maxTokens, thinkingBudgetSpent: this.output.thinkingBudgetSpent() });
        if (ended) {
          end = ended;
          break;
        }
        if (signal?.aborted) break;
      }
    } finally {
      // node-llama-cpp made a sampler for this stream; it is done with it now.
      this.garbage?.samplerDone();
    }
    signal?.throwIfAborted();
    return end;
  }

  /**
   * Entering the grammar at a trigger (text offset `at`), as llama.cpp's lazy grammar does: the
   * grammar accepts the output from the trigger on as the model sampled it (the rest of the token
   * the trigger starts in, then the tokens after it), and the model keeps its own tokens. Only
   * when the grammar refuses that text does the engine rewind (`rewindTo`). Rewinding whenever a
   * trigger started inside a token (`.</` `think` `><` `tool` `_call` `>`: `<tool_call>` starts in
   * `><`) had the model go on from a spelling it never wrote (`>` then the grammar's own `<tool_call>`),
   * where it could lose its way: issue 14, GLM-4.7 after its reasoning. Returns the text to pass on
   * (what the trigger scanner held back) and the tokens that lead the constrained sampling.
   */
  private async enterGrammar(at: number, lead: Token[]): Promise<{ emit: string; lead: Token[] }> {
    const state = this.newGrammarState();
    const input = this.output.grammarInputFrom(at, (text) => this.model.tokenize(text, false));
    if (input && acceptTokens(state, input)) {
      this.grammarState = state;
      return { emit: this.output.continueUnderGrammar(), lead };
    }
    return { emit: '', lead: await this.rewindTo(at) };
  }

  /**
   * Rewind to the token where the trigger starts and let the grammar write it again, so the
   * grammar sees the whole tool call. Text before the trigger in that token is kept. Returns the
   * tokens that lead the constrained sampling.
   */
  private async rewindTo(at: number): Promise<Token[]> {
    const kept = this.output.rewindTo(at, (text) => this.model.tokenize(text, true));
    const all = [...this.prompt, ...kept.tokens];
    await this.keepOnly(all.slice(0, -1));
    // A model whose memory cannot roll back went back to a checkpoint before the trigger: evaluate up to it again.
    const restoredTo = this.sequence.nextTokenIndex;
    if (restoredTo < all.length - 1) await this.evaluateWithoutSampling(all.slice(restoredTo, -1));
    this.grammarState = this.newGrammarState();
    return [all.at(-1)!, ...kept.prefix];
  }

  /** Writes the end of thinking for the model; returns the tokens to evaluate. */
  private *closeThinking(): Generator<CompletionEvent, Token[]> {
    const text = this.output.closeThinkingText();
    const tokens = this.model.tokenize(text, true);
    const emit = this.output.append(tokens, text);
    if (emit) yield { type: 'text', text: emit };
    return tokens;
  }

  /**
   * Make the slot's sequence hold `tokens`, a prefix of what it holds (or, where its memory
   * cannot return there, the prefix up to a checkpoint before it: see cutTo). That takes the
   * context lock, so the slot leaves its context's batches first (batch-gathering.ts), and
   * counts for them again afterwards: from here on it evaluates.
   */
  private async keepOnly(tokens: Token[]): Promise<void> {
    this.untrack();
    await this.underContextLock(() => cutTo(this.sequence, this.cache.rollback, tokens));
    this.untrack = this.cache.gathering?.track(this.sequence) ?? (() => undefined);
  }

  /** Run a node-llama-cpp call that takes the context lock, letting a running batch loop hand it over. */
  private underContextLock<T>(operation: () => Promise<T>): Promise<T> {
    return this.cache.gathering ? this.cache.gathering.withContextLock(operation) : operation();
  }

  private newGrammarState(): LlamaGrammarEvaluationState {
    return new LlamaGrammarEvaluationState({ model: this.model, grammar: this.grammar! });
  }

  private evaluateOptions(): SequenceEvaluateOptions {
    const { sampling } = this;
    return {
      temperature: sampling.temperature,
      topK: sampling.topK,
      topP: sampling.topP,
      minP: sampling.minP,
      ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
      ...(this.grammarState ? { grammarEvaluationState: this.grammarState } : {}),
      ...(this.tokenBias ? { tokenBias: this.tokenBias } : {}),
      ...(sampling.penalty
        ? {
            repeatPenalty: {
              punishTokens: () => lastTokens(this.prompt, this.output.tokens, sampling.penalty!.lastN),
              maxPunishTokens: sampling.penalty.lastN,
              penalty: sampling.penalty.repeat,
              presencePenalty: sampling.penalty.presence,
              frequencyPenalty: sampling.penalty.frequency,
            },
          }
        : {}),
    };
  }

  private logFinished(started: number): void {
    const finished = performance.now();
    const generated = this.output.tokens.length;
    const { firstTokenAt } = this;
    this.logger.debug(
      {
        requestId: this.request.id,
        cache: this.cache.name,
        promptTokens: this.prompt.length,
        cachedTokens: this.cachedTokens,
        generated,
        prefillMs: Math.round((firstTokenAt ?? finished) - started),
        decodeTokPerSec: firstTokenAt && generated > 1 ? ((generated - 1) * 1000) / (finished - firstTokenAt) : undefined,
      },
      'completion finished',
    );
  }
}

/** OpenAI's logit_bias as node-llama-cpp applies it: the value added to the token's logit, as llama-server does. */
function tokenBiasOf(model: LlamaModel, bias: Readonly<Record<number, number>>): TokenBias {
  const tokenBias = new TokenBias(model.tokenizer);
  for (const [token, value] of Object.entries(bias)) tokenBias.set(Number(token) as Token, { logit: value });
  return tokenBias;
}
