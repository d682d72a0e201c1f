import { describe, expect, it } from 'vitest';
import { createGlm45Parser } from './glm45.js';
import { parseAllSplits } from './parser-test-helper.js';

const parse = createGlm45Parser;
const call1 = '<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n<arg_key>days</arg_key>\n<arg_value>2</arg_value>\n</tool_call>';
const call2 = '<tool_call>special_function<arg_key>arg1</arg_key><arg_value>1</arg_value></tool_call>';

describe('glm45', () => {
  it('text only', () => {
    expect(parseAllSplits(parse, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('reasoning + text', () => {
    const r = parseAllSplits(parse, "\n<think>I'm\nthinking</think>\nHello");
    expect(r.parts).toEqual([{ reasoning: "I'm\nthinking" }, { text: 'Hello' }]);
  });

  it('one call (GLM-4.6 layout)', () => {
    expect(parseAllSplits(parse, call1).parts).toEqual([{ call: 'get_weather', args: '{"city":"Paris","days":2}' }]);
  });

  it('two calls (GLM-4.7 layout, no newlines) with text before', () => {
    const r = parseAllSplits(parse, `Checking.${call2}${call1}`);
    expect(r.parts).toEqual([{ text: 'Checking.' }, { call: 'special_function', args: '{"arg1":1}' }, { call: 'get_weather', args: '{"city":"Paris","days":2}' }]);
  });

  it('forced-open thinking (GLM-4.7-Flash) + call, and a call without arguments', () => {
    const r = parseAllSplits(parse, "I'm\nthinking</think><tool_call>read_file_diff_md</tool_call>", { prompt: '<|assistant|><think>' });
    expect(r.parts).toEqual([{ reasoning: "I'm\nthinking" }, { call: 'read_file_diff_md', args: '{}' }]);
  });

  it('object values and JSON-looking strings', () => {
    const out = '<tool_call>f<arg_key>o</arg_key><arg_value>{"a": [1]}</arg_value><arg_key>s</arg_key><arg_value>hi there</arg_value></tool_call>';
    expect(parseAllSplits(parse, out).calls).toEqual([{ name: 'f', arguments: '{"o":{"a":[1]},"s":"hi there"}' }]);
  });

  it('broken markup becomes text + warn', () => {
    const bad = '<tool_call>f<arg_key>a</arg_key>oops</tool_call>';
    const r = parseAllSplits(parse, bad);
    expect(r.parts).toEqual([{ text: bad }]);
    expect(r.warnings).toHaveLength(1);
  });

  it('toolsEnabled false keeps markup, splits thinking', () => {
    const r = parseAllSplits(parse, `<think>x</think>${call2}`, { toolsEnabled: false });
    expect(r.parts).toEqual([{ reasoning: 'x' }, { text: call2 }]);
  });
});
