// Gemma 4 tool calls (parser: src/chat/parsers/gemma4.ts):
//
//   <|tool_call>call:get_weather{city:<|"|>Paris<|"|>,days:3}<tool_call|>
//
// calls back to back, arguments in Gemma's value encoding (src/chat/parsers/gemma4-values.ts),
// so not JSON: strings between `<|"|>`, bare keys. llama.cpp's grammar admits any value there
// (common/parsers/gemma4.cpp: "TODO … extend json-schema-to-grammar"); ours follows the tool's
// schema, written the way the template writes arguments, which is what the model learnt:
// compact (no whitespace) and object keys in sorted order (`dictsort`).
//
// Enforced: `type` (one or several), `properties` / `required` (each required key once, each
// optional one at most once) / `additionalProperties`, `items` / `minItems` / `maxItems`,
// `enum` / `const`, `oneOf`, local `$ref`s, and a string's `minLength` / `maxLength` (then
// without `<`, as the XML families do: a bound and an exclusion do not compose in GBNF).
// Anything else (`format`, `prefixItems`, `minProperties`…) is left out and the tool reported
// as unconstrained. Integers have no exponent and at most 16 digits, numbers at most a
// two-digit exponent (as the JSON families' grammars, so JavaScript can hold them).

import { isPlainObject } from '../parsers/json-arguments.js';
import type { ToolDefinition } from '../types.js';
import { type ArgumentsGrammar, enforceableSchema } from './arguments.js';
import type { FamilySyntax } from './families.js';
import { charClass, literal, textExcluding } from './gbnf.js';

const QUOTE = '<|"|>';
/** What a string may not contain: its own delimiter, and the call's closing markup (the parser would end the call there). */
const STRING_EXCLUDED = [QUOTE, '<tool_call|>'];

const INTEGER = '"-"? ( "0" | [1-9] [0-9]{0,15} )';
const NUMBER = `${INTEGER} ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,2} )?`;

/** Keys the template writes bare: what the parser reads as a key (up to `:`, trimmed). Others go in `<|"|>`. */
const BARE_KEY = /^[^\s:}<][^:}<]*(?<!\s)$/;

