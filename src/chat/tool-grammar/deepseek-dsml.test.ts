import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../types.js';
import { buildToolCallGrammar } from './index.js';

const fakeJsonGrammar = async (schema: Record<string, unknown>): Promise<string> => `root ::= ${schema.type === 'integer' ? '"INT"' : '"OTHER"'}`;

const TOOL: ToolDefinition = {
  name: 'add_hours',
  parameters: { type: 'object', properties: { hours: { type: 'integer' }, unit: { type: 'string', enum: ['h', 'min'] } }, required: ['hours', 'unit'] },
};

describe('DeepSeek V3.2 / V4 tool-call grammar', () => {
  it.each([
    { family: 'deepseek-v3.2', block: 'function_calls' },
    { family: 'deepseek-v4', block: 'tool_calls' },
  ] as const)('$family: its own block name, string="false" before JSON values and string="true" before raw text', async ({ family, block }) => {
    const grammar = (await buildToolCallGrammar({ family, tools: [TOOL], parallel: true, jsonSchemaGrammar: fakeJsonGrammar }))!;
    const rules = grammar.rules.split('\n');
    expect(grammar.triggers).toEqual([{ text: `<｜DSML｜${block}>` }]);
    expect(grammar.unconstrained).toEqual([]);
    expect(rules).toContain(`tc-calls ::= "<｜DSML｜${block}>\\n" tc-call ( tc-call )* "</｜DSML｜${block}>"`);
    expect(rules).toContain('tc-t0-call ::= "<｜DSML｜invoke name=\\"add_hours\\">\\n" tc-t0-args "</｜DSML｜invoke>\\n"');
    expect(rules).toContain('tc-t0-p0 ::= "<｜DSML｜parameter name=\\"" "hours" "\\" string=\\"false\\">" tc-t0-j-v0-root "</｜DSML｜parameter>\\n"');
    expect(rules).toContain('tc-t0-p1 ::= "<｜DSML｜parameter name=\\"" "unit" "\\" string=\\"true\\">" ( "h" | "min" ) "</｜DSML｜parameter>\\n"');
  });
});
