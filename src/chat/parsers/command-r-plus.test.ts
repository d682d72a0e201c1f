// Cases from llama.cpp's tests/test-chat.cpp (CohereForAI-c4ai-command-r-plus-tool_use) and the
// template's own rendering of calls (`Action:\n```json\n[…]```).
import { describe, expect, it } from 'vitest';
import { createCommandRPlusParser } from './command-r-plus.js';
import { parseAllSplits } from './parser-test-helper.js';

const RENDERED =
  'Action:\n```json\n[\n    {\n        "tool_name": "get_weather",\n        "parameters": {\n            "city": "Paris"\n        }\n    },\n' +
  '    {\n        "tool_name": "get_time",\n        "parameters": {\n            "timezone": "Europe/Paris"\n        }\n    }\n]```';

describe('command-r-plus', () => {
  it('text only', () => {
    expect(parseAllSplits(createCommandRPlusParser, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('a call in a fenced JSON list', () => {
    const raw = 'Action:\n```json\n[{"tool_name": "special_function", "parameters": {"arg1": 1}}]\n```';
    expect(parseAllSplits(createCommandRPlusParser, raw).parts).toEqual([{ call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('two calls as the template renders them', () => {
    expect(parseAllSplits(createCommandRPlusParser, RENDERED).parts).toEqual([
      { call: 'get_weather', args: '{"city":"Paris"}' },
      { call: 'get_time', args: '{"timezone":"Europe/Paris"}' },
    ]);
  });

  it('text before the action', () => {
    const r = parseAllSplits(createCommandRPlusParser, 'Let me check.\nAction:\n```json\n[{"tool_name": "get_weather", "parameters": {"city": "Paris"}}]\n```');
    expect(r.parts).toEqual([{ text: 'Let me check.\n' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it('a list that does not parse stays text; without tools the action is text', () => {
    const bad = 'Action:\n```json\n[{"name": "get_weather", "parameters": {}}]```';
    const r = parseAllSplits(createCommandRPlusParser, bad);
    expect(r.parts).toEqual([{ text: bad }]);
    expect(r.warnings).toHaveLength(1);
    expect(parseAllSplits(createCommandRPlusParser, RENDERED, { toolsEnabled: false }).parts).toEqual([{ text: RENDERED }]);
  });
});
