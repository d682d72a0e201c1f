// GBNF for JSON values of a schema, with our own rules for objects, arrays, unions and
// `$ref`s, and node-llama-cpp's converter for the leaves (strings, numbers, enums, …).
//
// Why our own objects: node-llama-cpp makes every property in `properties` required, which
// forces a model to invent values for every optional parameter of a tool (Claude Code's Bash
// would always get `run_in_background`). Our object rules follow llama.cpp's
// (common/json-schema-to-grammar.cpp `_build_object_rule`): the declared properties in schema
// order, each required one exactly once, each optional one at most once, closed unless
// `additionalProperties` is true or a schema (then any further `"key": value` pairs follow the
// declared ones). The rules are linear in the number of properties: with `kv_i` the i-th
// `"name": value` pair,
//
//   object ::= "{" ws b_0 ws "}"
//   a_i    ::= "," ws kv_i a_{i+1}               (required: something was written before)
//            | ( "," ws kv_i )? a_{i+1}          (optional)
//   b_i    ::= kv_i a_{i+1}                      (required: nothing was written yet)
//            | kv_i a_{i+1} | b_{i+1}            (optional)
//   a_n    ::= ( "," ws extra )*                 (or nothing when closed)
//   b_n    ::= ( extra a_n )?                    (or nothing when closed)
//
// Whitespace (`ws`) is llama.cpp's bounded `space`: nothing, one space, or one or two newlines and up
// to 20 spaces or tabs of indentation (compact and pretty-printed JSON, no unbounded loops);
// after a key's colon at most one space, as every JSON printer writes.
//
// Every piece node-llama-cpp writes gets the same fixes as a whole schema would: trailer
// stripped, closing markup kept out of strings, numbers bounded, invalid code points excluded.
//
// Approximations: a schema we hand to node-llama-cpp whole (an object schema with
// `minProperties`/`maxProperties`, or with sibling keywords such as `oneOf`, or an object in
// `prefixItems` or a multi-type `type`) gets node-llama-cpp's objects, every property required.
// That is stricter than the schema (its outputs still validate), so such a tool stays
// constrained and the place is reported in `approximations` for the caller to log.

import { isPlainObject } from '../parsers/json-arguments.js';
import { boundJsonNumbers, excludeFromJsonStrings, literal, renameRules, stripJsonTrailer } from './gbnf.js';

export type JsonSchemaGrammar = (schema: Record<string, unknown>) => Promise<string>;

/** llama.cpp's `SPACE_RULE`, made optional as a whole. */
export const WS_RULE_BODY = '( " " | "\\n"{1,2} [ \\t]{0,20} )?';

const OBJECT_KEYS = new Set(['type', 'properties', 'required', 'additionalProperties', '$defs']);
const ARRAY_KEYS = new Set(['type', 'items', 'minItems', 'maxItems', '$defs']);

/** Whether all of `schema`'s keys are in `allowed`. */
const only = (schema: Record<string, unknown>, allowed: ReadonlySet<string>): boolean => Object.keys(schema).every((key) => allowed.has(key));

/**
 * Builds the rules for JSON values under one rule-name prefix. `value()` returns a GBNF
 * sequence for a schema and collects the rules it needs; `rules()` returns them all.
 */
export class JsonValueGrammar {
  /** Where the generated grammar is stricter than the schema (JSON pointers into the root schema). */
  readonly approximations: string[] = [];
  private readonly out: string[] = [];
  private readonly delegated = new Map<string, string>();
  private readonly defRules = new Map<string, string>();
  private counter = 0;
  private wsUsed = false;
  private anyRule: string | undefined;

  /**
   * `root`: the schema `$ref`s resolve against (its `$defs`, already rewritten from
   * `definitions` by schemaForGrammar). `excluded`: texts JSON strings may not contain.
   */
  constructor(
    private readonly prefix: string,
    private readonly root: Record<string, unknown>,
    private readonly jsonSchemaGrammar: JsonSchemaGrammar,
    private readonly excluded: readonly string[],
  ) {}

  /** All rules so far. */
  rules(): string {
    return [...(this.wsUsed ? [`${this.ws} ::= ${WS_RULE_BODY}`] : []), ...this.out].join('\n');
  }

  private get ws(): string {
    this.wsUsed = true;
    return `${this.prefix}ws`;
  }

  private name(kind: string): string {
    return `${this.prefix}${kind}${this.counter++}`;
  }

