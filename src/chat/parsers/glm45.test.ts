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

  // Ling 3.0 (Bailing V3) writes GLM-4.6's calls after a prompt that opens thinking; cases from
  // llama.cpp's test-chat.cpp (its dedicated Ling 3.0 parser).
  describe('Ling 3.0', () => {
    const ling = { prompt: '<role>HUMAN</role>What time is it?<|role_end|><role>ASSISTANT</role>\n<think>' };
    const getTime = '<tool_call>get_time\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>';
    const tools = [{ name: 'tool_2req_4opt', parameters: { type: 'object', properties: { req1: { type: 'string' }, req2: { type: 'integer' } }, required: ['req1', 'req2'] } }];

    it('a call before </think> ends the reasoning', () => {
      const r = parseAllSplits(parse, `I need to check the time first.\n${getTime}`, ling);
      expect(r.parts).toEqual([{ reasoning: 'I need to check the time first.\n' }, { call: 'get_time', args: '{"city":"Paris"}' }]);
    });

    it('closed thinking, prose, then a call; prose after the last call is content', () => {
      const r = parseAllSplits(parse, `Let me check the time.\n</think>\nChecking it now.\n${getTime}\nThe time has been checked.`, ling);
      expect(r.reasoning).toBe('Let me check the time.\n');
      expect(r.calls).toEqual([{ name: 'get_time', arguments: '{"city":"Paris"}' }]);
      // The newline after </think> stays, as in llama.cpp (forced-open GLM); whitespace right
      // after a call is markup to us (llama.cpp keeps it in the content).
      expect(r.content).toBe('\nChecking it now.\nThe time has been checked.');
    });

    it('parallel calls', () => {
      const r = parseAllSplits(parse, `</think>\n${getTime}\n${getTime}`, ling);
      expect(r.parts).toEqual([{ text: '\n' }, { call: 'get_time', args: '{"city":"Paris"}' }, { call: 'get_time', args: '{"city":"Paris"}' }]);
    });

    it('values may hold marker-like strings; typed by the schema', () => {
      const out =
        'check this\n</think>\n<tool_call>tool_2req_4opt\n<arg_key>req1</arg_key>\n<arg_value>contains </think> and <tool_call> strings</arg_value>\n<arg_key>req2</arg_key>\n<arg_value>1</arg_value>\n</tool_call>';
      const r = parseAllSplits(parse, out, { ...ling, tools });
      expect(r.reasoning).toBe('check this\n');
      expect(r.calls).toEqual([{ name: 'tool_2req_4opt', arguments: '{"req1":"contains </think> and <tool_call> strings","req2":1}' }]);
    });

    it('thinking off: the prompt closes the block, the output is content', () => {
      const off = { prompt: '<role>ASSISTANT</role>\n<think></think>' };
      expect(parseAllSplits(parse, 'Here is the answer.\nNo think block at all.', off).parts).toEqual([{ text: 'Here is the answer.\nNo think block at all.' }]);
      expect(parseAllSplits(parse, getTime, off).parts).toEqual([{ call: 'get_time', args: '{"city":"Paris"}' }]);
    });
  });
});
