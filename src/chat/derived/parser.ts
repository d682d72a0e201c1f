// The streaming parser for a DerivedSyntax: ToolMarkupParser (thinking split, calls found by
// their markers) with the inferred markers, and a call body parsed with the shared argument
// helpers: JSON arguments (json-arguments.ts), tagged values typed from the tool schema as
// llama.cpp's autoparser does (xml-arguments.ts: a value stays a string where the schema
// allows strings). Markers match with any whitespace around and between their parts.

import type { OutputParser } from '../output-parser.js';
import { MarkerStripper } from '../parsers/marker-stripper.js';
import { LeadingJsonCalls } from './leading-json.js';
import { isPlainObject, parseJsonArguments, tryParseJson } from '../parsers/json-arguments.js';
import { scanJsonValue } from '../parsers/json-scan.js';
import { createThinkParser, type ThinkTags } from '../parsers/think.js';
import { type CallParse, type ParsedCall, ToolMarkupParser, type ToolSyntax } from '../parsers/tool-markup.js';
import { buildArguments, type XmlArgsParserOptions } from '../parsers/xml-arguments.js';
import type { ToolDefinition } from '../types.js';
import { CALL_ID_SLOT, type DerivedJsonCall, type DerivedNamedCall, type DerivedSyntax, type DerivedTools } from './syntax.js';

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A regex source for rendered markup: its parts in order, any whitespace around and between
 * them; digits as any number when `counts`; a call id (CALL_ID_SLOT) as any id.
 */
export function markupPattern(text: string, counts = false): string {
  const literal = (part: string): string =>
    counts
      ? part
          .split(/[0-9]+/)
          .map(escape)
          .join('[0-9]+')
      : escape(part);
  const parts = text.trim().split(/\s+/).filter(Boolean);
  return parts.map((part) => part.split(CALL_ID_SLOT).map(literal).join('[A-Za-z0-9_-]+')).join('\\s*');
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (!isPlainObject(at)) return undefined;
    at = at[key];
  }
  return at;
}

/** One call object by the inferred paths; arguments given as a JSON string are accepted too. */
function callFromObject(value: unknown, body: DerivedJsonCall): CallParse {
  const name = valueAt(value, body.namePath);
  if (typeof name !== 'string' || !name) return { error: `no name at ${body.namePath.join('.')}` };
  let args = valueAt(value, body.argsPath);
  if (typeof args === 'string') args = tryParseJson(args)?.value;
  if (args === undefined) args = {};
  if (!isPlainObject(args)) return { error: 'arguments are not a JSON object' };
  return { name, arguments: JSON.stringify(args) };
}

/** Call objects one after another, separated by whitespace or commas. */
function parseJsonSequence(text: string, body: DerivedJsonCall): CallParse | ParsedCall[] {
  const calls: ParsedCall[] = [];
  for (let rest = text.replace(/^[\s,]+/, ''); rest; rest = rest.replace(/^[\s,]+/, '')) {
    const end = scanJsonValue(rest);
    if (end < 0) return { error: 'not valid JSON' };
    const call = callFromObject(tryParseJson(rest.slice(0, end))?.value, body);
    if ('error' in call) return call;
    calls.push(call);
    rest = rest.slice(end);
  }
  return calls.length > 0 ? calls : { error: 'no call' };
}

function parseJsonBody(text: string, body: DerivedJsonCall): CallParse | ParsedCall[] {
  if (body.sequence) return parseJsonSequence(text, body);
  const parsed = tryParseJson(text.trim());
  if (!parsed) return { error: 'not valid JSON' };
  if (!Array.isArray(parsed.value)) return callFromObject(parsed.value, body);
  if (parsed.value.length === 0) return { error: 'an empty list of calls' };
  const calls: ParsedCall[] = [];
  for (const item of parsed.value) {
    const call = callFromObject(item, body);
    if ('error' in call) return call;
    calls.push(call);
  }
  return calls;
}

/** A named call's start (prefix, name, suffix) up to where its arguments start. */
function namedHead(body: DerivedNamedCall): RegExp {
  const argsClose = markupPattern(body.argsClose);
  const args = body.args;
  // The name is the shortest text after which the arguments start: a JSON object, a key, or
  // (no arguments) the end (GLM writes nothing but a newline between name and arguments).
  const next = args.kind === 'json' ? '\\s*[{]' : `\\s*(?:${markupPattern(args.keyOpen)}|${argsClose ? `${argsClose}\\s*$|` : ''}$)`;
  return new RegExp(`^\\s*${markupPattern(body.namePrefix)}\\s*([^\\n]*?)\\s*${markupPattern(body.nameSuffix, body.nameSuffixCounts)}(?=${next})`);
}

