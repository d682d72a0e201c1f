// The grammar of one tool's arguments: a JSON object (most families) or a sequence of XML
// parameters with raw-text values (Qwen3-Coder, GLM-4.5, MiniMax-M2), constrained to the
// tool's JSON schema as far as node-llama-cpp's converter can enforce it.

import { schemaForGrammar } from '../json-schema.js';
import { isPlainObject } from '../parsers/json-arguments.js';
import { parameterTypes } from '../parsers/xml-arguments.js';
import type { ToolDefinition } from '../types.js';
import { charClass, literal, literalOptionalNewlines, textExcluding } from './gbnf.js';
import { type JsonSchemaGrammar, JsonValueGrammar } from './json-value.js';

export type { JsonSchemaGrammar } from './json-value.js';

export interface ArgumentsGrammar {
  /** GBNF rules, all named with the tool's prefix. */
  rules: string;
  /** The rule matching the arguments. */
  rule: string;
  /**
   * The schema could not be (fully) enforced: JSON families admit any object; XML families
   * admit any parameters, or raw text for a parameter the raw-text rules cannot restrict.
   */
  unconstrained: boolean;
  /**
   * Where the grammar is stricter than the schema (JSON pointers into it): parts handed to
   * node-llama-cpp whole, which makes their objects' optional properties required. What the
   * grammar admits still validates; the caller may log these.
   */
  approximations: string[];
}

/**
 * The tool's parameter schema as the grammar converter should see it, or undefined when it
 * cannot be enforced (a keyword outside the converter's subset, or a top level that is not
 * an object schema).
 */
export function enforceableSchema(parameters: Record<string, unknown>): Record<string, unknown> | undefined {
  let schema: Record<string, unknown>;
  try {
    schema = schemaForGrammar(parameters, 'tools');
  } catch {
    return undefined;
  }
  const combinators = ['oneOf', 'enum', 'const', '$ref'].some((key) => key in schema);
  if (schema.type === undefined && !combinators) schema = { ...schema, type: 'object' };
  if (schema.type !== 'object') return undefined;
  // JSON Schema's `{type: object}` is any object, but node-llama-cpp's converter reads a
  // missing `properties` as "no properties". An explicit `properties` (even `{}`) is kept closed.
  if (!('properties' in schema) && !('additionalProperties' in schema)) schema = { ...schema, additionalProperties: true };
  return schema;
}

/**
 * JSON object arguments. `excluded`: texts JSON strings may not contain (the family's closing
 * markup, which would end the call early in the parser).
 */
export async function jsonArguments(tool: ToolDefinition, prefix: string, jsonSchemaGrammar: JsonSchemaGrammar, excluded: readonly string[]): Promise<ArgumentsGrammar> {
  const schema = enforceableSchema(tool.parameters);
  if (schema) {
    try {
      const json = new JsonValueGrammar(prefix, schema, jsonSchemaGrammar, excluded);
      const rule = await json.value(schema);
      return { rules: json.rules(), rule, unconstrained: false, approximations: json.approximations };
    } catch {
      // The converter rejected it after all: fall through to any object.
    }
  }
  // Any JSON object (`{type: object}` alone, which JSON Schema leaves open).
  const json = new JsonValueGrammar(prefix, {}, jsonSchemaGrammar, excluded);
  const rule = await json.value({ type: 'object' });
  return { rules: json.rules(), rule, unconstrained: true, approximations: [] };
}

/** How one family writes an XML argument. */
export interface XmlArgumentSyntax {
  /** Markup before the parameter name (`<parameter=`). */
  nameBefore: string;
  /** Markup between the name and the value (`>\n`). */
  nameAfter: string;
  /**
   * Markup between the name and a JSON (non-string) value, where it differs from `nameAfter`
   * (DeepSeek's `" string="false">` against `" string="true">` for raw text).
   */
  nameAfterJson?: string;
  /**
   * Markup between the name and the value as a function of the parameter's schema, overriding
   * `nameAfter` / `nameAfterJson` (Kimi K3 writes the value's JSON type: `" type="number"<|sep|>`).
   */
  afterName?: (property: unknown, raw: boolean) => string;
  /**
   * Markup after the value (and before the next parameter or the call's end); a function of
   * the parameter name where the closing tag repeats it (MiniMax-M3's `NS</city>`).
   */
  close: string | ((name: string) => string);
  /** Texts a raw value may not contain (its closing markup and the call's). */
  excluded: readonly string[];
  /** Every newline of the markup may be left out (GLM-4.7 writes GLM-4.5's markup without them). */
  optionalNewlines?: boolean;
}

