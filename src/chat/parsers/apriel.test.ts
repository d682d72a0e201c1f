// Cases from llama.cpp's tests/test-chat.cpp (unsloth-Apriel-1.5, Apriel-1.6-15b-Thinker-fixed)
// and the templates' own rendering of an assistant's tool_calls.
import { describe, expect, it } from 'vitest';
import { createAprielParser } from './apriel.js';
import { parseAllSplits } from './parser-test-helper.js';

/** Apriel 1.6's generation prompt: reasoning opened by the template. */
const PROMPT_16 = '<|begin_user|>\nHi\n<|begin_assistant|>\nHere are my reasoning steps:\n';
const thinker = (o: Parameters<typeof createAprielParser>[0]) => createAprielParser({ ...o, prompt: PROMPT_16 });

describe('apriel 1.5', () => {
  it('text only', () => {
    expect(parseAllSplits(createAprielParser, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('a JSON list of calls in <tool_calls>', () => {
    const r = parseAllSplits(createAprielParser, '<tool_calls>[{"name": "special_function", "arguments": {"arg1": 1}}]</tool_calls>');
    expect(r.parts).toEqual([{ call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('the final-response markers stay content (llama.cpp sees no reasoning in this template)', () => {
    const raw = 'Thinking.\n[BEGIN FINAL RESPONSE]\nHello\n[END FINAL RESPONSE]';
    expect(parseAllSplits(createAprielParser, raw, { templateThinks: false }).parts).toEqual([{ text: raw }]);
  });
});

describe('apriel 1.6 (reasoning opened by the prompt)', () => {
  it('reasoning then text; the reasoning starts with the prompt\'s own "Here are my reasoning steps:"', () => {
    const r = parseAllSplits(thinker, "I'm\nthinking\n[BEGIN FINAL RESPONSE]\nHello, world!\nWhat's up?");
    expect(r.parts).toEqual([{ reasoning: "Here are my reasoning steps:\nI'm\nthinking\n" }, { text: "Hello, world!\nWhat's up?" }]);
  });

  it('reasoning then several calls', () => {
    const r = parseAllSplits(
      thinker,
      'I\'m\nthinking\n[BEGIN FINAL RESPONSE]\n<tool_calls>[{"name": "special_function", "arguments": {"arg1": 1}}, {"name": "b", "arguments": {}, "id": "x"}]</tool_calls>',
    );
    expect(r.parts).toEqual([{ reasoning: "Here are my reasoning steps:\nI'm\nthinking\n" }, { call: 'special_function', args: '{"arg1":1}' }, { call: 'b', args: '{}' }]);
  });

  it("no reasoning of its own: the prompt's sentence is still the reasoning (as llama.cpp)", () => {
    const r = parseAllSplits(thinker, '[BEGIN FINAL RESPONSE]\nHello');
    expect(r.parts).toEqual([{ reasoning: 'Here are my reasoning steps:\n' }, { text: 'Hello' }]);
  });

  it('a call before [BEGIN FINAL RESPONSE] ends the reasoning', () => {
    const r = parseAllSplits(thinker, 'Checking.\n<tool_calls>[{"name": "a", "arguments": {}}]</tool_calls>');
    expect(r.parts).toEqual([{ reasoning: 'Here are my reasoning steps:\nChecking.\n' }, { call: 'a', args: '{}' }]);
  });

  it("reasoning format none: the prompt's sentence opens the content", () => {
    const raw = 'Checking.\n[BEGIN FINAL RESPONSE]\nHello';
    expect(parseAllSplits(thinker, raw, { reasoningFormat: 'none' }).parts).toEqual([{ text: `Here are my reasoning steps:\n${raw}` }]);
  });

  it('a list that does not parse stays text', () => {
    const raw = '<tool_calls>[{"name": "a", "arguments": </tool_calls>';
    const r = parseAllSplits(thinker, `[BEGIN FINAL RESPONSE]\n${raw}`);
    expect(r.parts).toEqual([{ reasoning: 'Here are my reasoning steps:\n' }, { text: raw }]);
  });
});
