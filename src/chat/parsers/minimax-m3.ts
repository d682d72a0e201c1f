// MiniMax-M3: every tool tag carries the namespace token `]<]minimax[>[` (NS below), parameters
// are elements named after the parameter, and nested objects / arrays are expanded into
// elements (`<item>` for array entries), as the template's `to_xml` macro writes them:
//
//   <mm:think>The user asks about Paris.</mm:think>NS<tool_call>
//   NS<invoke name="get_weather">NS<city>Paris NS</city>NS<days>3NS</days>NS</invoke>
//   NS</tool_call>
//
// (written here with spaces where none are). Reasoning is `<mm:think>…</mm:think>`, opened by
// the model itself (the generation prompt is `]~b]ai\n`); a turn without reasoning starts with a
// bare `</mm:think>`. We follow llama.cpp's specialized handler (common/parsers/minimax-m3.cpp):
// - reasoning runs up to `</mm:think>` only (a call inside it stays reasoning);
// - a value is typed by the tool's schema: a parameter that may be a string is the raw text up
//   to its closing tag (markup inside included), an object with properties is its member
//   elements, an array its `<item>` elements, anything else JSON (numbers, booleans, null).
// For a parameter without a schema (unknown tool or property), nested elements make an object
// (an array when they are all `<item>`), else the text is JSON when it parses and a string
// otherwise. llama.cpp only accepts offered tools and declared properties; we parse any.

import { isPlainObject, tryParseJson } from './json-arguments.js';
import type { Segment } from './think.js';
import { ThinkSplitter } from './think.js';
import { type CallParse, type SegmentSplitter, ToolMarkupParser } from './tool-markup.js';
import type { OutputParser, ParserOptions } from './types.js';
import type { XmlArgsParserOptions } from './xml-arguments.js';
import type { ToolDefinition } from '../types.js';

export const MINIMAX_M3_NS = ']<]minimax[>[';
const NS = MINIMAX_M3_NS;
const THINK = { open: '<mm:think>', close: '</mm:think>' };

class M3SyntaxError extends Error {}

type Schema = Record<string, unknown> | undefined;

/** The JSON types a schema names (`type`, and the alternatives of anyOf / oneOf). */
function schemaTypes(schema: Schema): Set<string> | undefined {
  if (!schema) return undefined;
  const types = new Set<string>();
  const visit = (s: unknown): void => {
    if (!isPlainObject(s)) return;
    for (const t of Array.isArray(s.type) ? s.type : [s.type]) if (typeof t === 'string') types.add(t);
    if (s.type === undefined && isPlainObject(s.properties)) types.add('object');
    if (Array.isArray(s.enum)) for (const v of s.enum) types.add(typeof v === 'string' ? 'string' : 'other');
    if ('const' in s) types.add(typeof s.const === 'string' ? 'string' : 'other');
    for (const key of ['anyOf', 'oneOf'] as const) if (Array.isArray(s[key])) for (const alternative of s[key]) visit(alternative);
  };
  visit(schema);
  return types.size > 0 ? types : undefined;
}

/** The sub-schema of an object schema's property, or of an array schema's items (anyOf / oneOf alternatives searched too). */
function subSchema(schema: Schema, pick: (s: Record<string, unknown>) => unknown): Schema {
  if (!schema) return undefined;
  const direct = pick(schema);
  if (isPlainObject(direct)) return direct;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    for (const alternative of list) {
      const found = isPlainObject(alternative) ? pick(alternative) : undefined;
      if (isPlainObject(found)) return found;
    }
  }
  return undefined;
}

const propertyOf = (schema: Schema, name: string): Schema => subSchema(schema, (s) => (isPlainObject(s.properties) ? s.properties[name] : undefined));
const itemsOf = (schema: Schema): Schema => subSchema(schema, (s) => s.items);

class Reader {
  constructor(
    private readonly text: string,
    public at = 0,
  ) {}

  skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at++;
  }

  startsWith(prefix: string): boolean {
    return this.text.startsWith(prefix, this.at);
  }

  get rest(): string {
    return this.text.slice(this.at);
  }

  /** Text up to `close` (consumed too). */
  until(close: string): string {
    const end = this.text.indexOf(close, this.at);
    if (end === -1) throw new M3SyntaxError(`no ${close}`);
    const value = this.text.slice(this.at, end);
    this.at = end + close.length;
    return value;
  }

  /** `NS<name>` → name. */
  openTag(): string {
    if (!this.startsWith(`${NS}<`) || this.startsWith(`${NS}</`)) throw new M3SyntaxError(`expected an element at ${this.at}`);
    const end = this.text.indexOf('>', this.at + NS.length + 1);
    if (end === -1) throw new M3SyntaxError('unterminated element');
    const name = this.text.slice(this.at + NS.length + 1, end);
    if (!name || /[\s<]/.test(name)) throw new M3SyntaxError(`bad element name ${JSON.stringify(name)}`);
    this.at = end + 1;
    return name;
  }

  /** A value up to `close` (consumed), typed by `schema`. */
  value(schema: Schema, close: string): unknown {
    const types = schemaTypes(schema);
    // A string accepts anything, so a union with a string alternative is a string.
    if (types?.has('string')) return this.until(close);
    const start = this.at;
    this.skipSpace();
    if (this.startsWith(close)) {
      this.at += close.length;
      if (types?.has('array') && !types.has('object')) return [];
      if (types?.has('object')) return {};
      return '';
    }
    if (this.startsWith(`${NS}<`) && (types === undefined || types.has('object') || types.has('array'))) {
      const asArray = types === undefined ? this.startsWith(`${NS}<item>`) : types.has('array') && (!types.has('object') || this.startsWith(`${NS}<item>`));
      return asArray ? this.array(itemsOf(schema), close) : this.object(schema, close);
    }
    this.at = start;
    const raw = this.until(close);
    const parsed = tryParseJson(raw.trim());
    // Numbers, booleans and null are written verbatim; text that is no JSON stays a string.
    return parsed ? parsed.value : raw;
  }

  /** Elements named after the object's properties, up to `close` (consumed; '' = the end of the text). */
  object(schema: Schema, close: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (;;) {
      this.skipSpace();
      if (close === '' ? this.at >= this.text.length : this.startsWith(close)) {
        this.at += close.length;
        return out;
      }
      const name = this.openTag();
      out[name] = this.value(propertyOf(schema, name), `${NS}</${name}>`);
    }
  }

  private array(items: Schema, close: string): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.startsWith(close)) {
        this.at += close.length;
        return out;
      }
      if (this.openTag() !== 'item') throw new M3SyntaxError('an array holds <item> elements');
      out.push(this.value(items, `${NS}</item>`));
    }
  }
}

/** The body of `NS<invoke name="…">…` after `NS<invoke name="` (up to `NS</invoke>`). */
export function parseMinimaxM3Invoke(body: string, tools: readonly ToolDefinition[] | undefined): CallParse {
  const quote = body.indexOf('">');
  if (quote <= 0) return { error: 'no invoke name' };
  const name = body.slice(0, quote).trim();
  const schema = tools?.find((tool) => tool.name === name)?.parameters;
  try {
    const args = new Reader(body, quote + 2).object(schema, '');
    return { name, arguments: JSON.stringify(args) };
  } catch (error) {
    if (error instanceof M3SyntaxError) return { error: error.message };
    throw error;
  }
}

/**
 * `<mm:think>` splitting, plus the bare `</mm:think>` that starts a turn without reasoning:
 * consumed (as llama.cpp's parser does), and everything after it is content.
 */
class M3Splitter implements SegmentSplitter {
  private readonly inner: ThinkSplitter;
  private state: 'head' | 'inner' | 'content';
  private head = '';

  constructor(options: Pick<ParserOptions, 'reasoningFormat' | 'prompt'>) {
    this.inner = new ThinkSplitter(options, THINK, 'llama.cpp');
    // Only at the very start, and only when reasoning is extracted at all.
    this.state = options.reasoningFormat === 'auto' && !this.inner.inReasoning ? 'head' : 'inner';
  }

  push(text: string): Segment[] {
    if (this.state === 'content') return text ? [{ kind: 'content', text }] : [];
    if (this.state === 'inner') return this.inner.push(text);
    this.head += text;
    const trimmed = this.head.trimStart();
    if (trimmed.startsWith(THINK.close)) {
      this.state = 'content';
      const rest = trimmed.slice(THINK.close.length);
      this.head = '';
      return [{ kind: 'think_end' }, ...(rest ? [{ kind: 'content' as const, text: rest }] : [])];
    }
    if (trimmed === '' || THINK.close.startsWith(trimmed)) return [];
    this.state = 'inner';
    const head = this.head;
    this.head = '';
    return this.inner.push(head);
  }

  finish(): Segment[] {
    if (this.state === 'content') return [];
    const head = this.head;
    this.head = '';
    return [...(head ? this.inner.push(head) : []), ...this.inner.finish()];
  }
}

export function createMinimaxM3Parser(options: XmlArgsParserOptions): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'minimax-m3',
    think: THINK,
    splitter: () => new M3Splitter(options),
    // llama.cpp reads reasoning up to `</mm:think>` only.
    callsEndThinking: false,
    tools: {
      section: { open: `${NS}<tool_call>`, close: `${NS}</tool_call>` },
      call: { open: `${NS}<invoke name="`, close: `${NS}</invoke>` },
      parse: (body) => parseMinimaxM3Invoke(body, options.tools),
    },
  });
}
