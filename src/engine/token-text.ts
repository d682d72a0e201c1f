// Generated tokens → text pieces. A token can end in the middle of a multi-byte UTF-8
// character (emoji, CJK split across byte tokens); such a piece decodes to U+FFFD, so we
// hold tokens back until they decode to whole characters.

export type Detokenize = (tokens: readonly number[], lastTokens: readonly number[]) => string;

/** More pending tokens than this can't be one character: give up holding and emit. */
const MAX_PENDING = 4;
/** Context handed to the detokenizer so SentencePiece leading-space rules come out right. */
const LOOKBACK = 8;

export class TokenTextDecoder {
  private pending: number[] = [];
  private recent: number[] = [];

  /** `context`: tokens already in the text before this decoder's first token (after a rewind). */
  constructor(
    private readonly detokenize: Detokenize,
    context: readonly number[] = [],
  ) {
    this.recent = context.slice(-LOOKBACK);
  }

  /** Add one generated token; returns the text that is complete now (may be empty). */
  push(token: number): string {
    this.pending.push(token);
    const text = this.detokenize(this.pending, this.recent);
    if (text.endsWith('\uFFFD') && this.pending.length < MAX_PENDING) return '';
    return this.commit(text);
  }

  /** Whatever is still held back, at the end of generation. */
  flush(): string {
    if (this.pending.length === 0) return '';
    return this.commit(this.detokenize(this.pending, this.recent));
  }

  private commit(text: string): string {
    this.recent = [...this.recent, ...this.pending].slice(-LOOKBACK);
    this.pending = [];
    return text;
  }
}
