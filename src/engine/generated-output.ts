// The output of one completion as the engine builds it, token by token: decoded text with
// split UTF-8 held back, stop strings cut, tool-call triggers and thinking spans watched.
// Keeps which text each token produced so the engine can rewind to a trigger.

import type { Detokenize } from './token-text.js';
import { TokenTextDecoder } from './token-text.js';
import { StopDetector } from './stop-detector.js';
import { ThinkingSpan, TriggerScanner } from './steering.js';
import type { CompletionRequest } from './types.js';

export interface OutputStep {
  /** Text to pass on now. */
  emit: string;
  /** A tool-call trigger begins at this text offset: the engine must rewind to it. */
  triggerAt?: number;
  /** A stop string matched: generation ends (its text is not emitted). */
  stopSequence?: string;
}

export class GeneratedOutput<T extends number = number> {
  readonly tokens: T[] = [];
  /** All decoded text, including what stop/trigger scanning still holds back. */
  private text = '';
  /** `ends[i]`: length of `text` once token i was decoded. */
  private ends: number[] = [];
  private decoder: TokenTextDecoder;
  private stops: StopDetector;
  private thinking: ThinkingSpan | undefined;
  private triggers: TriggerScanner | undefined;
  private thinkingTokens = 0;
  private thinkingClosedForModel = false;
  /** The last step found a stop string along with a trigger (the trigger won). */
  private stopAtTrigger = false;

  constructor(
    private readonly request: Pick<CompletionRequest, 'stop' | 'thinking' | 'constraint'>,
    private readonly detokenize: Detokenize,
  ) {
    this.decoder = new TokenTextDecoder(detokenize);
    this.stops = new StopDetector(request.stop);
    this.thinking = request.thinking ? new ThinkingSpan(request.thinking) : undefined;
    const constraint = request.constraint;
    if (constraint?.type === 'lazy_gbnf') {
      const insideCounts = constraint.insideThinking === true;
      this.triggers = new TriggerScanner(constraint.triggers, (at) => !insideCounts && (this.thinking?.contains(at) ?? false));
    }
  }

  push(token: T): OutputStep {
    this.tokens.push(token);
    const piece = this.decoder.push(token);
    if (this.thinking?.inside) this.thinkingTokens++;
    const step = this.take(piece);
    this.ends.push(this.text.length);
    return step;
  }

  /** Whether the model has thought for as long as the budget allows and must stop now. */
  thinkingBudgetSpent(): boolean {
    const budget = this.request.thinking?.budget;
    if (budget === undefined || this.thinkingClosedForModel || !this.thinking?.inside) return false;
    return this.thinkingTokens >= budget;
  }

  /** The text that ends thinking, written in for the model when its budget is spent. */
  closeThinkingText(): string {
    this.thinkingClosedForModel = true;
    const thinking = this.request.thinking!;
    return thinking.closeWith ?? thinking.close;
  }

  /** Tokens the engine adds itself (not sampled), with their text; returns what to emit. */
  append(tokens: readonly T[], text: string): string {
    // Anything the decoder still holds belongs before the appended text.
    const step = this.take(this.decoder.flush() + text);
    this.tokens.push(...tokens);
    for (let i = 0; i < tokens.length; i++) this.ends.push(this.text.length);
    this.decoder = new TokenTextDecoder(this.detokenize, this.tokens);
    return step.emit;
  }

  /**
   * The output from a trigger at text offset `at` on, as tokens a grammar can accept: the text
   * of the token `at` falls in, from `at` on, tokenized again, then the tokens sampled after it
   * as they are (a character they split is the grammar's to put together). Undefined when a
   * stop string matched along with the trigger: the engine rewinds instead (`rewindTo`).
   */
  grammarInputFrom(at: number, tokenize: (text: string) => T[]): T[] | undefined {
    if (this.stopAtTrigger || !this.triggers) return undefined;
    const first = this.ends.findIndex((end) => end > at);
    if (first === -1) return undefined;
    const head = this.text.slice(at, this.ends[first]);
    return [...(head ? tokenize(head) : []), ...this.tokens.slice(first + 1)];
  }

  /**
   * Keep the output as sampled past a trigger (the grammar has accepted it from the trigger on,
   * as llama.cpp's lazy grammar does): triggers are no longer watched, and the text they held
   * back is passed on. Returns it.
   */
  continueUnderGrammar(): string {
    const held = this.triggers?.flush() ?? '';
    this.triggers = undefined;
    return held;
  }

  /**
   * Forget everything from text offset `at` on. Returns the tokens kept and the tokens of the
   * text between the last kept token and `at` (which the engine evaluates again). Triggers are
   * no longer watched: from here the grammar decides.
   */
  rewindTo(at: number, tokenize: (text: string) => T[]): { tokens: T[]; prefix: T[] } {
    const first = this.ends.findIndex((end) => end > at);
    const keep = first === -1 ? this.tokens.length : first;
    const keptTextEnd = keep > 0 ? this.ends[keep - 1]! : 0;
    const prefixText = this.text.slice(keptTextEnd, at);
    const prefix = prefixText ? tokenize(prefixText) : [];
    const kept = this.tokens.slice(0, keep);

    this.tokens.length = 0;
    this.tokens.push(...kept, ...prefix);
    this.ends = [...this.ends.slice(0, keep), ...prefix.map(() => at)];
    this.text = this.text.slice(0, at);
    this.decoder = new TokenTextDecoder(this.detokenize, this.tokens);
    // Held-back stop text lay after the trigger (the trigger was found in emitted text).
    this.stops = new StopDetector(this.request.stop);
    if (this.request.thinking) {
      this.thinking = new ThinkingSpan(this.request.thinking);
      this.thinking.push(this.text);
    }
    this.triggers = undefined;
    return { tokens: kept, prefix };
  }

  /** End of generation: everything still held back. */
  flush(): string {
    const scan = this.stops.push(this.decoder.flush());
    const tail = scan.emit + this.stops.flush();
    if (!this.triggers) return tail;
    return this.triggers.push(tail).emit + this.triggers.flush();
  }

  private take(piece: string): OutputStep {
    this.text += piece;
    this.thinking?.push(piece);
    const scan = this.stops.push(piece);
    const step: OutputStep = { emit: scan.emit };
    if (this.triggers && scan.emit) {
      const found = this.triggers.push(scan.emit);
      step.emit = found.emit;
      if (found.matchedAt !== undefined) step.triggerAt = found.matchedAt;
    }
    if (scan.matched !== undefined && step.triggerAt === undefined) step.stopSequence = scan.matched;
    this.stopAtTrigger = scan.matched !== undefined && step.triggerAt !== undefined;
    return step;
  }
}
