// Cases from llama.cpp's tests/test-chat.cpp (ibm-granite-granite-3.3-2B-Instruct) and the
// template's own instructions (`<|tool_call|>` followed by a JSON list of calls).
import { describe, expect, it } from 'vitest';
import { createGraniteParser } from './granite.js';
import { parseAllSplits } from './parser-test-helper.js';

describe('granite', () => {
  it('text only', () => {
    expect(parseAllSplits(createGraniteParser, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('reasoning + text', () => {
    const r = parseAllSplits(createGraniteParser, "<think>I'm\nthinking</think>Hello, world!\nWhat's up?");
    expect(r.parts).toEqual([{ reasoning: "I'm\nthinking" }, { text: "Hello, world!\nWhat's up?" }]);
  });

  it('a JSON list of calls after <|tool_call|>', () => {
    const r = parseAllSplits(
      createGraniteParser,
      '<think>Weather and time.</think><|tool_call|>[{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_time", "arguments": {"timezone": "Europe/Paris"}}]',
    );
    expect(r.parts).toEqual([{ reasoning: 'Weather and time.' }, { call: 'get_weather', args: '{"city":"Paris"}' }, { call: 'get_time', args: '{"timezone":"Europe/Paris"}' }]);
  });

  it('a list that does not parse stays text', () => {
    const raw = '<|tool_call|>[{"name": "get_weather", "arguments": {"city": }]';
    expect(parseAllSplits(createGraniteParser, raw).parts).toEqual([{ text: raw }]);
  });

  it('an opener without JSON stays text', () => {
    const raw = 'Use <|tool_call|> to call a tool.';
    expect(parseAllSplits(createGraniteParser, raw).parts).toEqual([{ text: raw }]);
  });
});