/** Where a named call's JSON arguments start, for a call with no closing marker (-1: the name may still be arriving). */
function namedJsonStart(body: DerivedNamedCall): (text: string) => number {
  const head = namedHead(body);
  return (text) => {
    const match = head.exec(text);
    if (match) return match[0].length;
    // Not yet: wait for the arguments' `{` (a long text without one is no call).
    return text.includes('{') || text.length > 256 ? 0 : -1;
  };
}

/** `NAME` + arguments, then the arguments' closing markup. */
function namedParser(body: DerivedNamedCall, tools: readonly ToolDefinition[] | undefined): (text: string, closed: boolean) => CallParse {
  const closeRest = new RegExp(`^\\s*${markupPattern(body.argsClose)}\\s*$`);
  const args = body.args;
  const head = namedHead(body);
  const pair =
    args.kind === 'tagged'
      ? new RegExp(
          `^\\s*${markupPattern(args.keyOpen)}([\\s\\S]*?)(?:${[args.keyClose, args.keyCloseOther ?? args.keyClose].map((close) => markupPattern(close)).join('|')})([\\s\\S]*?)${markupPattern(args.valueClose)}`,
        )
      : undefined;
  return (text, closed) => {
    const match = head.exec(text);
    const name = match?.[1]?.trim();
    if (!match || !name || /[<>\s]/.test(name)) return { error: 'no function name' };
    let rest = text.slice(match[0].length);
    // Without the closing markup (output cut off) the call counts only when its arguments are complete.
    const ends = (): boolean => closeRest.test(rest) || (!closed && !rest.trim());
    if (args.kind === 'json') {
      const end = scanJsonValue(rest);
      if (end < 0) return { error: 'arguments are not valid JSON' };
      const json = parseJsonArguments(rest.slice(0, end));
      if ('error' in json) return json;
      rest = rest.slice(end);
      return ends() ? { name, arguments: json.json } : { error: 'unexpected text in tool call' };
    }
    const pairs: Array<[string, string]> = [];
    for (let found = pair!.exec(rest); found; found = pair!.exec(rest)) {
      let value = found[2]!;
      // The template writes `>\n` VALUE `\n</parameter>`: those newlines are markup.
      if (args.keyClose.endsWith('\n') && value.startsWith('\n')) value = value.slice(1);
      if (args.valueClose.startsWith('\n') && value.endsWith('\n')) value = value.slice(0, -1);
      pairs.push([found[1]!.trim(), value]);
      rest = rest.slice(found[0].length);
    }
    return ends() ? { name, arguments: buildArguments(tools, name, pairs, 'string') } : { error: 'unexpected text in tool call' };
  };
}

export function derivedToolSyntax(tools: DerivedTools, toolDefinitions: readonly ToolDefinition[] | undefined): ToolSyntax {
  const body = tools.body;
  const parse = body.kind === 'json' ? (text: string) => parseJsonBody(text, body) : namedParser(body, toolDefinitions);
  // No closing marker: the call ends with its JSON (a JSON call, or a name then JSON arguments).
  const ending = tools.call.close === '' ? { jsonBody: true, ...(body.kind === 'named' ? { jsonStart: namedJsonStart(body) } : {}) } : {};
  return {
    ...(tools.section ? { section: { open: tools.section.open, close: tools.section.close } } : {}),
    call: { open: tools.call.open, close: tools.call.close, ...ending },
    parse,
  };
}

export function thinkTagsOf(syntax: DerivedSyntax): ThinkTags | undefined {
  const reasoning = syntax.reasoning;
  return reasoning ? { open: reasoning.open, close: reasoning.close, afterOpen: reasoning.afterOpen, afterClose: reasoning.afterClose } : undefined;
}

/** The streaming parser for the inferred markup. */
export function createDerivedParser(syntax: DerivedSyntax, options: XmlArgsParserOptions): OutputParser {
  const think = thinkTagsOf(syntax);
  // The inference found a thinking block (or none): that decides, not the template's spelling of `<think>`.
  const tools = syntax.tools;
  if (tools?.call.open === '' && tools.body.kind === 'json') {
    const body = tools.body;
    const calls = new LeadingJsonCalls(options, (json) => parseJsonBody(json, body));
    return syntax.content ? new MarkerStripper(calls, [syntax.content.open, syntax.content.close]) : calls;
  }
  const parser = syntax.tools
    ? new ToolMarkupParser({ ...options, templateThinks: think !== undefined }, { family: 'derived', think: think ?? false, tools: derivedToolSyntax(syntax.tools, options.tools) })
    : createThinkParser(think ? options : { ...options, reasoningFormat: 'none' }, think);
  // The content wrapper's markers are dropped from the text (the answer between them is the content).
  return syntax.content ? new MarkerStripper(parser, [syntax.content.open, syntax.content.close]) : parser;
}
