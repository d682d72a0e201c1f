// XML tool-call arguments (`<parameter=city>Paris</parameter>` and the like): a raw text value
// becomes JSON the way llama.cpp does, typed from the tool's parameter schema. Used by
// Qwen3-Coder, GLM-4.5 and MiniMax-M2 (for the latter two llama.cpp keeps a value as a
// string whenever the schema allows strings — see MixedTypes), and by the XML-argument tool
// grammars (tool-grammar/arguments.ts).

import type { ToolDefinition } from '../types.js';
import type { ParserOptions } from './types.js';
import { isPlainObject, tryParseJson } from './json-arguments.js';
import type { TemplateHints } from './tool-markup.js';

/** Parser options plus the request's tool definitions, used to type XML argument values. */
export type XmlArgsParserOptions = ParserOptions & TemplateHints & { tools?: readonly ToolDefinition[] };

type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'object' | 'array';
const JSON_TYPES: readonly string[] = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'];

function typesOf(schema: unknown, into: Set<JsonType>): boolean {
  if (!isPlainObject(schema)) return false;
  let known = false;
  const type = schema.type;
  for (const t of Array.isArray(type) ? type : [type]) {
    if (typeof t === 'string' && JSON_TYPES.includes(t)) {
      into.add(t as JsonType);
      known = true;
    }
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) for (const sub of list) known = typesOf(sub, into) || known;
  }
  if (!known && Array.isArray(schema.enum) && schema.enum.length > 0) {
    for (const value of schema.enum) into.add(jsonTypeOf(value));
    known = true;
  }
  if (!known && 'const' in schema) {
    into.add(jsonTypeOf(schema.const));
    known = true;
  }
  return known;
}

function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  return 'object';
}

/** The JSON types a tool's parameter schema allows, or undefined when unknown. */
export function parameterTypes(tools: readonly ToolDefinition[] | undefined, toolName: string, parameter: string): ReadonlySet<JsonType> | undefined {
  const tool = tools?.find((candidate) => candidate.name === toolName);
  const properties = tool?.parameters.properties;
  if (!isPlainObject(properties)) return undefined;
  const schema = properties[parameter];
  const types = new Set<JsonType>();
  return typesOf(schema, types) ? types : undefined;
}

/**
 * How a parameter whose schema allows strings *and* other types is converted: 'typed' tries
 * the other types first (Qwen3-Coder's dedicated llama.cpp parser), 'string' keeps the raw
 * text (llama.cpp's generic tagged-argument parser, used for GLM-4.5 and MiniMax-M2).
 */
export type MixedTypes = 'typed' | 'string';

/** One raw XML argument value → its JSON value. */
export function convertArgValue(raw: string, types: ReadonlySet<JsonType> | undefined, mixed: MixedTypes = 'typed'): unknown {
  if (types?.has('string') && (types.size === 1 || mixed === 'string')) return raw;
  const parsed = tryParseJson(raw.trim());
  if (!parsed) return raw;
  const type = jsonTypeOf(parsed.value);
  if (type === 'string') return types !== undefined && !types.has('string') ? parsed.value : raw;
  if (types === undefined) return parsed.value;
  if (types.has(type) || (type === 'integer' && types.has('number'))) return parsed.value;
  return raw;
}

/** Build the compact arguments JSON from name/raw value pairs. */
export function buildArguments(
  tools: readonly ToolDefinition[] | undefined,
  toolName: string,
  pairs: ReadonlyArray<readonly [string, string]>,
  mixed: MixedTypes = 'typed',
): string {
  const args: Record<string, unknown> = {};
  for (const [name, raw] of pairs) args[name] = convertArgValue(raw, parameterTypes(tools, toolName, name), mixed);
  return JSON.stringify(args);
}

/**
 * The key/value pairs written one after another at the start of `text` (GLM's
 * `<arg_key>k</arg_key><arg_value>v</arg_value>`, MiniMax's `<parameter name="k">v</parameter>`, …):
 * `pattern` matches one pair at the start (`^`), `read` takes its key and raw value. `rest` is the
 * text after the last pair; a call is well formed when only whitespace is left there.
 */
export function leadingPairs(text: string, pattern: RegExp, read: (match: RegExpExecArray) => [string, string]): { pairs: Array<[string, string]>; rest: string } {
  const pairs: Array<[string, string]> = [];
  let rest = text;
  for (let match = pattern.exec(rest); match; match = pattern.exec(rest)) {
    pairs.push(read(match));
    rest = rest.slice(match[0].length);
  }
  return { pairs, rest };
}
