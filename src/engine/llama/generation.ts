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
import type { AdaptiveDraftLength } from '../speculation/draft-length.js';
import type { Drafter, TokenHistory } from '../speculation/drafter.js';
import { DraftVerifier, type SamplerOptions } from './verify-draft.js';

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
  /** Speculative decoding: drafts from `drafter`, at most `length.next()` tokens at a time; unset: one token per step. */
  speculation?: Speculation;
}

export interface Speculation {
  drafter: Drafter;
  length: AdaptiveDraftLength;
  /** Drafts shorter than this are not verified (llama-server's --spec-draft-n-min). */
  minDraft: number;
}

/** What speculative decoding did for one request. */
export interface SpeculationStats {
  /** Tokens proposed and verified. */
  drafted: number;
  /** Drafted tokens the model agreed with. */
  accepted: number;
  /** Decode steps that verified a draft. */
  steps: number;
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
  private readonly speculation: Speculation | undefined;
  readonly speculationStats: SpeculationStats = { drafted: 0, accepted: 0, steps: 0 };

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
      speculation: this.speculation,
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
      await this.speculation?.drafter.close();
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
      usage: {
        promptTokens: this.prompt.length,
        cachedTokens: this.cachedTokens,
        completionTokens: this.output.tokens.length,
        ...(this.speculation ? { speculative: { drafted: this.speculationStats.drafted, accepted: this.speculationStats.accepted } } : {}),
      },
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
    if (this.speculation) return yield* this.sampleWithDrafts(input, this.speculation);
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
   * Like `sample`, but each step evaluates a draft with the tokens that lead it (verify-draft.ts)
   * and keeps the model's own tokens up to the first that differs from the draft: the output is
   * what plain decoding gives (at temperature 0 the same tokens; sampling, the same
   * distribution), in fewer steps when drafts are right. Each drafted position is sampled under
   * the grammar state and penalty window it would have had, so a grammar or penalties do not
   * change the output either; drafts the grammar refuses are cut before they cost a decode.
   */
  private async *sampleWithDrafts(input: Token[], speculation: Speculation): AsyncGenerator<CompletionEvent, SamplingEnd> {
    const { signal } = this.request;
    const verifier = new DraftVerifier(this.sequence, this.model);
    let lead = input;
    try {
      for (;;) {
        signal?.throwIfAborted();
        // Never past max_tokens, nor past the context (node-llama-cpp would shift it).
        const room = Math.min(this.maxTokens - this.output.tokens.length - 1, this.cache.contextSize - 1 - this.sequence.nextTokenIndex - lead.length);
        const limit = Math.min(speculation.length.next(), room);
        const proposed = limit > 0 ? this.beforeEndOfGeneration((await speculation.drafter.draft(this.history(), limit)).tokens.slice(0, limit)) : [];
        const { draft, states } = this.underGrammar(proposed);
        if (draft.length < speculation.minDraft) draft.length = 0;
        const { sampled, unremoved } = await verifier.verify(lead, draft, (position) => this.samplerOptionsAt(position, draft, states));
        // `used`: sampled tokens taken; the first `accepted` of them confirmed the draft.
        let used = 0;
        let accepted = 0;
        let end: SamplingEnd | undefined;
        for (const token of sampled) {
          if (this.model.isEogToken(token)) {
            end = { type: 'end' };
            break;
          }
          this.firstTokenAt ??= performance.now();
          used++;
          const step = this.output.push(token);
          if (step.emit) yield { type: 'text', text: step.emit };
          end = samplingEndAfter(step, { generated: this.output.tokens.length, maxTokens: this.maxTokens, thinkingBudgetSpent: this.output.thinkingBudgetSpent() });
          if (end || signal?.aborted || used > draft.length || token !== draft[used - 1]) break;
          accepted++;
        }
        if (draft.length > 0) {
          this.speculationStats.drafted += draft.length;
          this.speculationStats.accepted += accepted;
          this.speculationStats.steps++;
          speculation.length.record(draft.length, accepted);
          speculation.drafter.record?.(draft.length, accepted);
        }
        // The sequence holds the lead and the confirmed draft tokens (sampled.length - 1 of them,
        // and `unremoved` refuted ones). It keeps those followed by a token taken: that last token
        // is the next lead, not evaluated yet; or an end of generation followed them (then all
        // taken tokens are evaluated, as without drafts). Fewer than confirmed only when the
        // output ended inside the confirmed run (a stop string, the tool-call trigger, max_tokens).
        const extra = sampled.length - 1 - accepted + unremoved;
        if (extra > 0) await this.eraseLast(extra);
        // The state sampled at the last position taken has accepted every token taken.
        if (states.length > 0) this.grammarState = states[Math.max(0, used - 1)];
        if (end) return end;
        signal?.throwIfAborted();
        lead = this.output.tokens.slice(-1);
      }
    } finally {
      verifier.close();
      this.garbage?.samplerDone();
    }
  }

  /** A draft up to its first end-of-generation token: the model's own token after the draft says whether it ends. */
  private beforeEndOfGeneration(tokens: number[]): Token[] {
    const end = tokens.findIndex((token) => this.model.isEogToken(token as Token));
    return (end === -1 ? tokens : tokens.slice(0, end)) as Token[];
  }

