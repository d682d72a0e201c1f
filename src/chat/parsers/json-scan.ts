// A JSON scanner for streaming parsers whose tool calls are bare JSON with no closing
// markup: where a JSON value ends in text that may still grow, compact JSON text, and the
// events of one complete tool call. Used by Llama 3, Mistral, DeepSeek R1 / V3.1 and gpt-oss.

import type { ParsedEvent } from './types.js';

/**
 * End (exclusive) of the JSON value starting at `from` (leading whitespace skipped):
 * -1 when the text ends before the value does, -2 when no JSON value starts there.
 * Only finds where the value ends; JSON.parse decides whether it is valid.
 */
export function scanJsonValue(text: string, from = 0): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (i >= text.length) return -1;
  const first = text[i]!;
  if (first === '"') return scanString(text, i);
  if (first === '{' || first === '[') {
    let depth = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        const end = scanString(text, i);
        if (end < 0) return -1;
        i = end;
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  const literal = /^(?:-?\d[\d.eE+-]*|true|false|null)/.exec(text.slice(i));
  if (!literal) return -2;
  const end = i + literal[0].length;
  // A number or word that touches the end of the text may still grow.
  return end === text.length ? -1 : end;
}

function scanString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '"') return i + 1;
  }
  return -1;
}

/** Compact JSON text of `text`, or undefined when it does not parse. */
export function compactJson(text: string): string | undefined {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The events of one complete tool call. */
export function toolCallEvents(index: number, id: string, name: string, json: string): ParsedEvent[] {
  return [
    { type: 'tool_call_start', index, id, name },
    { type: 'tool_call_arguments', index, json },
    { type: 'tool_call_end', index },
  ];
}
