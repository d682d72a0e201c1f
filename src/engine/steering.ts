// Watching the generated text for the points where the engine must step in:
// - a thinking span (`<think>…</think>`, or a prompt that leaves one open), so a reasoning
//   budget can be enforced and tool-call triggers inside thinking are ignored;
// - a tool-call trigger (`<tool_call>`, `[TOOL_CALLS]`, …), where a lazy grammar takes over.
// Both scan text incrementally; the engine maps text offsets back to tokens.

export interface ThinkingMarkers {
  open: string;
  close: string;
  /** The rendered prompt already opened the thinking span (generation starts inside it). */
  startOpen: boolean;
}

/** Follows whether generation is inside a thinking span. */
export class ThinkingSpan {
  private text = '';
  private cursor = 0;
  private state: 'before' | 'inside' | 'after';
  /** Text offsets of the span's content, once known. */
  private start: number | undefined;
  private end: number | undefined;

  constructor(private readonly markers: ThinkingMarkers) {
    this.state = markers.startOpen ? 'inside' : 'before';
    if (markers.startOpen) this.start = 0;
  }

  /** Whether a text offset lies inside the span (its closing marker included). */
  contains(offset: number): boolean {
    return this.start !== undefined && offset >= this.start && (this.end === undefined || offset < this.end + this.markers.close.length);
  }

  get inside(): boolean {
    return this.state === 'inside';
  }

  get closed(): boolean {
    return this.state === 'after';
  }

  push(text: string): void {
    this.text += text;
    if (this.state === 'before') {
      // Only a span the output opens at its very start counts; `<think>` later on is just text.
      const lead = this.text.trimStart();
      if (lead.startsWith(this.markers.open)) {
        this.state = 'inside';
        this.cursor = this.text.indexOf(this.markers.open) + this.markers.open.length;
        this.start = this.cursor;
      } else if (!this.markers.open.startsWith(lead)) {
        this.state = 'after';
      }
    }
    if (this.state === 'inside') {
      const at = this.text.indexOf(this.markers.close, this.cursor);
      if (at !== -1) {
        this.state = 'after';
        this.end = at;
        this.cursor = at + this.markers.close.length;
      } else {
        this.cursor = Math.max(this.cursor, this.text.length - this.markers.close.length + 1);
      }
    }
  }
}

export interface Trigger {
  text: string;
  /** Only counts at the start of the output (after whitespace), e.g. Llama 3's bare `{"name"`. */
  atStart?: boolean;
}

export interface TriggerScan {
  /** Text before any (possible) trigger: safe to pass on. */
  emit: string;
  /** Offset, in all the text pushed so far, where a trigger begins. */
  matchedAt?: number;
}

/**
 * Finds the first trigger in streamed text, holding back text that could be the start of one
 * so that nothing past a trigger is passed on before the grammar decides what follows.
 */
export class TriggerScanner {
  private text = '';
  private emitted = 0;
  private readonly longest: number;

  /** `ignore(offset)`: a trigger starting here does not count (e.g. inside thinking). */
  constructor(
    private readonly triggers: readonly Trigger[],
    private readonly ignore: (offset: number) => boolean = () => false,
  ) {
    this.longest = Math.max(0, ...triggers.map((trigger) => trigger.text.length));
  }

  push(text: string): TriggerScan {
    const from = Math.max(0, this.emitted);
    this.text += text;
    let best = -1;
    for (const trigger of this.triggers) {
      let at = this.text.indexOf(trigger.text, from);
      while (at !== -1 && !this.counts(trigger, at)) at = this.text.indexOf(trigger.text, at + 1);
      if (at !== -1 && (best === -1 || at < best)) best = at;
    }
    if (best !== -1) {
      const emit = this.text.slice(this.emitted, best);
      this.emitted = best;
      return { emit, matchedAt: best };
    }
    const keep = this.partialSuffixLength();
    const until = Math.max(this.emitted, this.text.length - keep);
    const emit = this.text.slice(this.emitted, until);
    this.emitted = until;
    return { emit };
  }

  /** End of generation: whatever was held back was not a trigger. */
  flush(): string {
    const rest = this.text.slice(this.emitted);
    this.emitted = this.text.length;
    return rest;
  }

  private counts(trigger: Trigger, at: number): boolean {
    if (this.ignore(at)) return false;
    return !trigger.atStart || this.text.slice(0, at).trim() === '';
  }

  private partialSuffixLength(): number {
    const max = Math.min(this.text.length - this.emitted, this.longest - 1);
    for (let length = max; length > 0; length--) {
      const start = this.text.length - length;
      const suffix = this.text.slice(start);
      if (this.triggers.some((trigger) => trigger.text.startsWith(suffix) && this.counts(trigger, start))) return length;
    }
    return 0;
  }
}