  /** The generation's tokens so far: the prompt, then the output. */
  private history(): TokenHistory {
    const { prompt, output } = this;
    return {
      length: prompt.length + output.tokens.length,
      slice: (start) => (start >= prompt.length ? output.tokens.slice(start - prompt.length) : [...prompt.slice(start), ...output.tokens]),
    };
  }

  /**
   * Under a grammar: the draft up to the first token the grammar refuses, and the grammar state
   * each drafted position is sampled under (position 0: the generation's own state; position i:
   * a copy that accepted the first i drafted tokens). Without a grammar, no states.
   */
  private underGrammar(proposed: Token[]): { draft: Token[]; states: LlamaGrammarEvaluationState[] } {
    const state = this.grammarState;
    if (!state) return { draft: proposed, states: [] };
    const states = [state];
    const draft: Token[] = [];
    let running = state.clone();
    for (const token of proposed) {
      if (this.model.isEogToken(token) || !acceptTokens(running, [token])) break;
      draft.push(token);
      states.push(running);
      running = running.clone();
    }
    return { draft, states };
  }

  /** Sampling options for drafted position `position`: this generation's, with the grammar state and penalty window of that position. */
  private samplerOptionsAt(position: number, draft: readonly Token[], states: readonly LlamaGrammarEvaluationState[]): SamplerOptions {
    const penalty = this.sampling.penalty;
    return {
      ...this.samplingBase(),
      ...(states[position] ? { grammarEvaluationState: states[position] } : {}),
      ...(penalty
        ? {
            repeatPenalty: {
              // Only the window's worth of output is copied: this runs for every drafted position.
              punishTokens: lastTokens(this.prompt, [...this.output.tokens.slice(-penalty.lastN), ...draft.slice(0, position)], penalty.lastN),
              maxPunishTokens: penalty.lastN,
              penalty: penalty.repeat,
              presencePenalty: penalty.presence,
              frequencyPenalty: penalty.frequency,
            },
          }
        : {}),
    };
  }

  /** The request's sampling settings both decoding paths share (grammar and penalties are theirs). */
  private samplingBase(): Pick<SamplerOptions, 'temperature' | 'topK' | 'topP' | 'minP' | 'seed' | 'tokenBias'> {
    const { sampling } = this;
    return {
      temperature: sampling.temperature,
      topK: sampling.topK,
      topP: sampling.topP,
      minP: sampling.minP,
      ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
      ...(this.tokenBias ? { tokenBias: this.tokenBias } : {}),
    };
  }

  /** Drop the last `count` tokens from the sequence (refuted draft tokens). */
  private async eraseLast(count: number): Promise<void> {
    const end = this.sequence.nextTokenIndex;
    this.untrack();
    await this.underContextLock(() => this.sequence.eraseContextTokenRanges([{ start: end - count, end }]));
    this.untrack = this.cache.gathering?.track(this.sequence) ?? (() => undefined);
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
    this.speculation?.drafter.truncate(all.length);
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
    const penalty = this.sampling.penalty;
    return {
      ...this.samplingBase(),
      ...(this.grammarState ? { grammarEvaluationState: this.grammarState } : {}),
      ...(penalty
        ? {
            repeatPenalty: {
              punishTokens: () => lastTokens(this.prompt, this.output.tokens, penalty.lastN),
              maxPunishTokens: penalty.lastN,
              penalty: penalty.repeat,
              presencePenalty: penalty.presence,
              frequencyPenalty: penalty.frequency,
            },
          }
        : {}),
    };
  }

  /** One line per request: where the time went, and what speculative decoding did. */
  private logFinished(started: number): void {
    const finished = performance.now();
    const generated = this.output.tokens.length;
    const { firstTokenAt } = this;
    const decodeTokPerSec = firstTokenAt && generated > 1 ? ((generated - 1) * 1000) / (finished - firstTokenAt) : undefined;
    const { drafted, accepted, steps } = this.speculationStats;
    const speculation = this.speculation ? { drafted, accepted, draftSteps: steps, acceptance: drafted > 0 ? Number((accepted / drafted).toFixed(3)) : undefined } : {};
    const prefillMs = Math.round((firstTokenAt ?? finished) - started);
    const summary = `${this.prompt.length} prompt tokens (${this.cachedTokens} cached), ${generated} generated${decodeTokPerSec !== undefined ? ` at ${decodeTokPerSec.toFixed(1)} tok/s` : ''}${
      this.speculation ? `, ${accepted}/${drafted} drafted tokens accepted` : ''
    }`;
    this.logger.info(
      {
        requestId: this.request.id,
        cache: this.cache.name,
        promptTokens: this.prompt.length,
        cachedTokens: this.cachedTokens,
        generated,
        prefillMs,
        decodeTokPerSec,
        ...speculation,
      },
      `completion finished: ${summary}`,
    );
  }
}

/** OpenAI's logit_bias as node-llama-cpp applies it: the value added to the token's logit, as llama-server does. */
function tokenBiasOf(model: LlamaModel, bias: Readonly<Record<number, number>>): TokenBias {
  const tokenBias = new TokenBias(model.tokenizer);
  for (const [token, value] of Object.entries(bias)) tokenBias.set(Number(token) as Token, { logit: value });
  return tokenBias;
}
