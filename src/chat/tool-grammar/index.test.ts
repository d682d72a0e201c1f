import { describe, expect, it } from 'vitest';
import type { FamilyId } from '../parsers/types.js';
import type { ToolDefinition } from '../types.js';
import { buildToolCallGrammar, mistralSyntaxOf, renameRules, type ToolCallGrammarOptions } from './index.js';

/** Stands in for node-llama-cpp (which now only sees the leaves): `"STR"`, `"INT"`, `"NUM"`, with node-llama-cpp's trailer. */
const fakeJsonGrammar = async (schema: Record<string, unknown>): Promise<string> =>
  `root ::= ${schema.type === 'string' ? '"STR"' : schema.type === 'integer' ? '"INT"' : schema.type === 'number' ? '"NUM"' : '"OTHER"'} "\\n\\n\\n\\n" [\\n]*`;

const WEATHER: ToolDefinition = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 9 } }, required: ['city'] },
};

async function grammar(family: FamilyId, overrides: Partial<ToolCallGrammarOptions> = {}) {
  const result = await buildToolCallGrammar({ family, tools: [WEATHER], parallel: true, jsonSchemaGrammar: fakeJsonGrammar, ...overrides });
  expect(result).toBeDefined();
  return result!;
}

/** Every rule referenced is defined once, and there is no `root`. */
function expectWellFormed(rules: string, calls: string) {
  const defined = [...rules.matchAll(/^([a-zA-Z0-9-]+) ::=/gm)].map((match) => match[1]!);
  expect(new Set(defined).size).toBe(defined.length);
  expect(defined).not.toContain('root');
  expect(defined).toContain(calls);
  // renameRules marks exactly the rule names; every marked name must be defined.
  // eslint-disable-next-line no-control-regex -- \u0001 is the marker renameRules writes
  const referenced = [...renameRules(rules, '\u0001').matchAll(/\u0001([a-zA-Z0-9-]+)/g)].map((match) => match[1]!);
  for (const name of referenced) expect(defined, name).toContain(name);
}

