// MiniMax-M1 outputs as its template renders an assistant's tool_calls (llama.cpp's
// tests/test-chat.cpp has no MiniMax-M1 case).
import { describe, expect, it } from 'vitest';
import { createMinimaxM1Parser } from './minimax-m1.js';
import { parseAllSplits } from './parser-test-helper.js';

const WEATHER = '{"name": "get_weather", "arguments": {"city": "Paris"}}';
const TIME = '{"name": "get_time", "arguments": {"timezone": "Europe/Paris"}}';

describe('minimax-m1', () => {
  it('text only', () => {
    expect(parseAllSplits(createMinimaxM1Parser, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('text, then one call', () => {
    const r = parseAllSplits(createMinimaxM1Parser, `Let me check.\n<tool_calls>\n${WEATHER}\n</tool_calls>`);
    expect(r.parts).toEqual([{ text: 'Let me check.\n' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it('calls one per line, as the template writes them, or separated by commas (as llama.cpp expects)', () => {
    for (const raw of [`<tool_calls>\n${WEATHER}\n${TIME}\n</tool_calls>`, `<tool_calls>\n${WEATHER}, ${TIME}\n</tool_calls>`]) {
      expect(parseAllSplits(createMinimaxM1Parser, raw).parts).toEqual([
        { call: 'get_weather', args: '{"city":"Paris"}' },
        { call: 'get_time', args: '{"timezone":"Europe/Paris"}' },
      ]);
    }
  });

  it('a section that does not parse stays text', () => {
    for (const raw of ['<tool_calls>\n{"name": "a", "arguments": \n</tool_calls>', '<tool_calls>\n</tool_calls>', '<tool_calls>\nnot json\n</tool_calls>']) {
      const r = parseAllSplits(createMinimaxM1Parser, raw);
      expect(r.parts).toEqual([{ text: raw }]);
      expect(r.warnings).toHaveLength(1);
    }
  });

  it('<think> stays text (the template has no thinking block; llama.cpp keeps it too)', () => {
    const raw = '<think>\nThe user asks.\n</think>\n\nHello';
    expect(parseAllSplits(createMinimaxM1Parser, raw).parts).toEqual([{ text: raw }]);
  });
});
