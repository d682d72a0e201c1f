// Cases from llama.cpp's tests/test-chat.cpp (NVIDIA-Nemotron-Nano-v2).
import { describe, expect, it } from 'vitest';
import { createNemotronV2Parser } from './nemotron-v2.js';
import { parseAllSplits } from './parser-test-helper.js';

const forcedOpen = (o: Parameters<typeof createNemotronV2Parser>[0]) => createNemotronV2Parser({ ...o, prompt: '<SPECIAL_11>Assistant\n<think>\n' });

describe('nemotron-v2', () => {
  it('text only', () => {
    expect(parseAllSplits(createNemotronV2Parser, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('reasoning (thinking opened by the prompt) then a call', () => {
    for (const raw of [
      'I\'m\nthinking\n</think>\n<TOOLCALL>[{"name": "special_function", "arguments": {"arg1": 1}}]</TOOLCALL>',
      'I\'m\nthinking\n</think>\n\n<TOOLCALL>[{"name": "special_function", "arguments": {"arg1": 1}}]</TOOLCALL>\n',
    ]) {
      const r = parseAllSplits(forcedOpen, raw);
      expect(r.parts.filter((p) => !('text' in p) || p.text.trim())).toEqual([{ reasoning: "I'm\nthinking\n" }, { call: 'special_function', args: '{"arg1":1}' }]);
    }
  });

  it('several calls in one list', () => {
    const r = parseAllSplits(createNemotronV2Parser, '<TOOLCALL>[{"name": "a", "arguments": {}}, {"name": "b", "arguments": {"x": "y"}}]</TOOLCALL>');
    expect(r.parts).toEqual([
      { call: 'a', args: '{}' },
      { call: 'b', args: '{"x":"y"}' },
    ]);
  });

  it('a list that does not parse stays text', () => {
    const raw = '<TOOLCALL>[{"name": "a", "arguments": </TOOLCALL>';
    expect(parseAllSplits(createNemotronV2Parser, raw).parts).toEqual([{ text: raw }]);
  });
});