describe('buildToolCallGrammar', () => {
  it('returns undefined when no tool can be called', async () => {
    expect(await buildToolCallGrammar({ family: 'hermes', tools: [], parallel: true, jsonSchemaGrammar: fakeJsonGrammar })).toBeUndefined();
    expect(await buildToolCallGrammar({ family: 'hermes', tools: [WEATHER], only: 'nope', parallel: true, jsonSchemaGrammar: fakeJsonGrammar })).toBeUndefined();
  });

  // What each family's grammar admits, spelled out (the free-text rules left aside).
  const CASES: Array<{ family: FamilyId; mistral?: 'args' | 'array'; triggers: unknown; calls: string; call: string }> = [
    {
      family: 'hermes',
      triggers: [{ text: '<tool_call>' }],
      calls: 'tc-call ( "\\n" tc-call )*',
      call: '"<tool_call>\\n{\\"name\\": \\"get_weather\\", \\"arguments\\": " tc-t0-j-o0 "}\\n</tool_call>"',
    },
    {
      family: 'generic',
      triggers: [{ text: '<tool_call>' }],
      calls: 'tc-call ( "\\n" tc-call )*',
      call: '"<tool_call>\\n{\\"name\\": \\"get_weather\\", \\"arguments\\": " tc-t0-j-o0 "}\\n</tool_call>"',
    },
    {
      family: 'qwen3-coder',
      triggers: [{ text: '<tool_call>' }, { text: '<function=get_weather>' }],
      calls: '"<tool_call>\\n"? tc-call ( "\\n" "<tool_call>\\n" tc-call )*',
      call: '"<function=get_weather>\\n" tc-t0-args "</function>\\n</tool_call>"',
    },
    {
      family: 'glm45',
      triggers: [{ text: '<tool_call>' }],
      calls: 'tc-call ( "\\n"? tc-call )*',
      call: '"<tool_call>get_weather" "\\n"? tc-t0-args "</tool_call>"',
    },
    {
      family: 'minimax-m2',
      triggers: [{ text: '<minimax:tool_call>' }],
      calls: '"<minimax:tool_call>\\n" tc-call ( "\\n" tc-call )* "\\n</minimax:tool_call>"',
      call: '"<invoke name=\\"get_weather\\">\\n" tc-t0-args "</invoke>"',
    },
    {
      family: 'kimi-k2',
      triggers: [{ text: '<|tool_calls_section_begin|>' }, { text: '<|tool_call_begin|>' }],
      calls: '( "<|tool_calls_section_begin|>" tc-call ( tc-call )* "<|tool_calls_section_end|>" | tc-call ( tc-call )* )',
      call: '"<|tool_call_begin|>functions.get_weather:" [0-9]{1,3} "<|tool_call_argument_begin|>" tc-t0-j-o0 "<|tool_call_end|>"',
    },
    {
      family: 'llama3',
      triggers: [{ text: '{"name"', atStart: true }, { text: '<|python_tag|>' }],
      calls: '"<|python_tag|>"? tc-call ( "\\n" tc-call )*',
      call: '"{\\"name\\":" " "? "\\"get_weather\\", \\"parameters\\": " tc-t0-j-o0 "}"',
    },
    {
      family: 'mistral',
      mistral: 'args',
      triggers: [{ text: '[TOOL_CALLS]' }],
      calls: 'tc-call ( tc-call )*',
      call: '"[TOOL_CALLS]get_weather[ARGS]" tc-t0-j-o0',
    },
    {
      family: 'mistral',
      mistral: 'array',
      triggers: [{ text: '[TOOL_CALLS]' }],
      calls: '"[TOOL_CALLS][" tc-call ( ", " tc-call )* "]"',
      call: '"{\\"name\\": \\"get_weather\\", \\"arguments\\": " tc-t0-j-o0 ", \\"id\\": \\"" [a-zA-Z0-9]{9} "\\"}"',
    },
    {
      family: 'deepseek-r1',
      triggers: [{ text: '<｜tool▁calls▁begin｜>' }],
      calls: '"<｜tool▁calls▁begin｜>" tc-call ( "\\n" tc-call )* "<｜tool▁calls▁end｜>"',
      call: '"<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\\n```json\\n" tc-t0-j-o0 "\\n```<｜tool▁call▁end｜>"',
    },
    {
      family: 'deepseek-v3.1',
      triggers: [{ text: '<｜tool▁calls▁begin｜>' }],
      calls: '"<｜tool▁calls▁begin｜>" tc-call ( tc-call )* "<｜tool▁calls▁end｜>"',
      call: '"<｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>" tc-t0-j-o0 "<｜tool▁call▁end｜>"',
    },
    {
      family: 'minimax-m3',
      triggers: [{ text: ']<]minimax[>[<tool_call>' }],
      calls: '"]<]minimax[>[<tool_call>\\n" tc-call ( "\\n" tc-call )* "\\n]<]minimax[>[</tool_call>"',
      call: '"]<]minimax[>[<invoke name=\\"get_weather\\">" tc-t0-args "]<]minimax[>[</invoke>"',
    },
    {
      family: 'kimi-k3',
      triggers: [{ text: '<|open|>tools<|sep|>' }],
      calls: '"<|open|>tools<|sep|>" tc-call ( tc-call )* "<|close|>tools<|sep|>" ( "<|close|>message<|sep|>" )?',
      call: '"<|open|>call tool=\\"get_weather\\" index=\\"" [1-9] [0-9]{0,2} "\\"<|sep|>" tc-t0-args "<|close|>call<|sep|>"',
    },
    {
      family: 'lfm2',
      triggers: [{ text: '<|tool_call_start|>' }],
      calls: '"<|tool_call_start|>[" tc-call ( ", " tc-call )* "]<|tool_call_end|>"',
      call: '"get_weather(" tc-t0-args ")"',
    },
    {
      family: 'gpt-oss',
      triggers: [{ text: '<|channel|>commentary to=' }],
      calls: '"<|channel|>commentary to=functions." tc-call "<|call|>"?',
      call: '"get_weather <|constrain|>json<|message|>" tc-t0-j-o0',
    },
  ];

  it.each(CASES)('$family $mistral: markup, triggers, well-formed rules', async ({ family, mistral, triggers, calls, call }) => {
    const result = await grammar(family, mistral ? { mistralSyntax: mistral } : {});
    expect(result.calls).toBe('tc-calls');
    expect(result.triggers).toEqual(triggers);
    expect(result.unconstrained).toEqual([]);
    const lines = result.rules.split('\n');
    expect(lines).toContain(`tc-calls ::= ${calls}`);
    expect(lines).toContain(`tc-t0-call ::= ${call}`);
    expectWellFormed(result.rules, result.calls);
  });

  it('JSON arguments: our object rules, node-llama-cpp rules for the values without their trailing newlines', async () => {
    const result = await grammar('hermes');
    const lines = result.rules.split('\n');
    expect(lines).toContain('tc-t0-j-o0 ::= "{" tc-t0-j-ws tc-t0-j-o0-kv0 tc-t0-j-ws "}"');
    expect(lines).toContain('tc-t0-j-o0-kv0 ::= "\\"city\\"" ":" " "? tc-t0-j-v1-root');
    expect(lines).toContain('tc-t0-j-v1-root ::= "STR"');
    expect(result.approximated).toEqual([]);
  });

  it('optional JSON properties may be left out (`{}` for a tool without required ones)', async () => {
    const tool: ToolDefinition = { name: 'f', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
    const result = await grammar('llama3', { tools: [tool] });
    expect(result.rules.split('\n')).toContain('tc-t0-j-o0 ::= "{" tc-t0-j-ws ( tc-t0-j-o0-kv0 )? tc-t0-j-ws "}"');
    expectWellFormed(result.rules, result.calls);
  });

  it('XML families: non-string values use the same JSON rules (optional nested properties too)', async () => {
    const tool: ToolDefinition = {
      name: 'f',
      parameters: { type: 'object', properties: { where: { type: 'object', properties: { zip: { type: 'integer' } } } }, required: ['where'] },
    };
    const result = await grammar('qwen3-coder', { tools: [tool] });
    const lines = result.rules.split('\n');
    expect(lines).toContain('tc-t0-p0 ::= "<parameter=" "where" ">\\n" tc-t0-j-o0 "\\n</parameter>\\n"');
    expect(lines).toContain('tc-t0-j-o0 ::= "{" tc-t0-j-ws ( tc-t0-j-o0-kv0 )? tc-t0-j-ws "}"');
    expectWellFormed(result.rules, result.calls);
  });

  it('a part node-llama-cpp converts whole (optional properties made required) is reported as approximated', async () => {
    const tool: ToolDefinition = {
      name: 'f',
      parameters: { type: 'object', properties: { o: { type: 'object', properties: { a: { type: 'string' } }, minProperties: 1 } } },
    };
    const result = await grammar('hermes', { tools: [WEATHER, tool] });
    expect(result.unconstrained).toEqual([]);
    expect(result.approximated).toEqual(['f']);
  });

  it('XML arguments: required and optional parameters, bounded, enum, JSON-typed and free-text values', async () => {
    const tool: ToolDefinition = {
      name: 'f',
      parameters: {
        type: 'object',
        properties: {
          city: { type: 'string', maxLength: 9 },
          unit: { type: 'string', enum: ['c', 'f'] },
          days: { type: 'integer' },
          note: { type: 'string', description: 'free' },
        },
        required: ['city', 'days'],
      },
    };
    const result = await grammar('qwen3-coder', { tools: [tool] });
    const lines = result.rules.split('\n');
    expect(lines).toContain('tc-t0-p0 ::= "<parameter=" "city" ">\\n" [^<\\uD800-\\uDFFF\\U00110000-\\U003FFFFF]{0,9} "\\n</parameter>\\n"');
    expect(lines).toContain('tc-t0-p1 ::= "<parameter=" "unit" ">\\n" ( "c" | "f" ) "\\n</parameter>\\n"');
    expect(lines).toContain('tc-t0-p2 ::= "<parameter=" "days" ">\\n" tc-t0-j-v0-root "\\n</parameter>\\n"');
    expect(lines).toContain('tc-t0-j-v0-root ::= "INT"');
    expect(lines).toContain('tc-t0-p3 ::= "<parameter=" "note" ">\\n" tc-t0-text "\\n</parameter>\\n"');
    expect(lines).toContain('tc-t0-args ::= tc-t0-p0 tc-t0-p1? tc-t0-p2 tc-t0-p3?');
    expect(lines.some((line) => line.startsWith('tc-t0-text ::='))).toBe(true);
    expect(result.unconstrained).toEqual([]);
    expectWellFormed(result.rules, result.calls);
  });

  it('Python-style arguments (lfm2): schema order, `, ` only between written ones, single quotes for any-string values', async () => {
    const tool: ToolDefinition = {
      name: 'f',
      parameters: {
        type: 'object',
        properties: {
          note: { type: 'string', description: 'free' },
          city: { type: 'string', maxLength: 9 },
          days: { type: 'integer' },
          unit: { type: 'string' },
        },
        required: ['city'],
      },
    };
    const result = await grammar('lfm2', { tools: [tool] });
    const lines = result.rules.split('\n');
    expect(lines).toContain('tc-t0-p0 ::= "note=" ( tc-t0-j-v0-root | tc-t0-sq )');
    expect(lines).toContain('tc-t0-p1 ::= "city=" tc-t0-j-v1-root');
    expect(lines).toContain('tc-t0-p2 ::= "days=" tc-t0-j-v2-root');
    expect(lines).toContain('tc-t0-p3 ::= "unit=" ( tc-t0-j-v0-root | tc-t0-sq )');
    // note is optional and first: either it and then ", city", or city first.
    expect(lines).toContain('tc-t0-args ::= tc-t0-p0 tc-t0-a1 | tc-t0-b1');
    expect(lines).toContain('tc-t0-a1 ::= ", " tc-t0-p1 tc-t0-a2');
    expect(lines).toContain('tc-t0-b1 ::= tc-t0-p1 tc-t0-a2');
    expect(lines).toContain('tc-t0-a2 ::= ( ", " tc-t0-p2 )? tc-t0-a3');
    expect(lines).toContain('tc-t0-a3 ::= ( ", " tc-t0-p3 )?');
    expect(lines).toContain(`tc-t0-sq ::= "'" tc-t0-sq-chars "'"`);
    expect(lines.some((line) => line.startsWith('tc-t0-sq-chars ::='))).toBe(true);
    expect(result.unconstrained).toEqual([]);
    expectWellFormed(result.rules, result.calls);
    const none = await grammar('lfm2', { tools: [{ name: 'g', parameters: { type: 'object', properties: {} } }] });
    expect(none.rules.split('\n')).toContain('tc-t0-args ::= ""');
    expectWellFormed(none.rules, none.calls);
  });

  it('MiniMax-M3: each parameter closes with its own name; undeclared names cannot be written', async () => {
    const result = await grammar('minimax-m3', { tools: [WEATHER, { name: 'f', parameters: { type: 'object', properties: { days: { type: 'integer' } } } }] });
    const lines = result.rules.split('\n');
    expect(lines).toContain('tc-t0-p0 ::= "]<]minimax[>[<" "city" ">" [^<\\uD800-\\uDFFF\\U00110000-\\U003FFFFF]{0,9} "]<]minimax[>[</city>"');
    expect(lines).toContain('tc-t1-p0 ::= "]<]minimax[>[<" "days" ">" tc-t1-j-v0-root "]<]minimax[>[</days>"');
    expect(result.unconstrained).toEqual([]);
    expectWellFormed(result.rules, result.calls);
    const odd = await grammar('minimax-m3', { tools: [{ name: 'odd', parameters: { type: 'object', properties: { s: { type: 'string', pattern: '^a' } } } }] });
    expect(odd.unconstrained).toEqual(['odd']);
    expect(odd.rules.split('\n')).toContain('tc-t0-param ::= ( "]<]minimax[>[<" "s" ">" tc-t0-text "]<]minimax[>[</s>" )');
    expectWellFormed(odd.rules, odd.calls);
    const open = await grammar('minimax-m3', { tools: [{ name: 'open', parameters: { type: 'object', additionalProperties: true } }] });
    expect(open.unconstrained).toEqual(['open']);
    expect(open.rules.split('\n')).toContain('tc-t0-args ::= ""');
  });

  it('Kimi K3: the type attribute follows the schema (raw strings, JSON numbers and objects)', async () => {
    const tool: ToolDefinition = {
      name: 'f',
      parameters: { type: 'object', properties: { note: { type: 'string' }, days: { type: 'integer' }, opts: { type: 'object', properties: {} } }, required: ['days'] },
    };
    const lines = (await grammar('kimi-k3', { tools: [tool] })).rules.split('\n');
    expect(lines).toContain('tc-t0-p0 ::= "<|open|>argument key=\\"" "note" "\\" type=\\"string\\"<|sep|>" tc-t0-text "<|close|>argument<|sep|>"');
    expect(lines).toContain('tc-t0-p1 ::= "<|open|>argument key=\\"" "days" "\\" type=\\"number\\"<|sep|>" tc-t0-j-v0-root "<|close|>argument<|sep|>"');
    expect(lines.some((line) => line.startsWith('tc-t0-p2 ::= "<|open|>argument key=\\"" "opts" "\\" type=\\"object\\"<|sep|>" '))).toBe(true);
  });

  it('a schema the grammar cannot enforce falls back to any arguments and is reported', async () => {
    const odd: ToolDefinition = { name: 'odd', parameters: { type: 'object', properties: { s: { type: 'string', pattern: '^a' } } } };
    const json = await grammar('hermes', { tools: [WEATHER, odd] });
    expect(json.unconstrained).toEqual(['odd']);
    expect(json.rules.split('\n')).toContain('tc-t1-j-o0 ::= "{" tc-t1-j-ws ( tc-t1-j-o0-extra tc-t1-j-o0-a0 )? tc-t1-j-ws "}"');
    expectWellFormed(json.rules, json.calls);
    expect(json.rules.split('\n')).toContain('tc-call ::= tc-t0-call | tc-t1-call');
    const xml = await grammar('glm45', { tools: [odd] });
    expect(xml.unconstrained).toEqual(['odd']);
    expect(xml.rules.split('\n')).toContain('tc-t0-param ::= "<arg_key>" ( "s" ) "</arg_key>" "\\n"? "<arg_value>" tc-t0-text "</arg_value>" "\\n"?');
    expectWellFormed(xml.rules, xml.calls);
    const python = await grammar('lfm2', { tools: [odd] });
    expect(python.unconstrained).toEqual(['odd']);
    expect(python.rules.split('\n')).toContain('tc-t0-args ::= ( tc-t0-arg ( ", " tc-t0-arg )* )?');
    expectWellFormed(python.rules, python.calls);
  });

  it('`{type: object}` without properties means any object (node-llama-cpp alone would admit only `{}`)', async () => {
    const any: ToolDefinition = { name: 'any', parameters: { type: 'object' } };
    const result = await grammar('hermes', { tools: [any] });
    expect(result.rules.split('\n')).toContain('tc-t0-j-o0 ::= "{" tc-t0-j-ws ( tc-t0-j-o0-extra tc-t0-j-o0-a0 )? tc-t0-j-ws "}"');
    expectWellFormed(result.rules, result.calls);
    expect(result.unconstrained).toEqual([]);
  });

  it('exactly one call without parallel calls; a named tool only', async () => {
    const other: ToolDefinition = { name: 'other', parameters: { type: 'object', properties: {} } };
    const result = await grammar('hermes', { tools: [WEATHER, other], parallel: false, only: 'other' });
    const lines = result.rules.split('\n');
    expect(lines).toContain('tc-calls ::= tc-call');
    expect(lines).toContain('tc-call ::= tc-t0-call');
    expect(result.rules).not.toContain('get_weather');
  });

  it('mistralSyntaxOf reads the template', () => {
    expect(mistralSyntaxOf("{{- '[TOOL_CALLS]' + name + '[ARGS]' + args }}")).toBe('args');
    expect(mistralSyntaxOf("{{- '[TOOL_CALLS][' }}")).toBe('array');
  });
});
