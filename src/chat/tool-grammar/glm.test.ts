import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../types.js';
import { literalOptionalNewlines } from './gbnf.js';
import { buildToolCallGrammar } from './index.js';

const fakeJsonGrammar = async (schema: Record<string, unknown>): Promise<string> => `root ::= ${schema.type === 'integer' ? '"INT"' : '"OTHER"'}`;

const WEATHER: ToolDefinition = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] },
};

describe('GLM tool-call grammar', () => {
  it('makes every newline of a literal optional', () => {
    expect(literalOptionalNewlines('</arg_key>\n<arg_value>')).toBe('"</arg_key>" "\\n"? "<arg_value>"');
    expect(literalOptionalNewlines('</arg_value>\n')).toBe('"</arg_value>" "\\n"?');
    expect(literalOptionalNewlines('\n')).toBe('"\\n"?');
    expect(literalOptionalNewlines('<tool_call>')).toBe('"<tool_call>"');
    expect(literalOptionalNewlines('')).toBe('""');
  });

  // GLM-4.5/4.6 write `<tool_call>NAME\n<arg_key>K</arg_key>\n<arg_value>V</arg_value>\n</tool_call>`,
  // GLM-4.7 the same without newlines: the grammar that takes over at `<tool_call>` must admit
  // both, or it forces a GLM-4.7 model off its own markup (issue 14).
  it('admits GLM-4.5 markup with newlines and GLM-4.7 markup without', async () => {
    const grammar = (await buildToolCallGrammar({ family: 'glm45', tools: [WEATHER], parallel: true, jsonSchemaGrammar: fakeJsonGrammar }))!;
    const rules = grammar.rules.split('\n');
    expect(grammar.triggers).toEqual([{ text: '<tool_call>' }]);
    expect(rules).toContain('tc-calls ::= tc-call ( "\\n"? tc-call )*');
    expect(rules).toContain('tc-t0-call ::= "<tool_call>get_weather" "\\n"? tc-t0-args "</tool_call>"');
    expect(rules).toContain('tc-t0-p0 ::= "<arg_key>" "city" "</arg_key>" "\\n"? "<arg_value>" tc-t0-text "</arg_value>" "\\n"?');
    expect(rules.find((rule) => rule.startsWith('tc-t0-p1 ::= '))).toMatch(/^tc-t0-p1 ::= "<arg_key>" "days" "<\/arg_key>" "\\n"\? "<arg_value>" \S+ "<\/arg_value>" "\\n"\?$/);
    // No literal of the markup holds a newline the model must write.
    expect(rules.filter((rule) => rule.startsWith('tc-') && !rule.startsWith('tc-t0-text') && !rule.startsWith('tc-t0-j-')).join('\n')).not.toMatch(/"[^"\n]+\\n[^"]*"/);
  });
});
