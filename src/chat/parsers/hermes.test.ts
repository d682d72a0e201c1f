import { describe, expect, it } from 'vitest';
import { createHermesParser } from './hermes.js';
import { parseAllSplits } from './parser-test-helper.js';

const parse = createHermesParser;
const call1 = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const call2 = '<tool_call>\n{"name": "get_time", "arguments": {"tz": "CET", "n": 1}}\n</tool_call>';

describe('hermes', () => {
  it('text only', () => {
    expect(parseAllSplits(parse, 'Hello <b>world</b> <tool').parts).toEqual([{ text: 'Hello <b>world</b> <tool' }]);
  });

  it('reasoning + text', () => {
    const r = parseAllSplits(parse, "<think>\nI'm\nthinking\n</think>\n\nHello");
    expect(r.parts).toEqual([{ reasoning: "I'm\nthinking\n" }, { text: 'Hello' }]);
  });

  it('one call', () => {
    const r = parseAllSplits(parse, call1);
    expect(r.parts).toEqual([{ call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it('text before, between and after two calls', () => {
    const r = parseAllSplits(parse, `Let me check.\n${call1}\n${call2}\nDone.`);
    expect(r.parts).toEqual([{ text: 'Let me check.\n' }, { call: 'get_weather', args: '{"city":"Paris"}' }, { call: 'get_time', args: '{"tz":"CET","n":1}' }, { text: 'Done.' }]);
  });

  it('reasoning + call (Qwen3)', () => {
    const r = parseAllSplits(parse, `<think>\nNeed weather.\n</think>\n\n${call1}`);
    expect(r.parts).toEqual([{ reasoning: 'Need weather.\n' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it('forced-open thinking ended by a tool call', () => {
    const r = parseAllSplits(parse, `Need weather.\n${call1}`, { prompt: '<|im_start|>assistant\n<think>\n' });
    expect(r.parts).toEqual([{ reasoning: 'Need weather.\n' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  // Reka Edge (test-chat.cpp): its prompt opens thinking (`assistant: <think>\n`); calls come
  // back to back, sometimes without the newline before `</tool_call>`, right after text.
  it('Reka Edge: forced-open reasoning, text, then calls back to back', () => {
    const reka = { prompt: 'human: What time is it?<sep>assistant: <think>\n' };
    const r = parseAllSplits(
      parse,
      'I need to call a function\n</think>\n\nLet me check the time.<tool_call>\n{"name": "get_time", "arguments": {"city": "XYZCITY"}}</tool_call><tool_call>\n{"name": "f", "arguments": {"arg1": 1}}</tool_call>',
      reka,
    );
    expect(r.parts).toEqual([
      { reasoning: 'I need to call a function\n' },
      { text: 'Let me check the time.' },
      { call: 'get_time', args: '{"city":"XYZCITY"}' },
      { call: 'f', args: '{"arg1":1}' },
    ]);
  });

  // RWKV World (llama.cpp's template for RWKV-7 G1): the prompt ends with `Assistant: <think>`
  // when thinking is on and with `Assistant: <think>\n</think>` when it is off.
  it('RWKV World: reasoning opened by the prompt; thinking off leaves everything text', () => {
    const on = parseAllSplits(parse, 'The user says hi.</think> Hello!', { prompt: 'User: Hi\n\nAssistant: <think>', toolsEnabled: false });
    // Hermes drops only newlines after </think> (as llama.cpp does for Qwen3).
    expect(on.parts).toEqual([{ reasoning: 'The user says hi.' }, { text: ' Hello!' }]);
    const off = parseAllSplits(parse, ' Hello!', { prompt: 'User: Hi\n\nAssistant: <think>\n</think>', toolsEnabled: false });
    expect(off.parts).toEqual([{ text: ' Hello!' }]);
  });

  it('invalid JSON arguments become text and warn', () => {
    const bad = '<tool_call>\n{"name": "get_weather", "arguments": {"city": Paris}}\n</tool_call>';
    const r = parseAllSplits(parse, `Hi ${bad} bye`);
    expect(r.parts).toEqual([{ text: `Hi ${bad} bye` }]);
    expect(r.warnings).toHaveLength(1);
  });

  it('unterminated call with complete JSON is emitted; incomplete is text + warn', () => {
    const ok = parseAllSplits(parse, '<tool_call>\n{"name": "f", "arguments": {"a": [1, 2]}}\n');
    expect(ok.parts).toEqual([{ call: 'f', args: '{"a":[1,2]}' }]);
    const cut = parseAllSplits(parse, '<tool_call>\n{"name": "f", "argu');
    expect(cut.parts).toEqual([{ text: '<tool_call>\n{"name": "f", "argu' }]);
    expect(cut.warnings).toHaveLength(1);
  });

  it('arguments given as a JSON string or under "parameters"', () => {
    const r = parseAllSplits(parse, '<tool_call>{"name": "f", "arguments": "{\\"a\\": 1}"}</tool_call><tool_call>{"name": "g", "parameters": {"b": true}}</tool_call>');
    expect(r.calls).toEqual([
      { name: 'f', arguments: '{"a":1}' },
      { name: 'g', arguments: '{"b":true}' },
    ]);
  });

  it('toolsEnabled false: markup is text, thinking still split', () => {
    const r = parseAllSplits(parse, `<think>x</think>${call1}`, { toolsEnabled: false });
    expect(r.parts).toEqual([{ reasoning: 'x' }, { text: call1 }]);
  });

  it('a template without thinking (Qwen2.5, Hermes 3) leaves <think> in the text, like llama.cpp', () => {
    const r = parseAllSplits(parse, `<think>x</think>\n${call1}`, { templateThinks: false });
    expect(r.parts).toEqual([{ text: '<think>x</think>\n' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it("reasoningFormat 'none' keeps thinking as text but parses calls", () => {
    const r = parseAllSplits(parse, `<think>x</think>\n${call1}`, { reasoningFormat: 'none' });
    expect(r.parts).toEqual([{ text: '<think>x</think>\n' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
  });
});
