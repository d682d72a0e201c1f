// How many tokens to draft next, from how the last drafts fared. Verifying a draft costs a
// batch decode whose price grows with its length (on a CPU ~1/10 of a single-token decode per
// extra token, more on a wide model), and a refuted draft buys nothing: so drafts grow while
// the model keeps agreeing (doubling, up to `max`) and fall back to what was accepted (+ 2 to
// probe further) when it stops agreeing. Where the drafter's own confidence is low (a short
// prompt-lookup match), the caller caps the length further.

export interface DraftLimits {
  /** Most tokens drafted at once (llama-server's --spec-draft-n-max). */
  max: number;
  /** Drafts shorter than this are not verified at all (llama-server's --spec-draft-n-min). */
  min: number;
}

const FIRST = 8;

export class AdaptiveDraftLength {
  private current: number;

  constructor(private readonly limits: DraftLimits) {
    this.current = Math.min(limits.max, Math.max(FIRST, limits.min));
  }

  /** The longest draft to propose now. */
  next(): number {
    return this.current;
  }

  /** A draft of `drafted` tokens had its first `accepted` confirmed by the model. */
  record(drafted: number, accepted: number): void {
    if (drafted === 0) return;
    this.current = accepted === drafted ? Math.min(this.limits.max, Math.max(this.current, drafted) * 2) : Math.min(this.limits.max, Math.max(this.limits.min, 2, accepted + 2));
  }
}
