// Prompt lookup (n-gram speculation): the next tokens are guessed by finding where the text
// written last already occurs earlier, in the prompt or in the output so far, and proposing
// what followed it there. An agent's answer repeats what it was shown (a file it rewrites, a
// path it quotes), so for such output the guesses are long and right; for output that shares
// nothing with the prompt there is no match, hence no draft and no cost.
//
// The index maps every KEY-token window to the positions right after it (hashed, checked on
// use), built once over the prompt and extended as tokens come. A lookup compares the
// candidates' matches backwards (up to MAX_MATCH tokens) and keeps the longest, the most
// recent among equals: a longer shared context predicts the continuation better.

/** Tokens a window must match to be a candidate at all. */
const KEY = 3;
/** Longest backward match measured; beyond it every candidate is as good. */
const MAX_MATCH = 32;
/** Candidates compared per lookup, the most recent first. */
const MAX_CANDIDATES = 8;

export interface LookupDraft {
  tokens: number[];
  /** Tokens before the draft that matched the text just written (≥ KEY). */
  matched: number;
}

export class PromptLookup {
  private readonly history: number[] = [];
  /** Window hash → positions right after a window with that hash, ascending. */
  private readonly index = new Map<number, number[]>();

  constructor(tokens: readonly number[] = []) {
    this.push(tokens);
  }

  get length(): number {
    return this.history.length;
  }

  push(tokens: readonly number[]): void {
    for (const token of tokens) {
      this.history.push(token);
      const end = this.history.length;
      // The window ending here is indexed once the token after it is known: a window at the very
      // end has no continuation to propose yet.
      if (end > KEY) {
        const key = windowHash(this.history, end - 1 - KEY);
        let positions = this.index.get(key);
        if (!positions) this.index.set(key, (positions = []));
        positions.push(end - 1);
      }
    }
  }

  /** Drop tokens from the end (the output was rewound); the index forgets them too. */
  truncate(length: number): void {
    if (length >= this.history.length) return;
    for (let end = this.history.length; end > length; end--) {
      if (end - 1 - KEY < 0) continue;
      const key = windowHash(this.history, end - 1 - KEY);
      const positions = this.index.get(key);
      if (positions?.at(-1) === end - 1) positions.pop();
    }
    this.history.length = length;
  }

  /** Up to `limit` tokens that followed the best earlier match of the text's end; none without a match. */
  draft(limit: number): LookupDraft {
    const end = this.history.length;
    if (limit <= 0 || end < KEY + 1) return { tokens: [], matched: 0 };
    const positions = this.index.get(windowHash(this.history, end - KEY));
    if (!positions) return { tokens: [], matched: 0 };
    let best = -1;
    let bestMatch = 0;
    for (let i = positions.length - 1, seen = 0; i >= 0 && seen < MAX_CANDIDATES; i--) {
      const at = positions[i]!;
      if (at >= end) continue;
      seen++;
      const match = this.matchLength(at, end);
      if (match > bestMatch) {
        best = at;
        bestMatch = match;
        if (match >= MAX_MATCH) break;
      }
    }
    if (bestMatch < KEY) return { tokens: [], matched: 0 };
    return { tokens: this.history.slice(best, Math.min(end, best + limit)), matched: bestMatch };
  }

  /** How many tokens before `at` equal the tokens before `end` (hash collisions give 0). */
  private matchLength(at: number, end: number): number {
    let match = 0;
    while (match < MAX_MATCH && at - match - 1 >= 0 && this.history[at - match - 1] === this.history[end - match - 1]) match++;
    return match;
  }
}

function windowHash(tokens: readonly number[], start: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < start + KEY; i++) hash = Math.imul(hash ^ tokens[i]!, 0x01000193);
  return hash >>> 0;
}
