// Cases from llama.cpp's tests/test-chat.cpp (meetkai-functionary-medium-v3.1) and the template's
// own rendering of calls (`<function=NAME>{json}</function>`, `<|python_tag|>{json}` for python).
import { describe, expect, it } from 'vitest';
import { createFunctionaryV31Parser } from './functionary-v3-1.js';
import { parseAllSplits } from './parser-test-helper.js';

describe('functionary-v3.1', () => {
  it('text only', () => {
    expect(parseAllSplits(createFunctionaryV31Parser, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('a call', () => {
    expect(parseAllSplits(createFunctionaryV31Parser, '<function=special_function>{"arg1": 1}</function>').parts).toEqual([{ call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('text, then calls back to back or on separate lines', () => {
    for (const sep of ['', '\n']) {
      const raw = `Let me check.<function=get_weather>{"city": "Paris"}</function>${sep}<function=get_time>{"timezone": "Europe/Paris"}</function>`;
      expect(parseAllSplits(createFunctionaryV31Parser, raw).parts).toEqual([
        { text: 'Let me check.' },
        { call: 'get_weather', args: '{"city":"Paris"}' },
        { call: 'get_time', args: '{"timezone":"Europe/Paris"}' },
      ]);
    }
  });

  it('a python call after <|python_tag|>: JSON arguments as the template renders them, or bare code', () => {
    expect(parseAllSplits(createFunctionaryV31Parser, '<|python_tag|>{"code": "print(\'hey\')"}').parts).toEqual([{ call: 'python', args: '{"code":"print(\'hey\')"}' }]);
    expect(parseAllSplits(createFunctionaryV31Parser, "<|python_tag|>print('hey')").parts).toEqual([{ call: 'python', args: '{"code":"print(\'hey\')"}' }]);
  });

  it('a call cut off after complete arguments is kept; broken ones stay text', () => {
    expect(parseAllSplits(createFunctionaryV31Parser, '<function=get_weather>{"city": "Paris"}').parts).toEqual([{ call: 'get_weather', args: '{"city":"Paris"}' }]);
    const raw = '<function=get_weather>{"city": </function>';
    const r = parseAllSplits(createFunctionaryV31Parser, raw);
    expect(r.parts).toEqual([{ text: raw }]);
    expect(r.warnings).toHaveLength(1);
  });

  it('without tools the markup stays text', () => {
    const raw = '<function=get_weather>{"city": "Paris"}</function>';
    expect(parseAllSplits(createFunctionaryV31Parser, raw, { toolsEnabled: false }).parts).toEqual([{ text: raw }]);
  });
});
