import { describe, expect, it } from 'vitest';
import { createKimiK2Parser } from './kimi-k2.js';
import { parseAllSplits } from './parser-test-helper.js';

const parse = createKimiK2Parser;
const call = (name: string, n: number, args: string) => `<|tool_call_begin|>functions.${name}:${n}<|tool_call_argument_begin|>${args}<|tool_call_end|>`;
const one = `<|tool_calls_section_begin|>${call('get_weather', 0, '{"city": "Paris"}')}<|tool_calls_section_end|>`;

describe('kimi-k2', () => {
  it('text only', () => {
    expect(parseAllSplits(parse, 'Hello, world!').parts).toEqual([{ text: 'Hello, world!' }]);
  });

  it('reasoning + text (K2-Thinking)', () => {
    expect(parseAllSplits(parse, '<think>hm</think>Hello').parts).toEqual([{ reasoning: 'hm' }, { text: 'Hello' }]);
  });

  it('one call', () => {
    expect(parseAllSplits(parse, one).parts).toEqual([{ call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it('two calls with text before', () => {
    const out = `Let me look.<|tool_calls_section_begin|>${call('a', 0, '{"x": 1}')}\n${call('b', 1, '{}')}<|tool_calls_section_end|>`;
    expect(parseAllSplits(parse, out).parts).toEqual([{ text: 'Let me look.' }, { call: 'a', args: '{"x":1}' }, { call: 'b', args: '{}' }]);
  });

  it('reasoning + call, also a call inside unterminated reasoning', () => {
    expect(parseAllSplits(parse, `<think>need it</think>${one}`).parts).toEqual([{ reasoning: 'need it' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
    expect(parseAllSplits(parse, `<think>need it ${one}`).parts).toEqual([{ reasoning: 'need it ' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it('forced-open thinking', () => {
    expect(parseAllSplits(parse, 'hm</think>Hi', { prompt: '<|im_assistant|>assistant<|im_middle|><think>' }).parts).toEqual([{ reasoning: 'hm' }, { text: 'Hi' }]);
  });

  it('calls without section markers or without call end', () => {
    expect(parseAllSplits(parse, call('a', 0, '{"x": 1}')).calls).toEqual([{ name: 'a', arguments: '{"x":1}' }]);
    const noEnd = '<|tool_calls_section_begin|><|tool_call_begin|>functions.a:0<|tool_call_argument_begin|>{"x": 1}<|tool_calls_section_end|>';
    expect(parseAllSplits(parse, noEnd).calls).toEqual([{ name: 'a', arguments: '{"x":1}' }]);
  });

  it('invalid JSON arguments become text + warn', () => {
    const bad = call('a', 0, '{"x": nope}');
    const r = parseAllSplits(parse, `<|tool_calls_section_begin|>${bad}<|tool_calls_section_end|>`);
    expect(r.parts).toEqual([{ text: bad }]);
    expect(r.warnings).toHaveLength(1);
  });

  it('toolsEnabled false', () => {
    expect(parseAllSplits(parse, one, { toolsEnabled: false }).parts).toEqual([{ text: one }]);
  });
});
