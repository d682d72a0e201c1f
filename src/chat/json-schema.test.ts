import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { schemaForGrammar } from './json-schema.js';

const check = (schema: unknown) => schemaForGrammar(schema, 'response_format');

describe('schemaForGrammar', () => {
  it('passes enforceable schemas, dropping annotations and turning anyOf into oneOf', () => {
    expect(
      check({ title: 'X', type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'd' } }, required: ['a'] }),
    ).toEqual({ type: 'object', properties: { a: { oneOf: [{ type: 'string' }, { type: 'null' }] } }, required: ['a'] });
  });

  it('maps definitions to $defs', () => {
    expect(check({ $ref: '#/definitions/A', definitions: { A: { type: 'integer' } } })).toEqual({ $ref: '#/$defs/A', $defs: { A: { type: 'integer' } } });
  });

  it('rejects invalid schemas with a 400', () => {
    expect(() => check({ type: 'no-such-type' })).toThrow(ApiError);
    expect(() => check({ type: 'no-such-type' })).toThrow(/invalid JSON schema/);
    expect(() => check('string')).toThrow(/must be an object/);
  });

  it('names a keyword the grammar cannot enforce instead of ignoring it', () => {
    expect(() => check({ type: 'object', properties: { zip: { type: 'string', pattern: '^[0-9]{5}$' } } })).toThrow(/"pattern" \(at \/properties\/zip\)/);
  });
});
