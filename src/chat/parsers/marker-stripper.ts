// Drops markup that wraps a family's answer text (Cohere's `<|START_RESPONSE|>…<|END_RESPONSE|>`)
// from another parser's text events, as llama.cpp's parsers do: the wrapper is syntax, not
// content. Markers split across pieces are held back until the next piece decides them.

import type { OutputParser, ParsedEvent } from './types.js';
import { StreamBuffer } from './stream-buffer.js';

export class MarkerStripper implements OutputParser {
  private readonly buffer = new StreamBuffer();

  constructor(
    private readonly inner: OutputParser,
    private readonly markers: readonly string[],
  ) {}

  get toolCalls(): number {
    return this.inner.toolCalls;
  }

  push(text: string): ParsedEvent[] {
    return this.filter(this.inner.push(text), false);
  }

  finish(): ParsedEvent[] {
    return this.filter(this.inner.finish(), true);
  }

  private filter(events: ParsedEvent[], end: boolean): ParsedEvent[] {
    const out: ParsedEvent[] = [];
    for (const event of events) {
      if (event.type !== 'text') {
        // Anything else ends the text run: a held-back partial marker is text after all.
        this.flush(out);
        out.push(event);
        continue;
      }
      this.buffer.append(event.text);
      for (;;) {
        const take = this.buffer.takeUntil(this.markers);
        if (take.text) out.push({ type: 'text', text: take.text });
        if (take.marker === undefined) break;
      }
    }
    if (end) this.flush(out);
    return out;
  }

  private flush(out: ParsedEvent[]): void {
    const held = this.buffer.takeAll();
    if (held) out.push({ type: 'text', text: held });
  }
}
