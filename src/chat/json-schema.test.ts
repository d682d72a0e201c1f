import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { schemaForGrammar } from './json-schema.js';

const check = (schema: unknown) => schemaForGrammar(schema, 'response_format');

describe('schemaForGrammar', () => {
  it('passes enforceable schemas, dropping annotations and turning anyOf into oneOf', () => {
    expect(check({ title: 'X', type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'd' } }, required: ['a'] })).toEqual({
      type: 'object',
      properties: { a: { oneOf: [{ type: 'string' }, { type: 'null' }] } },
      required: ['a'],
    });
  });

  it('accepts the schema dialects clients declare (Claude Code: draft 2020-12; also draft-07, draft-04)', () => {
    for (const dialect of ['https://json-schema.org/draft/2020-12/schema', 'http://json-schema.org/draft-07/schema#', 'http://json-schema.org/draft-04/schema#']) {
      const schema = { $schema: dialect, type: 'object', properties: { command: { type: 'string' } }, required: ['command'], additionalProperties: false };
      expect(schemaForGrammar(schema, 'tools')).toEqual({ type: 'object', properties: { command: { type: 'string' } }, required: ['command'], additionalProperties: false });
    }
  });

  it('converts the tools Claude Code really sends (captured), except those using keywords the grammar cannot enforce', () => {
    const fixture = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/claude-code/session-1.jsonl');
    const first = JSON.parse(readFileSync(fixture, 'utf8').split('\n')[0]!) as { body: { tools: { name: string; input_schema?: unknown }[] } };
    const converted = first.body.tools
      .filter((tool) => tool.input_schema)
      .filter((tool) => {
        try {
          schemaForGrammar(tool.input_schema, 'tools');
          return true;
        } catch {
          return false;
        }
      })
      .map((tool) => tool.name);
    for (const name of ['Agent', 'Bash', 'Edit', 'Write', 'Skill', 'ToolSearch']) expect(converted).toContain(name);
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

  it('refuses an enum too long for a grammar, naming where it is', () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);
    expect(() => check({ type: 'object', properties: { x: { type: 'string', enum: values(100_000) } } })).toThrow(
      'response_format: the enum at /properties/x lists 100000 values, more than the 1024 a grammar can enforce; use a plain string type or response_format json_object',
    );
    expect(() => check({ type: 'object', properties: { x: { type: 'string', enum: values(1024) } } })).not.toThrow();
  });
});
