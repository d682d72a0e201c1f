// Checks a client's JSON schema before it becomes a grammar. node-llama-cpp's converter
// handles a subset of JSON Schema and silently ignores the rest (an unknown `type` becomes
// `null`, `pattern` is dropped), which would make the server claim a constraint it does not
// enforce. So: an invalid schema is a 400, and a keyword the converter cannot enforce is a
// 400 that names it, rather than being ignored.

import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ApiError } from '../errors.js';

/** Keywords node-llama-cpp's JSON-schema grammar enforces (its GbnfJsonSchema type). */
const ENFORCED = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'enum',
  'const',
  'oneOf',
  'anyOf',
  '$defs',
  'definitions',
  '$ref',
  'format',
  'minLength',
  'maxLength',
]);
/** Annotations: no effect on what is valid, safe to carry along. */
const ANNOTATIONS = new Set(['title', 'description', 'examples', 'default', '$schema', '$id', '$comment', 'deprecated', 'readOnly', 'writeOnly', 'strict']);
/** Keywords whose value is a map of sub-schemas, or a list of them. */
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions']);
const SCHEMA_LISTS = new Set(['prefixItems', 'oneOf', 'anyOf']);

const draft07 = new Ajv({ strict: false, validateFormats: false });
const draft2020 = new Ajv2020({ strict: false, validateFormats: false });

/**
 * The validator for a schema's dialect: draft 2020-12 when its `$schema` says so (Claude Code's
 * tools do), else draft-07 (what OpenAI's examples use). Both read the keywords we enforce alike.
 */
export function ajvFor(schema: Record<string, unknown>): Ajv {
  return typeof schema.$schema === 'string' && schema.$schema.includes('2020-12') ? draft2020 : draft07;
}

/**
 * The schema without a `$schema` the chosen validator does not know (draft-04, 2019-09, …):
 * ajv refuses to compile against an unknown meta-schema, and the dialect changes nothing we enforce.
 */
export function withKnownDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const dialect = schema.$schema;
  if (typeof dialect !== 'string' || /draft-07|2020-12/.test(dialect)) return schema;
  const { $schema: _dropped, ...rest } = schema;
  return rest;
}

/**
 * Returns the schema in the form the grammar converter takes (`anyOf` as `oneOf`, which is
 * the same set of strings for a grammar), or throws an `invalid_request` ApiError.
 */
export function schemaForGrammar(schema: unknown, param: string): Record<string, unknown> {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ApiError('invalid_request', `${param}: a JSON schema must be an object`, { param });
  }
  // Before ajv sees it: its check of a long enum is quadratic.
  const oversized = oversizedEnum(schema);
  if (oversized) {
    throw new ApiError(
      'invalid_request',
      `${param}: the enum at ${oversized.path} lists ${oversized.values} values, more than the ${MAX_GRAMMAR_ENUM} a grammar can enforce; use a plain string type or response_format json_object`,
      { param },
    );
  }
  const known = withKnownDialect(schema as Record<string, unknown>);
  const ajv = ajvFor(known);
  if (!ajv.validateSchema(known)) {
    const error = ajv.errors?.[0];
    throw new ApiError('invalid_request', `${param}: invalid JSON schema: ${error?.instancePath || '(root)'} ${error?.message ?? ''}`.trim(), { param });
  }
  return rewrite(schema as Record<string, unknown>, param, '');
}

/**
 * Most values one `enum` may list. A tool with a 100 000-value enum blocked every client for
 * 48 s (issue 15): ajv checks an enum's values are unique pairwise, against its meta-schema, when
 * it validates or compiles a schema (measured: 10 000 values 0.4 s, 40 000 values 7.6 s to
 * validate and 10.8 s to compile), and each value is also an alternative llama.cpp's grammar
 * sampler carries at every step. Real schemas list a handful (Claude Code's largest: 6).
 */
export const MAX_GRAMMAR_ENUM = 1024;

/** Where the first `enum` longer than MAX_GRAMMAR_ENUM is (a JSON pointer) and its length; walked without ajv, iteratively. */
export function oversizedEnum(schema: unknown): { path: string; values: number } | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: schema, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (!Array.isArray(value) && Array.isArray((value as { enum?: unknown }).enum) && (value as { enum: unknown[] }).enum.length > MAX_GRAMMAR_ENUM) {
      return { path: path || '/', values: (value as { enum: unknown[] }).enum.length };
    }
    for (const [key, child] of Object.entries(value)) if (key !== 'enum' && key !== 'const') stack.push({ value: child, path: `${path}/${key}` });
  }
  return undefined;
}

function rewrite(schema: Record<string, unknown>, param: string, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key)) continue;
    if (!ENFORCED.has(key)) {
      throw new ApiError(
        'invalid_request',
        `${param}: the JSON schema keyword "${key}" (at ${path || '/'}) cannot be enforced by the grammar yet; remove it or use response_format json_object`,
        { param },
      );
    }
    const target = key === 'anyOf' ? 'oneOf' : key === 'definitions' ? '$defs' : key;
    if (SCHEMA_MAPS.has(key) && isObject(value)) {
      out[target] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, isObject(sub) ? rewrite(sub, param, `${path}/${key}/${name}`) : sub]));
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      out[target] = value.map((sub, i) => (isObject(sub) ? rewrite(sub, param, `${path}/${key}/${i}`) : sub));
    } else if ((key === 'items' || key === 'additionalProperties') && isObject(value)) {
      out[target] = rewrite(value, param, `${path}/${key}`);
    } else if (key === '$ref' && typeof value === 'string') {
      out[target] = value.replace('#/definitions/', '#/$defs/');
    } else {
      out[target] = value;
    }
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