/** One value in Gemma's encoding, as the template's `format_argument` writes it. */
function encode(value: unknown): string {
  if (typeof value === 'string') return `${QUOTE}${value}${QUOTE}`;
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  if (isPlainObject(value))
    return `{${sortedEntries(value)
      .map(([key, item]) => `${encodeKey(key)}:${encode(item)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

const encodeKey = (key: string): string => (BARE_KEY.test(key) ? key : `${QUOTE}${key}${QUOTE}`);

/** Jinja's `dictsort`: by key, code point order. */
const sortedEntries = <T>(object: Record<string, T>): Array<[string, T]> => Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);

/** Builds the rules for Gemma values of one tool under one rule-name prefix. */
class Gemma4ValueGrammar {
  private readonly out: string[] = [];
  private readonly defRules = new Map<string, string>();
  private counter = 0;
  private stringRule: string | undefined;
  private anyRule: string | undefined;
  /** False once part of the schema was left unenforced. */
  exact = true;

  constructor(
    private readonly prefix: string,
    private readonly root: Record<string, unknown>,
  ) {}

  rules(): string {
    return this.out.join('\n');
  }

  private name(kind: string): string {
    return `${this.prefix}${kind}${this.counter++}`;
  }

  /** A GBNF sequence for values of `schema`. `head`: `$ref`s entered since the last consumed character. */
  value(schema: unknown, head: ReadonlySet<string> = new Set()): string {
    if (schema === true || (isPlainObject(schema) && Object.keys(schema).filter((key) => key !== '$defs').length === 0)) return this.any();
    if (!isPlainObject(schema)) throw new Error('no value matches this schema');
    const s = schema;
    if (typeof s.$ref === 'string') return this.ref(s.$ref, head);
    if ('const' in s) return literal(encode(s.const));
    if (Array.isArray(s.enum)) {
      if (s.enum.length === 0) throw new Error('empty enum');
      return `( ${s.enum.map((value) => literal(encode(value))).join(' | ')} )`;
    }
    if (Array.isArray(s.oneOf)) {
      const { oneOf, ...rest } = s;
      return `( ${oneOf.map((alternative) => this.value(isPlainObject(alternative) ? { ...rest, ...alternative } : alternative, head)).join(' | ')} )`;
    }
    if (Array.isArray(s.type)) return `( ${s.type.map((type) => this.value({ ...s, type }, head)).join(' | ')} )`;
    const type = s.type ?? (isPlainObject(s.properties) ? 'object' : undefined);
    if (type === undefined) {
      this.exact = false;
      return this.any();
    }
    if (typeof type !== 'string' || !TYPES.has(type)) throw new Error(`unknown type ${JSON.stringify(type)}`);
    switch (type) {
      case 'string':
        return this.string(s);
      case 'integer':
        return INTEGER;
      case 'number':
        return NUMBER;
      case 'boolean':
        return '( "true" | "false" )';
      case 'null':
        return '"null"';
      case 'array':
        return this.array(s);
      default:
        return this.object(s);
    }
  }

  private string(s: Record<string, unknown>): string {
    if ('format' in s) this.exact = false;
    const min = typeof s.minLength === 'number' ? s.minLength : undefined;
    const max = typeof s.maxLength === 'number' ? s.maxLength : undefined;
    if (min !== undefined || max !== undefined) return `${literal(QUOTE)} ${charClass('<', true)}{${min ?? 0},${max ?? ''}} ${literal(QUOTE)}`;
    return this.freeString();
  }

  private freeString(): string {
    if (!this.stringRule) {
      this.stringRule = this.name('s');
      const text = `${this.stringRule}-text`;
      this.out.push(`${this.stringRule} ::= ${literal(QUOTE)} ${text} ${literal(QUOTE)}`, textExcluding(text, STRING_EXCLUDED));
    }
    return this.stringRule;
  }

  private array(s: Record<string, unknown>): string {
    if ('prefixItems' in s) this.exact = false;
    const min = typeof s.minItems === 'number' ? Math.max(0, Math.ceil(s.minItems)) : 0;
    const max = typeof s.maxItems === 'number' ? Math.floor(s.maxItems) : undefined;
    if (max !== undefined && max < min) throw new Error('maxItems < minItems');
    const rule = this.name('a');
    if (max === 0 || s.items === false) {
      this.out.push(`${rule} ::= "[]"`);
      return rule;
    }
    const item = this.value(s.items ?? true);
    const lo = Math.max(0, min - 1);
    const more = `( "," ${item} )`;
    const repeat = max === undefined ? (lo === 0 ? `${more}*` : `${more}{${lo},}`) : max === 1 ? '' : `${more}{${lo},${max - 1}}`;
    const items = repeat ? `${item} ${repeat}` : item;
    this.out.push(`${rule} ::= "[" ${min === 0 ? `( ${items} )?` : items} "]"`);
    return rule;
  }

  /** Declared keys in sorted order (each required once, optional at most once), then extra keys if allowed. */
  private object(s: Record<string, unknown>): string {
    if ('minProperties' in s || 'maxProperties' in s) this.exact = false;
    const properties = isPlainObject(s.properties) ? s.properties : {};
    const required = new Set(Array.isArray(s.required) ? s.required.filter((key): key is string => typeof key === 'string') : []);
    const additional = s.additionalProperties ?? (isPlainObject(s.properties) ? false : true);
    const entries = sortedEntries(properties).filter(([key, value]) => value !== false || required.has(key));
    for (const key of required) if (!(key in properties)) entries.push([key, isPlainObject(additional) ? additional : true]);
    const rule = this.name('o');
    // `first` holds whether something was written yet: rule -b<i> (nothing yet) / -a<i> (a comma is due).
    const pairs = entries.map(([key, value]) => `${literal(`${encodeKey(key)}:`)} ${this.value(value)}`);
    let extra: string | undefined;
    if (additional !== false) {
      extra = `${rule}-x`;
      this.out.push(`${extra} ::= [a-zA-Z_] [a-zA-Z0-9_.-]{0,63} ":" ${this.value(additional)}`);
    }
    const n = pairs.length;
    const after: string[] = [];
    const before: string[] = [];
    after[n] = extra ? `( "," ${extra} )*` : '""';
    before[n] = extra ? `( ${extra} ${rule}-a${n} )?` : '""';
    for (let i = n - 1; i >= 0; i--) {
      const next = `${rule}-a${i + 1}`;
      const isRequired = required.has(entries[i]![0]);
      after[i] = isRequired ? `"," ${pairs[i]} ${next}` : `( "," ${pairs[i]} )? ${next}`;
      before[i] = isRequired ? `${pairs[i]} ${next}` : `${pairs[i]} ${next} | ${rule}-b${i + 1}`;
    }
    for (let i = 0; i <= n; i++) this.out.push(`${rule}-a${i} ::= ${after[i]}`, `${rule}-b${i} ::= ${before[i]}`);
    this.out.push(`${rule} ::= "{" ${rule}-b0 "}"`);
    return rule;
  }

  private ref(ref: string, head: ReadonlySet<string>): string {
    let target: unknown;
    if (ref === '#') target = this.root;
    else if (ref.startsWith('#/$defs/')) {
      const name = ref.slice('#/$defs/'.length).replace(/~1/g, '/').replace(/~0/g, '~');
      const defs = this.root.$defs;
      target = isPlainObject(defs) && Object.hasOwn(defs, name) ? defs[name] : undefined;
    }
    if (target === undefined) throw new Error(`cannot resolve ${ref}`);
    if (head.has(ref)) throw new Error(`${ref} refers to itself without consuming input`);
    const known = this.defRules.get(ref);
    if (known) return known;
    const rule = this.name('d');
    this.defRules.set(ref, rule);
    this.out.push(`${rule} ::= ${this.value(target, new Set([...head, ref]))}`);
    return rule;
  }

  /** Any Gemma value. */
  private any(): string {
    if (this.anyRule) return this.anyRule;
    const rule = this.name('any');
    this.anyRule = rule;
    const member = `[a-zA-Z_] [a-zA-Z0-9_.-]{0,63} ":" ${rule}`;
    this.out.push(
      `${rule} ::= ${this.freeString()} | ${NUMBER} | "true" | "false" | "null"` + ` | "{" ( ${member} ( "," ${member} )* )? "}" | "[" ( ${rule} ( "," ${rule} )* )? "]"`,
    );
    return rule;
  }
}

/** The arguments of one tool: a Gemma object following its schema, or any object when the schema cannot be followed. */
export function gemma4Arguments(tool: ToolDefinition, prefix: string): ArgumentsGrammar {
  const schema = enforceableSchema(tool.parameters);
  if (schema) {
    try {
      const grammar = new Gemma4ValueGrammar(prefix, schema);
      const rule = grammar.value(schema);
      return { rules: grammar.rules(), rule, unconstrained: !grammar.exact, approximations: [] };
    } catch {
      // A schema no value matches, or a reference we cannot follow: any object below.
    }
  }
  const grammar = new Gemma4ValueGrammar(prefix, {});
  const rule = grammar.value({ type: 'object', additionalProperties: true });
  return { rules: grammar.rules(), rule, unconstrained: true, approximations: [] };
}

export const GEMMA4: FamilySyntax = {
  args: { kind: 'gemma4' },
  call: (name, args) => `${literal(`<|tool_call>call:${name}`)} ${args} ${literal('<tool_call|>')}`,
  calls: (call, parallel) => (parallel ? `${call}+` : call),
  triggers: () => [{ text: '<|tool_call>' }],
};