  /**
   * A GBNF sequence for values of `schema`. `path`: where it is in the root schema (for
   * approximation notes). `head`: the `$defs` entered since the last consumed character (a
   * `$ref` back to one of them would be left recursion, which llama.cpp rejects).
   */
  async value(schema: unknown, path = '', head: ReadonlySet<string> = new Set()): Promise<string> {
    if (schema === true) return this.any();
    if (schema === false || !isPlainObject(schema)) throw new Error(`${path || '/'}: no value matches this schema`);
    const s = schema;
    const keys = Object.keys(s).filter((key) => key !== '$defs');
    if (keys.length === 0) return this.any();
    if (typeof s.$ref === 'string' && keys.length === 1) return this.ref(s.$ref, path, head);
    if (Array.isArray(s.oneOf) && keys.length === 1) {
      const alternatives: string[] = [];
      for (const [index, alternative] of s.oneOf.entries()) alternatives.push(await this.value(alternative, `${path}/oneOf/${index}`, head));
      if (alternatives.length === 0) throw new Error(`${path || '/'}: empty oneOf`);
      return `( ${alternatives.join(' | ')} )`;
    }
    const isObject = s.type === 'object' || (s.type === undefined && isPlainObject(s.properties));
    if (isObject && only(s, OBJECT_KEYS)) return this.object(s, path);
    if (s.type === 'array' && only(s, ARRAY_KEYS)) return this.array(s, path);
    return this.delegate(s, path);
  }

