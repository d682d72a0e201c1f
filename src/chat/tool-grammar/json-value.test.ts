import { describe, expect, it } from 'vitest';
import { JsonValueGrammar, WS_RULE_BODY } from './json-value.js';

/** Stands in for node-llama-cpp: one literal per schema, with node-llama-cpp's trailer. */
const fakeJsonGrammar = async (schema: Record<string, unknown>): Promise<string> => `root ::= ${JSON.stringify(JSON.stringify(schema))} "\\n\\n\\n\\n" [\\n]*`;

async function build(schema: Record<string, unknown>, excluded: string[] = []) {
  const json = new JsonValueGrammar('p-', schema, fakeJsonGrammar, excluded);
  const rule = await json.value(schema);
  return { rule, lines: json.rules().split('\n'), approximations: json.approximations };
}

const WS = `p-ws ::= ${WS_RULE_BODY}`;
const STRING = 'p-v1-root ::= "{\\"type\\":\\"string\\"}"';

describe('JSON object rules (optional properties at most once, required exactly once, schema order)', () => {
  it('whitespace is bounded: a space, or newlines and some indentation', () => {
    expect(WS_RULE_BODY).toBe('( " " | "\\n"{1,2} [ \\t]{0,20} )?');
  });

  it('required only', async () => {
    const { rule, lines } = await build({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a', 'b'] });
    expect(rule).toBe('p-o0');
    expect(lines).toEqual([
      WS,
      STRING,
      'p-o0-kv0 ::= "\\"a\\"" ":" " "? p-v1-root',
      'p-o0-kv1 ::= "\\"b\\"" ":" " "? p-v1-root',
      'p-o0-a1 ::= "," p-ws p-o0-kv1',
      'p-o0 ::= "{" p-ws p-o0-kv0 p-o0-a1 p-ws "}"',
    ]);
  });

  it('optional only: `{}` and any subsequence in order', async () => {
    const { lines } = await build({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' } } });
    expect(lines.slice(5)).toEqual([
      'p-o0-a1 ::= ( "," p-ws p-o0-kv1 )? p-o0-a2',
      'p-o0-a2 ::= ( "," p-ws p-o0-kv2 )?',
      'p-o0-b1 ::= p-o0-kv1 p-o0-a2 | p-o0-b2',
      'p-o0-b2 ::= ( p-o0-kv2 )?',
      'p-o0 ::= "{" p-ws ( p-o0-kv0 p-o0-a1 | p-o0-b1 ) p-ws "}"',
    ]);
  });

  it('mixed (Claude Code Bash-like): the required one first, then optional ones', async () => {
    const { lines } = await build({
      type: 'object',
      properties: { command: { type: 'string' }, description: { type: 'string' }, timeout: { type: 'number' }, run_in_background: { type: 'boolean' } },
      required: ['command'],
      additionalProperties: false,
    });
    expect(lines.filter((line) => /^p-o0(-[ab]\d+)? ::=/.test(line))).toEqual([
      'p-o0-a1 ::= ( "," p-ws p-o0-kv1 )? p-o0-a2',
      'p-o0-a2 ::= ( "," p-ws p-o0-kv2 )? p-o0-a3',
      'p-o0-a3 ::= ( "," p-ws p-o0-kv3 )?',
      'p-o0 ::= "{" p-ws p-o0-kv0 p-o0-a1 p-ws "}"',
    ]);
    expect(lines).toContain('p-o0-kv3 ::= "\\"run_in_background\\"" ":" " "? p-v3-root');
  });

  it('an optional property before a required one', async () => {
    const { lines } = await build({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' } }, required: ['b'] });
    expect(lines.slice(5)).toEqual([
      'p-o0-a1 ::= "," p-ws p-o0-kv1 p-o0-a2',
      'p-o0-a2 ::= ( "," p-ws p-o0-kv2 )?',
      'p-o0-b1 ::= p-o0-kv1 p-o0-a2',
      'p-o0 ::= "{" p-ws ( p-o0-kv0 p-o0-a1 | p-o0-b1 ) p-ws "}"',
    ]);
  });

  it('no properties: `{}` only when closed, any object otherwise', async () => {
    expect((await build({ type: 'object', properties: {} })).lines).toEqual([WS, 'p-o0 ::= "{" p-ws "}"']);
    const open = await build({ type: 'object' });
    expect(open.lines).toContain('p-o0 ::= "{" p-ws ( p-o0-extra p-o0-a0 )? p-ws "}"');
    expect(open.lines).toContain('p-o0-extra ::= p-v1-root ":" " "? p-any2');
    expect(open.lines).toContain('p-o0-a0 ::= ( "," p-ws p-o0-extra )*');
    expect(open.lines.find((line) => line.startsWith('p-any2 ::='))).toBe(
      'p-any2 ::= p-v1-root | p-v3-root | "true" | "false" | "null" | "{" p-ws ( p-v1-root ":" " "? p-any2 ( "," p-ws p-v1-root ":" " "? p-any2 )* p-ws )? "}" | "[" p-ws ( p-any2 ( "," p-ws p-any2 )* p-ws )? "]"',
    );
  });

  it('additionalProperties true or a schema: any further pairs after the declared ones', async () => {
    const { lines } = await build({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: { type: 'integer' } });
    expect(lines.slice(3)).toEqual([
      'p-v2-root ::= "{\\"type\\":\\"integer\\"}"',
      'p-o0-extra ::= p-v1-root ":" " "? p-v2-root',
      'p-o0-a1 ::= ( "," p-ws p-o0-extra )*',
      'p-o0 ::= "{" p-ws p-o0-kv0 p-o0-a1 p-ws "}"',
    ]);
    const open = await build({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true });
    expect(open.lines).toContain('p-o0 ::= "{" p-ws ( p-o0-kv0 p-o0-a1 | p-o0-b1 ) p-ws "}"');
    expect(open.lines).toContain('p-o0-a1 ::= ( "," p-ws p-o0-extra )*');
    expect(open.lines).toContain('p-o0-b1 ::= ( p-o0-extra p-o0-a1 )?');
  });

  it('nested objects get their own rules', async () => {
    const { lines, approximations } = await build({
      type: 'object',
      properties: { where: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'string' } }, required: ['zip'] } },
      required: ['where'],
    });
    expect(lines).toContain('p-o0-kv0 ::= "\\"where\\"" ":" " "? p-o1');
    expect(lines).toContain('p-o1 ::= "{" p-ws ( p-o1-kv0 p-o1-a1 | p-o1-b1 ) p-ws "}"');
    expect(lines).toContain('p-o1-b1 ::= p-o1-kv1');
    expect(lines).toContain('p-o1-a1 ::= "," p-ws p-o1-kv1');
    expect(approximations).toEqual([]);
  });

  it('arrays of objects, with and without bounds', async () => {
    const item = { type: 'object', properties: { a: { type: 'string' } } };
    const { lines } = await build({
      type: 'object',
      properties: { any: { type: 'array', items: item }, some: { type: 'array', items: item, minItems: 1, maxItems: 3 }, one: { type: 'array', items: item, maxItems: 1 } },
      required: ['any', 'some', 'one'],
    });
    expect(lines).toContain('p-r1 ::= "[" p-ws ( p-o2 ( "," p-ws p-o2 )* )? p-ws "]"');
    expect(lines).toContain('p-o2 ::= "{" p-ws ( p-o2-kv0 )? p-ws "}"');
    expect(lines).toContain('p-r4 ::= "[" p-ws p-o5 ( "," p-ws p-o5 ){0,2} p-ws "]"');
    expect(lines).toContain('p-r6 ::= "[" p-ws ( p-o7 )? p-ws "]"');
  });

  it('`$ref`s and unions are ours too: recursive definitions work', async () => {
    const { lines, rule } = await build({
      type: 'object',
      properties: { tree: { $ref: '#/$defs/node' }, either: { oneOf: [{ type: 'string' }, { $ref: '#/$defs/node' }] } },
      required: ['tree'],
      $defs: { node: { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/$defs/node' } } } } },
    });
    expect(rule).toBe('p-o0');
    expect(lines).toContain('p-o0-kv0 ::= "\\"tree\\"" ":" " "? p-d1');
    expect(lines).toContain('p-d1 ::= p-o2');
    expect(lines).toContain('p-r3 ::= "[" p-ws ( p-d1 ( "," p-ws p-d1 )* )? p-ws "]"');
    expect(lines).toContain('p-o0-kv1 ::= "\\"either\\"" ":" " "? ( p-v4-root | p-d1 )');
  });

  it('a definition that refers to itself without consuming input is refused', async () => {
    await expect(build({ type: 'object', properties: { x: { $ref: '#/$defs/a' } }, $defs: { a: { oneOf: [{ $ref: '#/$defs/a' }, { type: 'null' }] } } })).rejects.toThrow(/itself/);
  });

  it('what node-llama-cpp converts whole is reported when it has optional properties; `$defs` passed along', async () => {
    const { lines, approximations } = await build({
      type: 'object',
      properties: {
        counted: { type: 'object', properties: { a: { type: 'string' } }, minProperties: 1 },
        typed: { type: ['object', 'null'], properties: { b: { $ref: '#/$defs/s' } }, required: ['b'] },
      },
      $defs: { s: { type: 'string' } },
    });
    expect(approximations).toEqual(['/properties/counted']);
    expect(lines).toContain(
      'p-v2-root ::= "{\\"type\\":[\\"object\\",\\"null\\"],\\"properties\\":{\\"b\\":{\\"$ref\\":\\"#/$defs/s\\"}},\\"required\\":[\\"b\\"],\\"$defs\\":{\\"s\\":{\\"type\\":\\"string\\"}}}"',
    );
  });

  it('embedded pieces keep the fixes: closing markup excluded from strings, numbers bounded', async () => {
    const json = new JsonValueGrammar('p-', {}, async () => 'root ::= "\\"" string-char-rule* "\\"" "\\n\\n\\n\\n" [\\n]*\nstring-char-rule ::= [^"\\\\\\x7F\\x00-\\x1F]', [
      '</x>',
    ]);
    const rule = await json.value({ type: 'string' });
    const rules = json.rules();
    expect(rule).toBe('p-v0-root');
    expect(rules).toContain('p-v0-root ::= "\\"" p-v0-string-excluding-rule "\\""\n');
    expect(rules).toContain('\\uD800-\\uDFFF');
  });
});
