import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../types.js';
import { buildToolCallGrammar } from './index.js';

// Gemma 4's grammar never asks node-llama-cpp for JSON rules.
const noJsonGrammar = async (): Promise<string> => {
  throw new Error('not used by gemma4');
};

async function grammar(tools: ToolDefinition[], parallel = true) {
  const result = await buildToolCallGrammar({ family: 'gemma4', tools, parallel, jsonSchemaGrammar: noJsonGrammar });
  expect(result).toBeDefined();
  return { ...result!, lines: result!.rules.split('\n') };
}

const INTEGER = '"-"? ( "0" | [1-9] [0-9]{0,15} )';

describe('Gemma 4 tool-call grammar', () => {
  it('calls back to back, each `<|tool_call>call:NAME{…}<tool_call|>`, triggered by <|tool_call>', async () => {
    const tool: ToolDefinition = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
    const parallel = await grammar([tool]);
    expect(parallel.triggers).toEqual([{ text: '<|tool_call>' }]);
    expect(parallel.unconstrained).toEqual([]);
    expect(parallel.lines).toContain('tc-calls ::= tc-call+');
    expect(parallel.lines).toContain('tc-t0-call ::= "<|tool_call>call:get_weather" tc-t0-g-o0 "<tool_call|>"');
    expect(parallel.lines).toContain('tc-t0-g-o0 ::= "{" tc-t0-g-o0-b0 "}"');
    // A string: raw text between <|"|> delimiters, never holding a delimiter or the call's end.
    expect(parallel.lines).toContain('tc-t0-g-o0-b0 ::= "city:" tc-t0-g-s1 tc-t0-g-o0-a1');
    expect(parallel.lines).toContain('tc-t0-g-s1 ::= "<|\\"|>" tc-t0-g-s1-text "<|\\"|>"');
    expect((await grammar([tool], false)).lines).toContain('tc-calls ::= tc-call');
  });

  it('keys in sorted order as the template writes them, optional ones skippable; typed values', async () => {
    const tool: ToolDefinition = {
      name: 'f',
      parameters: {
        type: 'object',
        properties: {
          unit: { type: 'string', enum: ['h', 'min'] },
          hours: { type: 'integer' },
          tags: { type: 'array', items: { type: 'boolean' }, maxItems: 2 },
          note: { type: 'string', maxLength: 5 },
        },
        required: ['unit', 'hours'],
      },
    };
    const { lines, unconstrained } = await grammar([tool]);
    expect(unconstrained).toEqual([]);
    // hours < note < tags < unit
    expect(lines).toContain(`tc-t0-g-o0-b0 ::= "hours:" ${INTEGER} tc-t0-g-o0-a1`);
    expect(lines).toContain('tc-t0-g-o0-a1 ::= ( "," "note:" "<|\\"|>" [^<\\uD800-\\uDFFF\\U00110000-\\U003FFFFF]{0,5} "<|\\"|>" )? tc-t0-g-o0-a2');
    expect(lines).toContain('tc-t0-g-o0-a2 ::= ( "," "tags:" tc-t0-g-a1 )? tc-t0-g-o0-a3');
    expect(lines).toContain('tc-t0-g-a1 ::= "[" ( ( "true" | "false" ) ( "," ( "true" | "false" ) ){0,1} )? "]"');
    expect(lines).toContain('tc-t0-g-o0-a3 ::= "," "unit:" ( "<|\\"|>h<|\\"|>" | "<|\\"|>min<|\\"|>" ) tc-t0-g-o0-a4');
  });

  it('a schema keyword it does not enforce makes the tool unconstrained', async () => {
    const tool: ToolDefinition = { name: 'f', parameters: { type: 'object', properties: { when: { type: 'string', format: 'date-time' } } } };
    expect((await grammar([tool])).unconstrained).toEqual(['f']);
  });
});
