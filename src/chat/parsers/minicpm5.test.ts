// Cases from llama.cpp's tests/test-chat.cpp (openbmb-MiniCPM5-1B).
import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../types.js';
import { createMinicpm5Parser } from './minicpm5.js';
import { parseAllSplits } from './parser-test-helper.js';

const thinkingOff = { prompt: '<|im_start|>assistant\n<think>\n\n</think>\n\n' };
const thinkingOn = { prompt: '<|im_start|>assistant\n<think>\n' };
const tools: ToolDefinition[] = [
  { name: 'python', parameters: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] } },
  { name: 'count', parameters: { type: 'object', properties: { n: { type: 'integer' }, tag: { type: ['string', 'null'] } } } },
];
const parse = createMinicpm5Parser;

describe('minicpm5', () => {
  it('text only (thinking off)', () => {
    expect(parseAllSplits(parse, "Hello, world!\nWhat's up?", thinkingOff).parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('one call; a call without arguments', () => {
    const r = parseAllSplits(parse, `<function name="python"><param name="code">print('Hello, World!')</param></function>`, { ...thinkingOff, tools });
    expect(r.parts).toEqual([{ call: 'python', args: `{"code":"print('Hello, World!')"}` }]);
    expect(parseAllSplits(parse, '<function name="empty_args"></function>', thinkingOff).parts).toEqual([{ call: 'empty_args', args: '{}' }]);
  });

  it('CDATA carries characters that would close the tag', () => {
    const r = parseAllSplits(parse, '<function name="html"><param name="markup"><![CDATA[<a href="/x">hi</a> </param>]]></param></function>', thinkingOff);
    expect(r.calls).toEqual([{ name: 'html', arguments: '{"markup":"<a href=\\"/x\\">hi</a> </param>"}' }]);
  });

  it('reasoning forced open by the prompt, then a call', () => {
    const r = parseAllSplits(parse, `I'm thinking</think><function name="python"><param name="code">print('hey')</param></function>`, { ...thinkingOn, tools });
    expect(r.parts).toEqual([{ reasoning: "I'm thinking" }, { call: 'python', args: `{"code":"print('hey')"}` }]);
  });

  it('parallel calls, separated by a newline', () => {
    const out = `<function name="python"><param name="code">print('x')</param></function>\n<function name="python"><param name="code">print('y')</param></function>`;
    expect(parseAllSplits(parse, out, { ...thinkingOff, tools }).calls).toEqual([
      { name: 'python', arguments: `{"code":"print('x')"}` },
      { name: 'python', arguments: `{"code":"print('y')"}` },
    ]);
  });

  it('values typed by the schema: JSON unless strings are allowed', () => {
    const r = parseAllSplits(parse, '<function name="count"><param name="n">42</param>\n<param name="tag">null</param></function>', { ...thinkingOff, tools });
    expect(r.calls).toEqual([{ name: 'count', arguments: '{"n":42,"tag":"null"}' }]);
  });

  it('broken markup stays text, with a warning', () => {
    const bad = '<function name="python"><param name="code">x</function>';
    const r = parseAllSplits(parse, bad, { ...thinkingOff, tools });
    expect(r.parts).toEqual([{ text: bad }]);
    expect(r.warnings).toHaveLength(1);
  });
});
