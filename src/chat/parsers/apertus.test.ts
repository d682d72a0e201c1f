// Cases from llama.cpp's tests/test-chat.cpp (Apertus-8B-Instruct) and the template's own
// rendering of an assistant's tool_calls.
import { describe, expect, it } from 'vitest';
import { createApertusParser } from './apertus.js';
import { parseAllSplits } from './parser-test-helper.js';

describe('apertus', () => {
  it('text only', () => {
    expect(parseAllSplits(createApertusParser, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('one call keyed by its name', () => {
    const r = parseAllSplits(createApertusParser, '<|tools_prefix|>[{"special_function": {"arg1": 1}}]<|tools_suffix|>');
    expect(r.parts).toEqual([{ call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('text, then several calls in one list', () => {
    const r = parseAllSplits(createApertusParser, 'Let me check.<|tools_prefix|>[{"get_weather": {"city": "Paris"}}, {"get_time": {"timezone": "Europe/Paris"}}]<|tools_suffix|>');
    expect(r.parts).toEqual([{ text: 'Let me check.' }, { call: 'get_weather', args: '{"city":"Paris"}' }, { call: 'get_time', args: '{"timezone":"Europe/Paris"}' }]);
  });

  it('a list cut off before <|tools_suffix|> still gives its calls', () => {
    const r = parseAllSplits(createApertusParser, '<|tools_prefix|>[{"get_weather": {"city": "Paris"}}]');
    expect(r.parts).toEqual([{ call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it('a call that is not keyed by one name stays text', () => {
    for (const raw of ['<|tools_prefix|>[{"name": "a", "arguments": {}}]<|tools_suffix|>', '<|tools_prefix|>[{"a": 1}]<|tools_suffix|>', '<|tools_prefix|>[]<|tools_suffix|>']) {
      const r = parseAllSplits(createApertusParser, raw);
      expect(r.parts).toEqual([{ text: raw }]);
      expect(r.warnings).toHaveLength(1);
    }
  });

  it('thoughts markup stays text (the template has no thinking block llama.cpp recognises)', () => {
    const raw = '<|inner_prefix|>Thinking.<|inner_suffix|>Hello';
    expect(parseAllSplits(createApertusParser, raw).parts).toEqual([{ text: raw }]);
  });

  it('without tools the markup is text', () => {
    const raw = '<|tools_prefix|>[{"get_weather": {"city": "Paris"}}]<|tools_suffix|>';
    expect(parseAllSplits(createApertusParser, raw, { toolsEnabled: false }).parts).toEqual([{ text: raw }]);
  });
});
