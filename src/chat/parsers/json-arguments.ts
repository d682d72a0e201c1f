// JSON helpers for tool-call arguments: parsing without throwing, and the compact JSON text
// of an arguments object or of a whole `{"name": …, "arguments": {…}}` call. Used by the
// Hermes family (and the generic fallback), Kimi-K2, the XML-argument value conversion
// (xml-arguments.ts) and the tool grammars (tool-grammar/).

import type { CallParse, ParsedCall } from './tool-markup.js';

/** JSON.parse that returns undefined instead of throwing. */
export function tryParseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON object of arguments → its compact JSON text. */
export function parseJsonArguments(text: string): { json: string } | { error: string } {
  const parsed = tryParseJson(text.trim());
  if (!parsed) return { error: 'arguments are not valid JSON' };
  if (!isPlainObject(parsed.value)) return { error: 'arguments are not a JSON object' };
  return { json: JSON.stringify(parsed.value) };
}

/** `{"name": …, "arguments": {…}}` (also `parameters`, and arguments given as a JSON string). */
export function parseJsonCall(body: string): CallParse {
  const parsed = tryParseJson(body.trim());
  if (!parsed) return { error: 'not valid JSON' };
  return callFromJson(parsed.value);
}

/**
 * A non-empty JSON array of `{"name": …, "arguments": {…}}` calls (Mistral Nemo's
 * `[TOOL_CALLS][…]`, Granite's `<|tool_call|>[…]`, Nemotron Nano v2's `<TOOLCALL>[…]</TOOLCALL>`;
 * Cohere's `<|START_ACTION|>[…]` names the tool in `tool_name`: `nameKey`).
 */
export function parseJsonCallArray(body: string, nameKey = 'name'): ParsedCall[] | { error: string } {
  const parsed = tryParseJson(body.trim());
  if (!parsed) return { error: 'not valid JSON' };
  if (!Array.isArray(parsed.value) || parsed.value.length === 0) return { error: 'not a non-empty JSON array' };
  const calls: ParsedCall[] = [];
  for (const item of parsed.value) {
    const call = callFromJson(item, nameKey);
    if ('error' in call) return call;
    calls.push(call);
  }
  return calls;
}

function callFromJson(value: unknown, nameKey = 'name'): CallParse {
  if (!isPlainObject(value)) return { error: 'not a JSON object' };
  const name = value[nameKey];
  if (typeof name !== 'string' || !name) return { error: `no "${nameKey}"` };
  let args: unknown = 'arguments' in value ? value.arguments : 'parameters' in value ? value.parameters : {};
  if (typeof args === 'string') {
    const inner = tryParseJson(args);
    if (!inner) return { error: 'arguments string is not JSON' };
    args = inner.value;
  }
  if (!isPlainObject(args)) return { error: 'arguments are not a JSON object' };
  return { name, arguments: JSON.stringify(args) };
}
