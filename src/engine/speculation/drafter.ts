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
  /** The last draft had `drafted` tokens, of which the model confirmed the first `accepted`. */
  record?(drafted: number, accepted: number): void;
  /** The generation is over. */
  close(): Promise<void> | void;
}

/** The shortest match drafted from; refuted drafts raise it (up to the longest match measured). */
const FIRST_REQUIRED_MATCH = 3;
const MAX_REQUIRED_MATCH = 32;

/**
 * Prompt lookup (prompt-lookup.ts): drafts from the request's own tokens. In output that is not
 * copied from the prompt, short matches are chance (", and the" occurs everywhere) and their
 * drafts are refuted: each draft refuted whole doubles the match length required, each one
 * confirmed in part halves it again, so text the lookup cannot help pays for few drafts.
 */
export class LookupDrafter implements Drafter {
  private readonly lookup = new PromptLookup();
  private required = FIRST_REQUIRED_MATCH;

  draft(history: TokenHistory, limit: number): Draft {
    if (history.length > this.lookup.length) this.lookup.push(history.slice(this.lookup.length));
    const found = this.lookup.draft(limit);
    if (found.matched < this.required) return { tokens: [] };
    // A short match predicts a short continuation: drafting far past it mostly buys refutations.
    return { tokens: found.tokens.slice(0, Math.max(4, found.matched * 2)) };
  }

  truncate(length: number): void {
    this.lookup.truncate(length);
  }

  record(drafted: number, accepted: number): void {
    if (drafted === 0) return;
    this.required = accepted === 0 ? Math.min(MAX_REQUIRED_MATCH, this.required * 2) : Math.max(FIRST_REQUIRED_MATCH, Math.floor(this.required / 2));
  }

  close(): void {}
}
