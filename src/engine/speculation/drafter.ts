// What proposes the tokens speculative decoding verifies. One drafter per generation; it sees
// the generation's tokens (prompt + output so far) before each draft.

import { PromptLookup } from './prompt-lookup.js';

export interface Draft {
  tokens: number[];
}

/** The generation's tokens (prompt, then output), read without copying them all. */
export interface TokenHistory {
  readonly length: number;
  /** The tokens from `start` to the end. */
  slice(start: number): number[];
}

export interface Drafter {
  /**
   * Up to `limit` tokens likely to follow `history` (the prompt and the output so far). History
   * only grows between calls, except after `truncate`.
   */
  draft(history: TokenHistory, limit: number): Promise<Draft> | Draft;
  /** The output was rewound: history is now `length` tokens long. */
  truncate(length: number): void;
  /** The generation is over. */
  close(): Promise<void> | void;
}

/** Prompt lookup (prompt-lookup.ts): drafts from the request's own tokens. */
export class LookupDrafter implements Drafter {
  private readonly lookup = new PromptLookup();

  draft(history: TokenHistory, limit: number): Draft {
    if (history.length > this.lookup.length) this.lookup.push(history.slice(this.lookup.length));
    const found = this.lookup.draft(limit);
    // A short match predicts a short continuation: drafting far past it mostly buys refutations.
    return { tokens: found.tokens.slice(0, Math.max(4, found.matched * 2)) };
  }

  truncate(length: number): void {
    this.lookup.truncate(length);
  }

  close(): void {}
}
