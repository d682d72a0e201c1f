// The grammar of Python-style call arguments (LFM2: `get_weather(city="Paris", days=3)`;
// parser: src/chat/parsers/pythonic.ts). Each value is JSON of the parameter's schema: a
// JSON string is a valid Python string literal (the parser decodes its escapes), and JSON's
// numbers, objects, arrays and true/false/null are among the literals the parser (and
// llama.cpp's `python_or_json_value`) accepts. Parameters come in schema order, each
// required one once and each optional one at most once, separated by `, `:
//
//   b_i ::= p_i a_{i+1}                  (required: nothing written yet)
//         | p_i a_{i+1} | b_{i+1}        (optional)
//   a_i ::= ", " p_i a_{i+1}             (required: something written before)
//         | ( ", " p_i )? a_{i+1}        (optional)
//
// A parameter that is any string may also be a single-quoted Python string, as LFM2.5-8B-A1B's
// template renders them. A schema the converter cannot enforce gets any `name=value` arguments.

import { isPlainObject } from '../parsers/json-arguments.js';
import type { ToolDefinition } from '../types.js';
import { type ArgumentsGrammar, enforceableSchema } from './arguments.js';
import { literal, pythonStringExcluding } from './gbnf.js';
import { type JsonSchemaGrammar, JsonValueGrammar } from './json-value.js';

/** Argument names the parser reads (Python identifiers). */
const PYTHON_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function pythonArguments(tool: ToolDefinition, prefix: string, jsonSchemaGrammar: JsonSchemaGrammar, excluded: readonly string[]): Promise<ArgumentsGrammar> {
  const schema = enforceableSchema(tool.parameters);
  const properties = schema && isPlainObject(schema.properties) ? schema.properties : undefined;
  const names = properties ? Object.keys(properties) : [];
  const required = new Set(Array.isArray(schema?.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
  const exact = schema !== undefined && !('oneOf' in schema) && names.every((name) => PYTHON_NAME.test(name)) && [...required].every((name) => names.includes(name));
  if (!schema || !exact || (!properties && schema.additionalProperties !== false)) {
    // Any `name=value` arguments: exact for a schema that allows any object.
    const json = new JsonValueGrammar(`${prefix}j-`, {}, jsonSchemaGrammar, excluded);
    const value = await json.value({});
    const arg = `${prefix}arg`;
    return {
      rules: [`${arg} ::= [a-zA-Z_] [a-zA-Z0-9_]* "=" ${value}`, `${prefix}args ::= ( ${arg} ( ", " ${arg} )* )?`, json.rules()].join('\n'),
      rule: `${prefix}args`,
      unconstrained: !exact,
      approximations: [],
    };
  }
  const json = new JsonValueGrammar(`${prefix}j-`, schema, jsonSchemaGrammar, excluded);
  const rules: string[] = [];
  const params: string[] = [];
  const quoted = `${prefix}sq`;
  let singleQuotes = false;
  for (const [index, name] of names.entries()) {
    const property = properties![name];
    let value = await json.value(property, `/properties/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    if (isPlainString(property)) {
      // The model's own template may quote strings either way (LFM2.5-8B-A1B writes 'Paris').
      value = `( ${value} | ${quoted} )`;
      singleQuotes = true;
    }
    const rule = `${prefix}p${index}`;
    rules.push(`${rule} ::= ${literal(`${name}=`)} ${value}`);
    params.push(rule);
  }
  // a_i / b_i as in the header; '' is the empty sequence, referenced by nothing.
  const n = names.length;
  const after: string[] = [];
  const before: string[] = [];
  const ref = (i: number, kind: 'a' | 'b'): string => ((kind === 'a' ? after : before)[i] === '' ? '' : `${prefix}${kind}${i}`);
  const seq = (...parts: string[]): string => parts.filter((part) => part !== '').join(' ');
  after[n] = '';
  before[n] = '';
  for (let i = n - 1; i >= 0; i--) {
    const param = params[i]!;
    const isRequired = required.has(names[i]!);
    after[i] = isRequired ? seq('", "', param, ref(i + 1, 'a')) : seq(`( ", " ${param} )?`, ref(i + 1, 'a'));
    if (isRequired) before[i] = seq(param, ref(i + 1, 'a'));
    else if (before[i + 1] === '') before[i] = `( ${seq(param, ref(i + 1, 'a'))} )?`;
    else before[i] = `${seq(param, ref(i + 1, 'a'))} | ${ref(i + 1, 'b')}`;
  }
  // Only the a_i / b_i reachable from b_0 (references point to higher indices only).
  const reachable = new Set<string>();
  const visit = (body: string): void => {
    for (const match of body.matchAll(new RegExp(`${prefix}([ab])(\\d+)(?![\\w-])`, 'g'))) {
      if (reachable.has(match[0])) continue;
      reachable.add(match[0]);
      const ruleBody = (match[1] === 'a' ? after : before)[Number(match[2])]!;
      rules.push(`${match[0]} ::= ${ruleBody}`);
      visit(ruleBody);
    }
  };
  const body = before[0] ?? '';
  visit(body);
  rules.push(`${prefix}args ::= ${body === '' ? '""' : body}`);
  if (singleQuotes) rules.push(`${quoted} ::= "'" ${quoted}-chars "'"`, pythonStringExcluding(`${quoted}-chars`, excluded));
  const jsonRules = json.rules();
  if (jsonRules) rules.push(jsonRules);
  return { rules: rules.join('\n'), rule: `${prefix}args`, unconstrained: false, approximations: json.approximations };
}

/** Keywords that do not restrict a value. */
const ANNOTATIONS = new Set(['type', 'title', 'description', 'examples', 'default', '$comment', 'deprecated', 'readOnly', 'writeOnly']);

/** `{type: "string"}` with nothing restricting it (a single-quoted string then fits the schema as well as a JSON one). */
function isPlainString(schema: unknown): boolean {
  return isPlainObject(schema) && schema.type === 'string' && Object.keys(schema).every((key) => ANNOTATIONS.has(key));
}
