// What one rendering of a chat template may spend. A template is code from the model file:
// `{% for i in range(1000000000) %}` aborted V8 at start-up (the list was built up front),
// behind a condition it killed the running server on one request, and `range(20000000)`
// blocked every client for 19 s (issue 15). Nothing bounded iterations, output or time.
// Real templates are far inside these limits: a 48 KB Claude Code conversation renders in
// ~7 ms (bench/probes/probe-render-cost.ts).

export interface RenderLimits {
  /** Wall time of one rendering. */
  maxMs: number;
  /** Characters of output (of any block, so of the whole prompt). */
  maxOutputChars: number;
  /** Items in one `range()`. */
  maxRangeItems: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = { maxMs: 1_000, maxOutputChars: 64 * 2 ** 20, maxRangeItems: 1_000_000 };

/** A rendering went over one of its limits. */
export class TemplateBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateBudgetError';
  }
}

/** Checking the clock costs more than a step: look every this many steps. */
const CLOCK_EVERY = 1024;

export class RenderBudget {
  private readonly deadline: number;
  private steps = 0;

  constructor(readonly limits: RenderLimits = DEFAULT_RENDER_LIMITS) {
    this.deadline = performance.now() + limits.maxMs;
  }

  /** One node evaluated (or one loop iteration). */
  step(): void {
    if (++this.steps % CLOCK_EVERY === 0) this.checkClock();
  }

  private checkClock(): void {
    if (performance.now() > this.deadline) throw new TemplateBudgetError(`rendering took longer than ${this.limits.maxMs} ms (${this.steps} steps)`);
  }

  /** Output of a block grew to `length` characters. */
  output(length: number): void {
    if (length > this.limits.maxOutputChars) throw new TemplateBudgetError(`rendering wrote more than ${this.limits.maxOutputChars} characters`);
  }

  /** A `range()` of `items` items is about to be built. */
  range(items: number): void {
    if (items > this.limits.maxRangeItems) throw new TemplateBudgetError(`range() of ${items} items is over the limit of ${this.limits.maxRangeItems}`);
    // Building the list costs a step per item: a loop over large ranges must not slip past the clock.
    this.steps += items;
    this.checkClock();
  }
}
