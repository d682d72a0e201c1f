// Raw model text → GenerationEvents. One streaming parser per model family turns native
// markup (thinking blocks, tool-call syntax) into events; this file holds the interface
// and the plain parser used when no family-specific parser applies.

import type { GenerationEvent } from './types.js';

export type ParsedEvent = Extract<GenerationEvent, { type: 'text' | 'reasoning' | 'tool_call_start' | 'tool_call_arguments' | 'tool_call_end' }>;

export interface OutputParser {
  /** Feed the next piece of raw output; returns the events it completes. */
  push(text: string): ParsedEvent[];
  /** End of output: flush anything held back. */
  finish(): ParsedEvent[];
  /** Tool calls emitted so far (decides the `tool_calls` stop reason). */
  readonly toolCalls: number;
}

/** Everything the model says is plain text. */
export class PlainTextParser implements OutputParser {
  readonly toolCalls = 0;

  push(text: string): ParsedEvent[] {
    return text ? [{ type: 'text', text }] : [];
  }

  finish(): ParsedEvent[] {
    return [];
  }
}
