// How many tokens to draft next, from how the last drafts fared. Verifying a draft costs a
// batch decode whose price grows with its length (measured on 2 CPU cores, 0.5B model at ~1000
// tokens of context: one token 25-40 ms, each further token ~10 ms), and a refuted draft buys
// nothing: so drafts grow while the model keeps agreeing (doubling, up to `max`). A draft
// model's refutation says its guesses got worse: the length falls back to what was accepted
// (+ 2 to probe further). A prompt lookup's refutation mostly says the copied text changed
// there (an edited line), not that the next match is worse: with `keepAfterRefutation` the
// length stays, and the lookup's own match length caps it instead (drafter.ts).

export interface DraftLimits {
  /** Most tokens drafted at once (llama-server's --spec-draft-n-max). */
  max: number;
  /** Drafts shorter than this are not verified at all (llama-server's --spec-draft-n-min). */
  min: number;
}

export interface DraftLengthPolicy extends DraftLimits {
  /** Keep the length after a refutation instead of falling back to what was accepted. */
  keepAfterRefutation?: boolean;
}

const FIRST = 8;

export class AdaptiveDraftLength {
  private current: number;

  constructor(private readonly limits: DraftLengthPolicy) {
    this.current = Math.min(limits.max, Math.max(FIRST, limits.min));
  }

  /** The longest draft to propose now. */
  next(): number {
    return this.current;
  }

  /** A draft of `drafted` tokens had its first `accepted` confirmed by the model. */
  record(drafted: number, accepted: number): void {
    if (drafted === 0) return;
    if (accepted === drafted) this.current = Math.min(this.limits.max, Math.max(this.current, drafted) * 2);
    else if (!this.limits.keepAfterRefutation) this.current = Math.min(this.limits.max, Math.max(this.limits.min, 2, accepted + 2));
  }
}
