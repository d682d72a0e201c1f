// Cases from llama.cpp's tests/test-chat.cpp (ByteDance-Seed-OSS).
import { describe, expect, it } from 'vitest';
import { createSeedOssParser } from './seed-oss.js';
import { parseAllSplits } from './parser-test-helper.js';
import type { ToolDefinition } from '../types.js';

const tools: ToolDefinition[] = [
  { name: 'special_function', parameters: { type: 'object', properties: { arg1: { type: 'integer' } } } },
  { name: 'edit', parameters: { type: 'object', properties: { filename: { type: 'string' }, oldString: { type: 'string' }, newString: { type: 'string' } } } },
];
const parse = (o: Parameters<typeof createSeedOssParser>[0]) => createSeedOssParser({ ...o, tools });

describe('seed-oss', () => {
  it('text only', () => {
    expect(parseAllSplits(parse, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('reasoning + text', () => {
    const r = parseAllSplits(parse, "<seed:think>I'm thinking about the answer</seed:think>\nHello, world!");
    expect(r.parts).toEqual([{ reasoning: "I'm thinking about the answer" }, { text: 'Hello, world!' }]);
  });

  it('two calls, values typed from the schema', () => {
    const call = '<seed:tool_call>\n<function=special_function>\n<parameter=arg1>1</parameter>\n</function>\n</seed:tool_call>';
    const r = parseAllSplits(parse, `${call}\n${call}`);
    expect(r.parts).toEqual([
      { call: 'special_function', args: '{"arg1":1}' },
      { call: 'special_function', args: '{"arg1":1}' },
    ]);
  });

  it("keeps a value's own newlines and quotes", () => {
    const raw =
      '<seed:tool_call>\n<function=edit>\n<parameter=filename>foo.cpp</parameter>\n' +
      '<parameter=oldString>def foo(arg = "14"):\n    return arg + "bar"\n</parameter>\n' +
      '<parameter=newString>def foo(arg = "15"):\n    pass\n</parameter>\n</function>\n</seed:tool_call>';
    const r = parseAllSplits(parse, raw);
    expect(r.parts).toEqual([
      { call: 'edit', args: JSON.stringify({ filename: 'foo.cpp', oldString: 'def foo(arg = "14"):\n    return arg + "bar"\n', newString: 'def foo(arg = "15"):\n    pass\n' }) },
    ]);
  });
});