  /** `{type: object}` with properties, additionalProperties and required. */
  private async object(s: Record<string, unknown>, path: string): Promise<string> {
    const properties = isPlainObject(s.properties) ? s.properties : undefined;
    const required = new Set(Array.isArray(s.required) ? s.required.filter((key): key is string => typeof key === 'string') : []);
    // JSON Schema: without `properties` an object is open unless said otherwise; with them we
    // close it (llama.cpp's choice: a model should not add parameters nobody declared).
    const additional = s.additionalProperties ?? (properties ? false : true);
    const entries: Array<[string, unknown]> = Object.entries(properties ?? {}).filter(([key, value]) => value !== false || required.has(key));
    // Required names the schema does not describe: values of the additionalProperties schema.
    for (const key of required) {
      if (!entries.some(([name]) => name === key)) entries.push([key, isPlainObject(additional) ? additional : {}]);
    }
    const rule = this.name('o');
    const kvs: string[] = [];
    for (const [index, [key, valueSchema]] of entries.entries()) {
      const value = await this.value(valueSchema, `${path}/properties/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      const kv = `${rule}-kv${index}`;
      this.out.push(`${kv} ::= ${literal(JSON.stringify(key))} ":" " "? ${value}`);
      kvs.push(kv);
    }
    let extra: string | undefined;
    if (additional !== false) {
      extra = `${rule}-extra`;
      const key = await this.delegate({ type: 'string' }, `${path}/additionalProperties`);
      const value = await this.value(additional, `${path}/additionalProperties`);
      this.out.push(`${extra} ::= ${key} ":" " "? ${value}`);
    }
    const n = entries.length;
    // Bodies of a_i and b_i (see the file comment); '' is the empty sequence.
    const after: string[] = [];
    const before: string[] = [];
    /** A reference to a_i or b_i, or nothing for an empty one. */
    const ref = (i: number, kind: 'a' | 'b'): string => ((kind === 'a' ? after : before)[i] === '' ? '' : `${rule}-${kind}${i}`);
    const seq = (...parts: string[]): string => parts.filter((part) => part !== '').join(' ');
    after[n] = extra ? `( "," ${this.ws} ${extra} )*` : '';
    before[n] = extra ? `( ${seq(extra, ref(n, 'a'))} )?` : '';
    for (let i = n - 1; i >= 0; i--) {
      const kv = kvs[i]!;
      const isRequired = required.has(entries[i]![0]);
      after[i] = isRequired ? seq('","', this.ws, kv, ref(i + 1, 'a')) : seq(`( "," ${this.ws} ${kv} )?`, ref(i + 1, 'a'));
      if (isRequired) before[i] = seq(kv, ref(i + 1, 'a'));
      else if (before[i + 1] === '') before[i] = `( ${seq(kv, ref(i + 1, 'a'))} )?`;
      else before[i] = `${seq(kv, ref(i + 1, 'a'))} | ${ref(i + 1, 'b')}`;
    }
    const body = before[0]!;
    // Rules for the a_i and b_i reachable from b_0 (references only point to higher indices).
    const reachable = new Set<string>();
    const visit = (text: string): void => {
      for (const match of text.matchAll(new RegExp(`${rule}-([ab])(\\d+)(?![\\w-])`, 'g'))) {
        if (reachable.has(match[0])) continue;
        reachable.add(match[0]);
        const i = Number(match[2]);
        const ruleBody = (match[1] === 'a' ? after : before)[i]!;
        this.out.push(`${match[0]} ::= ${ruleBody}`);
        visit(ruleBody);
      }
    };
    visit(body);
    const inner = body === '' ? '' : body.includes(' | ') ? `( ${body} ) ${this.ws} ` : `${body} ${this.ws} `;
    this.out.push(`${rule} ::= "{" ${this.ws} ${inner}"}"`);
    return rule;
  }

  /** `{type: array}` with items, minItems and maxItems. */
  private async array(s: Record<string, unknown>, path: string): Promise<string> {
    const min = typeof s.minItems === 'number' ? Math.max(0, Math.ceil(s.minItems)) : 0;
    const max = typeof s.maxItems === 'number' ? Math.floor(s.maxItems) : undefined;
    if (max !== undefined && max < min) throw new Error(`${path || '/'}: maxItems < minItems`);
    const rule = this.name('r');
    if (max === 0 || s.items === false) {
      if (min > 0) throw new Error(`${path || '/'}: no items allowed but minItems > 0`);
      this.out.push(`${rule} ::= "[" ${this.ws} "]"`);
      return rule;
    }
    const item = await this.value(s.items ?? {}, `${path}/items`);
    const more = `( "," ${this.ws} ${item} )`;
    const lo = Math.max(0, min - 1);
    const repeat = max === undefined ? (lo === 0 ? `${more}*` : `${more}{${lo},}`) : max - 1 === 0 ? '' : `${more}{${lo},${max - 1}}`;
    const items = `${item}${repeat ? ` ${repeat}` : ''}`;
    this.out.push(`${rule} ::= "[" ${this.ws} ${min === 0 ? `( ${items} )?` : items} ${this.ws} "]"`);
    return rule;
  }

  /** A local `$ref` (`#` or `#/$defs/name`): one rule per definition, so recursion works. */
  private async ref(ref: string, path: string, head: ReadonlySet<string>): Promise<string> {
    let target: unknown;
    if (ref === '#') target = this.root;
    else if (ref.startsWith('#/$defs/')) {
      const name = ref.slice('#/$defs/'.length).replace(/~1/g, '/').replace(/~0/g, '~');
      const defs = this.root.$defs;
      target = isPlainObject(defs) && Object.hasOwn(defs, name) ? defs[name] : undefined;
    }
    // Anything else: node-llama-cpp's resolution (it throws on what it cannot resolve).
    if (target === undefined) return this.delegate({ $ref: ref }, path);
    if (head.has(ref)) throw new Error(`${path || '/'}: ${ref} refers to itself without consuming input`);
    const known = this.defRules.get(ref);
    if (known) return known;
    const rule = this.name('d');
    this.defRules.set(ref, rule);
    const body = await this.value(target, ref.slice(1), new Set([...head, ref]));
    this.out.push(`${rule} ::= ${body}`);
    return rule;
  }

  /** Any JSON value (node-llama-cpp reads a schema without keywords as `null`). */
  private async any(): Promise<string> {
    if (this.anyRule) return this.anyRule;
    const rule = this.name('any');
    this.anyRule = rule;
    const string = await this.delegate({ type: 'string' }, '');
    const number = await this.delegate({ type: 'number' }, '');
    const member = `${string} ":" " "? ${rule}`;
    this.out.push(
      `${rule} ::= ${string} | ${number} | "true" | "false" | "null"` +
        ` | "{" ${this.ws} ( ${member} ( "," ${this.ws} ${member} )* ${this.ws} )? "}"` +
        ` | "[" ${this.ws} ( ${rule} ( "," ${this.ws} ${rule} )* ${this.ws} )? "]"`,
    );
    return rule;
  }

  /** node-llama-cpp's grammar for `schema` (with the root's `$defs` when it refers to them), embedded and fixed up. */
  private async delegate(schema: Record<string, unknown>, path: string): Promise<string> {
    const { $defs: _, ...rest } = schema;
    const defs = this.root.$defs;
    const full = JSON.stringify(rest).includes('"$ref"') && defs !== undefined ? { ...rest, $defs: defs } : rest;
    const key = JSON.stringify(full);
    const known = this.delegated.get(key);
    if (known) return known;
    if (this.hasOptionalProperties(full, new Set())) this.approximations.push(path || '/');
    const prefix = this.name('v') + '-';
    const gbnf = boundJsonNumbers(excludeFromJsonStrings(stripJsonTrailer(await this.jsonSchemaGrammar(full)), this.excluded));
    this.out.push(renameRules(gbnf.trim(), prefix));
    this.delegated.set(key, `${prefix}root`);
    return `${prefix}root`;
  }

  /** Whether node-llama-cpp would make an optional property required somewhere in `schema`. */
  private hasOptionalProperties(schema: unknown, seen: Set<string>): boolean {
    if (Array.isArray(schema)) return schema.some((item) => this.hasOptionalProperties(item, seen));
    if (!isPlainObject(schema)) return false;
    if (isPlainObject(schema.properties)) {
      const required = Array.isArray(schema.required) ? schema.required : [];
      if (Object.keys(schema.properties).some((key) => !required.includes(key))) return true;
    }
    if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#/$defs/') && !seen.has(schema.$ref)) {
      seen.add(schema.$ref);
      const defs = this.root.$defs;
      const name = schema.$ref.slice('#/$defs/'.length).replace(/~1/g, '/').replace(/~0/g, '~');
      if (isPlainObject(defs) && this.hasOptionalProperties(defs[name], seen)) return true;
    }
    return Object.entries(schema).some(([key, value]) => !['$defs', 'enum', 'const'].includes(key) && this.hasOptionalProperties(value, seen));
  }
}
