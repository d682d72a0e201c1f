import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { llamaCppSource } from '../../../test/fixtures/llama-cpp-source.js';
import { buildToolCallGrammar } from '../tool-grammar/index.js';
import { ChatTemplate } from '../template.js';
import type { ToolDefinition } from '../types.js';
import { deriveSyntax } from './index.js';
import type { DerivedSyntax } from './syntax.js';

const fakeJsonGrammar = async (schema: Record<string, unknown>): Promise<string> => `root ::= ${schema.type === 'integer' ? '"INT"' : '"OTHER"'}`;

const WEATHER: ToolDefinition = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

function derived(name: string): DerivedSyntax {
  const result = deriveSyntax(new ChatTemplate(readFileSync(join(llamaCppSource(), 'models', 'templates', `${name}.jinja`), 'utf8'), {}));
  if ('error' in result) throw new Error(result.error);
  return result.syntax;
}

async function rules(name: string): Promise<{ rules: string[]; triggers: unknown }> {
  const grammar = (await buildToolCallGrammar({ family: 'derived', derived: derived(name), tools: [WEATHER], parallel: true, jsonSchemaGrammar: fakeJsonGrammar }))!;
  return { rules: grammar.rules.split('\n'), triggers: grammar.triggers };
}

describe('derived tool-call grammar: the markup as the template renders it', () => {
  it('Qwen3-Coder: tagged parameters between newlines, calls separated by a newline', async () => {
    const { rules: r, triggers } = await rules('Qwen3-Coder');
    expect(triggers).toEqual([{ text: '<tool_call>' }]);
    expect(r).toContain('tc-calls ::= tc-call ( "\\n" tc-call )*');
    expect(r).toContain('tc-t0-call ::= "<tool_call>\\n<function=get_weather" ">" tc-t0-args "\\n</function>\\n</tool_call>"');
    expect(r).toContain('tc-t0-p0 ::= "\\n<parameter=" "city" ">\\n" tc-t0-text "\\n</parameter>"');
  });

  it('MiniMax-M2: the section around the calls, triggered by its opening marker', async () => {
    const { rules: r, triggers } = await rules('MiniMax-M2');
    expect(triggers).toEqual([{ text: '<minimax:tool_call>' }]);
    expect(r).toContain('tc-calls ::= "<minimax:tool_call>\\n" tc-call ( "\\n" tc-call )* "\\n</minimax:tool_call>"');
  });

  it('Kimi-K2: the call counter after the name is any number', async () => {
    const { rules: r } = await rules('Kimi-K2-Instruct');
    expect(r.find((rule) => rule.startsWith('tc-t0-call ::= '))).toMatch(
      /^tc-t0-call ::= "<\|tool_call_begin\|>functions\.get_weather" ":" \[0-9\]\{1,3\} "<\|tool_call_argument_begin\|>" \S+ "<\|tool_call_end\|>"$/,
    );
  });

  it('Hermes (Qwen2.5): a JSON object with the name, in <tool_call>', async () => {
    const { rules: r } = await rules('Qwen-Qwen2.5-7B-Instruct');
    expect(r.find((rule) => rule.startsWith('tc-t0-call ::= '))).toMatch(
      /^tc-t0-call ::= "<tool_call>\\n" "\{\\"name\\": \\"get_weather\\", \\"arguments\\": " \S+ "\}" "\\n<\/tool_call>"$/,
    );
  });

  it('Nemotron Nano v2: one JSON array of calls', async () => {
    const { rules: r, triggers } = await rules('NVIDIA-Nemotron-Nano-v2');
    expect(triggers).toEqual([{ text: '<TOOLCALL>' }]);
    expect(r).toContain('tc-calls ::= "<TOOLCALL>[" tc-call ( ", " tc-call )* "]</TOOLCALL>"');
  });

  it('no grammar when only reasoning was inferred', async () => {
    const syntax = derived('deepseek-ai-DeepSeek-R1-Distill-Llama-8B');
    expect(await buildToolCallGrammar({ family: 'derived', derived: syntax, tools: [WEATHER], parallel: true, jsonSchemaGrammar: fakeJsonGrammar })).toBeUndefined();
  });
});

describe('derived tool-call grammar: ids and sequences', () => {
  it('Mistral Small 3.2: a 9-character id where the template writes the call id', async () => {
    const { rules: r, triggers } = await rules('Mistral-Small-3.2-24B-Instruct-2506');
    expect(triggers).toEqual([{ text: '[TOOL_CALLS]' }]);
    expect(r.find((rule) => rule.startsWith('tc-t0-call ::= '))).toMatch(/^tc-t0-call ::= "\[TOOL_CALLS\]get_weather" "\[CALL_ID\]" \[a-zA-Z0-9\]\{9\} "\[ARGS\]" \S+$/);
    expect(r).toContain('tc-calls ::= tc-call ( tc-call )*');
  });

  it('MiniMax-M1: call objects one per line inside <tool_calls>', async () => {
    const { rules: r } = await rules('MiniMax-M1');
    expect(r).toContain('tc-calls ::= "<tool_calls>\\n" tc-call ( "\\n" tc-call )* "\\n</tool_calls>"');
  });
});

describe('derived tool-call grammar: no markup', () => {
  it('Llama 3.x: triggered by {"name" at the start of the output only', async () => {
    const { rules: r, triggers } = await rules('meta-llama-Llama-3.1-8B-Instruct');
    expect(triggers).toEqual([{ text: '{"name"', atStart: true }]);
    expect(r.find((rule) => rule.startsWith('tc-t0-call ::= '))).toMatch(/^tc-t0-call ::= "\{\\"name\\": \\"get_weather\\", \\"parameters\\": " \S+ "\}"$/);
  });
});

describe('derived tool-call grammar: a value type between key and value', () => {
  it('DeepSeek V3.2: string="true" before raw text, string="false" before JSON', async () => {
    const tools: ToolDefinition[] = [{ name: 'f', parameters: { type: 'object', properties: { s: { type: 'string' }, n: { type: 'integer' } }, required: ['s', 'n'] } }];
    const grammar = (await buildToolCallGrammar({ family: 'derived', derived: derived('deepseek-ai-DeepSeek-V3.2'), tools, parallel: true, jsonSchemaGrammar: fakeJsonGrammar }))!;
    const r = grammar.rules.split('\n');
    expect(r.find((rule) => rule.startsWith('tc-t0-p0 ::= '))).toContain('"\\" string=\\"true\\">"');
    expect(r.find((rule) => rule.startsWith('tc-t0-p1 ::= '))).toContain('"\\" string=\\"false\\">"');
  });
});