/** The schema of a tool's declared parameter, if any. */
const propertyOf = (tool: ToolDefinition, name: string): unknown => (isPlainObject(tool.parameters.properties) ? tool.parameters.properties[name] : undefined);

/** Parameter names the XML syntaxes cannot carry (the parsers split on these characters). */
const BAD_XML_NAME = /[<>"\n]/;

/**
 * XML arguments: the schema's parameters in schema order, each required one once and each
 * optional one at most once. A value is raw text when the schema allows strings (the parsers keep it a
 * string), else JSON matching the parameter's schema (the parsers type it).
 */
export async function xmlArguments(tool: ToolDefinition, prefix: string, syntax: XmlArgumentSyntax, jsonSchemaGrammar: JsonSchemaGrammar): Promise<ArgumentsGrammar> {
  const rules: string[] = [];
  const freeText = `${prefix}text`;
  const withFreeText = (): string => rules.concat(rules.some((rule) => rule.includes(`${freeText} `)) ? [textExcluding(freeText, syntax.excluded)] : []).join('\n');
  const schema = enforceableSchema(tool.parameters);
  const properties = isPlainObject(schema?.properties) ? schema.properties : undefined;
  const names = properties ? Object.keys(properties) : [];
  const fallback = !schema || 'oneOf' in schema || names.some((name) => BAD_XML_NAME.test(name));
  if (fallback || (!properties && schema.additionalProperties !== false)) {
    // Any parameters with raw values: exact for a schema that allows any object, the
    // fallback otherwise (named as in the schema when it names them).
    const declared = isPlainObject(tool.parameters.properties) ? Object.keys(tool.parameters.properties).filter((name) => !BAD_XML_NAME.test(name)) : [];
    const param = `${prefix}param`;
    if (typeof syntax.close === 'function') {
      // The closing tag names the parameter: one alternative per declared name (none: no
      // parameters can be written, and the tool is reported unconstrained).
      if (declared.length === 0) return { rules: `${prefix}args ::= ""`, rule: `${prefix}args`, unconstrained: true, approximations: [] };
      rules.push(`${param} ::= ${declared.map((name) => `( ${xmlParam(syntax, name, freeText, true, { property: propertyOf(tool, name) })} )`).join(' | ')}`);
    } else {
      const nameRule = declared.length > 0 ? declared.map(literal).join(' | ') : '[a-zA-Z_] [a-zA-Z0-9_.-]*';
      rules.push(`${param} ::= ${xmlParam(syntax, undefined, freeText, true, { nameRule: `( ${nameRule} )` })}`);
    }
    rules.push(`${prefix}args ::= ${param}*`);
    return { rules: withFreeText(), rule: `${prefix}args`, unconstrained: fallback, approximations: [] };
  }
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
  const sequence: string[] = [];
  // JSON values of non-string parameters, sharing the tool's definitions and leaf rules.
  const json = new JsonValueGrammar(`${prefix}j-`, schema, jsonSchemaGrammar, syntax.excluded);
  // A required parameter the schema does not describe cannot be written.
  let exact = [...required].every((name) => names.includes(name));
  for (const [index, name] of names.entries()) {
    const { value, exact: valueExact, raw } = await xmlValue(tool, name, properties![name], schema, freeText, json);
    exact &&= valueExact;
    const rule = `${prefix}p${index}`;
    rules.push(`${rule} ::= ${xmlParam(syntax, name, value, raw, { property: properties![name] })}`);
    sequence.push(required.has(name) ? rule : `${rule}?`);
  }
  rules.push(`${prefix}args ::= ${sequence.length > 0 ? sequence.join(' ') : '""'}`);
  const jsonRules = json.rules();
  if (jsonRules) rules.push(jsonRules);
  return { rules: withFreeText(), rule: `${prefix}args`, unconstrained: !exact, approximations: json.approximations };
}

/** One parameter: `name` its name (undefined: any name `nameRule` admits), `value` and `nameRule` GBNF sequences; `raw`: the value is raw text, not JSON; `property`: its schema. */
function xmlParam(
  syntax: XmlArgumentSyntax,
  name: string | undefined,
  value: string,
  raw: boolean,
  { nameRule = literal(name ?? ''), property }: { nameRule?: string; property?: unknown } = {},
): string {
  const markup = syntax.optionalNewlines ? literalOptionalNewlines : literal;
  const after = syntax.afterName ? syntax.afterName(property, raw) : raw ? syntax.nameAfter : (syntax.nameAfterJson ?? syntax.nameAfter);
  const close = typeof syntax.close === 'function' ? syntax.close(name ?? '') : syntax.close;
  return `${markup(syntax.nameBefore)} ${nameRule} ${markup(after)} ${value} ${markup(close)}`;
}

/** Keywords that do not restrict values. */
const ANNOTATIONS = new Set(['title', 'description', 'examples', 'default', '$comment', 'deprecated', 'readOnly', 'writeOnly']);

/** Whether a property schema restricts values with more than the keywords in `allowed`. */
const restricts = (property: Record<string, unknown>, allowed: readonly string[]): boolean => Object.keys(property).some((key) => !ANNOTATIONS.has(key) && !allowed.includes(key));

/**
 * The grammar (a sequence) for one XML parameter value. `exact` is false when the schema
 * says more than the grammar enforces (raw text for a schema the raw-text rule cannot express);
 * `raw`: the value is raw text (the parsers keep it a string), not JSON.
 */
async function xmlValue(
  tool: ToolDefinition,
  name: string,
  propertySchema: unknown,
  schema: Record<string, unknown>,
  freeText: string,
  json: JsonValueGrammar,
): Promise<{ value: string; exact: boolean; raw: boolean }> {
  // The same type analysis the parsers use to turn the raw value into JSON.
  const types = parameterTypes([{ ...tool, parameters: schema }], tool.name, name);
  const property = isPlainObject(propertySchema) ? propertySchema : {};
  if (types === undefined) {
    // Any text becomes a valid value of a schema without restrictions.
    return { value: freeText, exact: !restricts(property, []), raw: true };
  }
  if (types.has('string') && types.size > 1) {
    // Mixed: any text converts to some allowed type or stays a string.
    return { value: freeText, exact: !restricts(property, ['type']), raw: true };
  }
  if (types.has('string')) {
    const values = Array.isArray(property.enum) ? property.enum : 'const' in property ? [property.const] : undefined;
    if (values) {
      const strings = values.filter((value): value is string => typeof value === 'string');
      if (strings.length === 0) return { value: freeText, exact: false, raw: true };
      return { value: `( ${strings.map(literal).join(' | ')} )`, exact: strings.length === values.length && !restricts(property, ['type', 'enum', 'const']), raw: true };
    }
    const min = typeof property.minLength === 'number' ? property.minLength : undefined;
    const max = typeof property.maxLength === 'number' ? property.maxLength : undefined;
    const exact = !restricts(property, ['type', 'minLength', 'maxLength']);
    // A bounded string: a bound and an exclusion do not compose in GBNF, so raw characters
    // without `<`: no closing markup can appear.
    if (min !== undefined || max !== undefined) return { value: `${charClass('<', true)}{${min ?? 0},${max ?? ''}}`, exact, raw: true };
    return { value: freeText, exact, raw: true };
  }
  // Not a string: JSON of the parameter's schema.
  return { value: await json.value(property, `/properties/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`), exact: true, raw: false };
}
