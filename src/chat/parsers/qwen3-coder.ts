// Qwen3-Coder XML tool calls (also Qwen3.5, Nemotron Nano 3, StepFun-3.5-Flash):
//
//   <tool_call>
//   <function=get_weather>
//   <parameter=city>
//   Paris
//   </parameter>
//   </function>
//   </tool_call>
//
// with an optional `<think>` block (Qwen3.5 / Nemotron). Parameter values are raw text; they
// become JSON the way llama.cpp does (`common/parsers/qwen3-coder.cpp`): a parameter whose
// schema allows only strings stays a string; otherwise a value that parses as JSON of an
// allowed type is typed, anything else is a string. Without a schema (the tool definitions
// were not passed to the parser), a value that parses as JSON is typed — the same rule the
// templates use when they render arguments (`v if v is string else v | tojson`).
//
// This file also exports the value conversion shared by the other XML-argument families
// (GLM-4.5, MiniMax-M2; for those llama.cpp keeps a value as a string whenever the schema
// allows strings — see MixedTypes).

import type { ToolDefinition } from '../types.js';
import type { OutputParser, ParserOptions } from './types.js';
import { type CallParse, isPlainObject, type TemplateHints, ToolMarkupParser, tryParseJson } from './hermes.js';
import { DEFAULT_THINK_TAGS } from './think.js';

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
export function parameterTypes(
  tools: readonly ToolDefinition[] | undefined,
  toolName: string,
  parameter: string,
): ReadonlySet<JsonType> | undefined {
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

const FUNCTION_OPEN = /^\s*<function=([^>\n]+)>/;
const PARAMETER_OPEN = /^\s*<parameter=([^>\n]+)>/;

export function parseQwen3CoderCall(body: string, tools: readonly ToolDefinition[] | undefined): CallParse {
  const open = FUNCTION_OPEN.exec(body);
  if (!open) return { error: 'no <function=…>' };
  const name = open[1]!.trim();
  let rest = body.slice(open[0].length);
  const pairs: Array<[string, string]> = [];
  for (;;) {
    const parameter = PARAMETER_OPEN.exec(rest);
    if (!parameter) break;
    rest = rest.slice(parameter[0].length);
    const close = rest.indexOf('</parameter>');
    if (close === -1) return { error: `unterminated <parameter=${parameter[1]!}>` };
    let value = rest.slice(0, close);
    // The template writes `<parameter=x>\n{value}\n</parameter>`.
    if (value.startsWith('\n')) value = value.slice(1);
    if (value.endsWith('\n')) value = value.slice(0, -1);
    pairs.push([parameter[1]!.trim(), value]);
    rest = rest.slice(close + '</parameter>'.length);
  }
  rest = rest.trimStart();
  if (rest.startsWith('</function>')) rest = rest.slice('</function>'.length);
  if (rest.trim()) return { error: 'unexpected text in tool call' };
  return { name, arguments: buildArguments(tools, name, pairs) };
}

export function createQwen3CoderParser(options: XmlArgsParserOptions): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'qwen3-coder',
    think: DEFAULT_THINK_TAGS,
    tools: {
      call: {
        open: '<tool_call>',
        close: '</tool_call>',
        // Like llama.cpp: Qwen3-Coder sometimes omits `<tool_call>`; accept a bare
        // `<function=name>` for the request's tool names (only known names: a bare
        // `<function` is common in code).
        bareOpens: (options.tools ?? []).map((tool) => `<function=${tool.name}>`),
      },
      parse: (body) => parseQwen3CoderCall(body, options.tools),
    },
  });
}
