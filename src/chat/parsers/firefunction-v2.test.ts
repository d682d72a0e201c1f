// Cases from llama.cpp's tests/test-chat.cpp (fireworks-ai-llama-3-firefunction-v2) and the
// template's own rendering of an assistant's tool_calls (` functools[…]` after the content).
import { describe, expect, it } from 'vitest';
import { createFirefunctionV2Parser } from './firefunction-v2.js';
import { parseAllSplits } from './parser-test-helper.js';

describe('firefunction-v2', () => {
  it('text only', () => {
    expect(parseAllSplits(createFirefunctionV2Parser, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('a call list after functools', () => {
    const r = parseAllSplits(createFirefunctionV2Parser, ' functools[{"name": "special_function", "arguments": {"arg1": 1}}]');
    expect(r.parts).toEqual([{ text: ' ' }, { call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('text, then several calls', () => {
    const r = parseAllSplits(
      createFirefunctionV2Parser,
      'Let me check. functools[{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_time", "arguments": {"timezone": "Europe/Paris"}}]',
    );
    expect(r.parts).toEqual([{ text: 'Let me check. ' }, { call: 'get_weather', args: '{"city":"Paris"}' }, { call: 'get_time', args: '{"timezone":"Europe/Paris"}' }]);
  });

  it('the word functools in prose stays text', () => {
    const raw = 'Python has functools and itertools.';
    expect(parseAllSplits(createFirefunctionV2Parser, raw).parts).toEqual([{ text: raw }]);
  });

  it('a list that does not parse stays text', () => {
    const raw = 'functools[{"name": "get_weather", "arguments": {"city": }]';
    const r = parseAllSplits(createFirefunctionV2Parser, raw);
    expect(r.parts).toEqual([{ text: raw }]);
    expect(r.warnings).toHaveLength(1);
  });
});
