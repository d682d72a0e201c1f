// Finds stop strings in streamed text without ever emitting part of one: text that
// could still turn into a stop string is held back until it either completes the
// stop string (generation ends, the stop text is dropped) or stops matching (it is released).

export interface StopScan {
  /** Text that is safe to emit now. */
  emit: string;
  /** The stop string that matched, when generation must end. */
  matched?: string;
}

export class StopDetector {
  private held = '';
  private readonly stops: string[];
  private readonly longest: number;

  constructor(stops: readonly string[] = []) {
    this.stops = stops.filter((stop) => stop.length > 0);
    this.longest = Math.max(0, ...this.stops.map((stop) => stop.length));
  }

  /** Feed newly generated text; returns what may be emitted and whether a stop string matched. */
  push(text: string): StopScan {
    if (this.stops.length === 0) return { emit: text };
    const buffer = this.held + text;

    // Earliest complete match wins, like llama-server: everything before it is emitted.
    let matchAt = -1;
    let matched: string | undefined;
    for (const stop of this.stops) {
      const at = buffer.indexOf(stop);
      if (at !== -1 && (matchAt === -1 || at < matchAt)) {
        matchAt = at;
        matched = stop;
      }
    }
    if (matched !== undefined) {
      this.held = '';
      return { emit: buffer.slice(0, matchAt), matched };
    }

    // Hold back the longest suffix that is a prefix of some stop string.
    const keep = this.partialSuffixLength(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { emit: buffer.slice(0, buffer.length - keep) };
  }

  /** At the end of generation, the held-back text was not a stop string after all. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  private partialSuffixLength(buffer: string): number {
    const max = Math.min(buffer.length, this.longest - 1);
    for (let length = max; length > 0; length--) {
      const suffix = buffer.slice(buffer.length - length);
      if (this.stops.some((stop) => stop.startsWith(suffix))) return length;
    }
    return 0;
  }
}
