// The building block of every streaming output parser: raw text arrives in arbitrary
// pieces, and markup (`<tool_call>`, `[TOOL_CALLS]`, `<|channel|>`…) may be split across
// them. A parser asks for "text up to the next of these markers"; text that could still
// be the beginning of a marker stays in the buffer until the next piece decides it.

export interface Take {
  /** Text before the marker (or all safe text when no marker was found). */
  text: string;
  /** The marker found, consumed from the buffer; undefined when none is complete yet. */
  marker?: string;
}

export class StreamBuffer {
  private buffer = '';
  private ended = false;

  append(text: string): void {
    this.buffer += text;
  }

  /** No more text will come: held-back partial markers are plain text now. */
  end(): void {
    this.ended = true;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Everything still buffered (does not consume). */
  peek(): string {
    return this.buffer;
  }

  /** Consume everything buffered. */
  takeAll(): string {
    const all = this.buffer;
    this.buffer = '';
    return all;
  }

  /** Consume `length` characters. */
  consume(length: number): string {
    const taken = this.buffer.slice(0, length);
    this.buffer = this.buffer.slice(length);
    return taken;
  }

  /**
   * Text up to the earliest complete marker (the marker is consumed too), or, when none is
   * complete, all text that cannot be the start of one.
   */
  takeUntil(markers: readonly string[]): Take {
    let at = -1;
    let found: string | undefined;
    for (const marker of markers) {
      const index = this.buffer.indexOf(marker);
      // Earliest wins; at the same place the longer marker wins (`<tool_call>` over `<tool`).
      if (index !== -1 && (at === -1 || index < at || (index === at && marker.length > found!.length))) {
        at = index;
        found = marker;
      }
    }
    if (found !== undefined) {
      const text = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + found.length);
      return { text, marker: found };
    }
    const hold = this.ended ? 0 : partialMarkerSuffix(this.buffer, markers);
    const text = this.buffer.slice(0, this.buffer.length - hold);
    this.buffer = this.buffer.slice(this.buffer.length - hold);
    return { text };
  }

  /** True when the buffer starts with `prefix`; undefined while too short to tell (and not ended). */
  startsWith(prefix: string): boolean | undefined {
    if (this.buffer.length >= prefix.length) return this.buffer.startsWith(prefix);
    if (!prefix.startsWith(this.buffer)) return false;
    return this.ended ? false : undefined;
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of some marker. */
export function partialMarkerSuffix(text: string, markers: readonly string[]): number {
  const longest = Math.max(0, ...markers.map((marker) => marker.length - 1));
  for (let length = Math.min(longest, text.length); length > 0; length--) {
    const suffix = text.slice(text.length - length);
    if (markers.some((marker) => marker.startsWith(suffix))) return length;
  }
  return 0;
}
