// Cases from llama.cpp's tests/test-chat.cpp (CohereForAI-c4ai-command-r7b-12-2024-tool_use and
// Cohere2MoE), split in pieces of every size.
import { describe, expect, it } from 'vitest';
import { createCommandR7bParser } from './command-r7b.js';
import { parseAllSplits } from './parser-test-helper.js';

const CALL = '<|START_ACTION|>[\n    {"tool_call_id": "0", "tool_name": "special_function", "parameters": {"arg1": 1}}\n]<|END_ACTION|>';
/** Cohere2 MoE's generation prompt opens thinking. */
const forcedOpen = (o: Parameters<typeof createCommandR7bParser>[0]) => createCommandR7bParser({ ...o, prompt: '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|><|START_THINKING|>' });

describe('command-r7b', () => {
  it('the answer without its <|START_RESPONSE|> wrapper', () => {
    expect(parseAllSplits(createCommandR7bParser, "<|START_RESPONSE|>Hello, world!\nWhat's up?<|END_RESPONSE|>").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('reasoning then the answer', () => {
    const r = parseAllSplits(createCommandR7bParser, "<|START_THINKING|>I'm\nthinking<|END_THINKING|><|START_RESPONSE|>Hello, world!\nWhat's up?<|END_RESPONSE|>");
    expect(r.parts).toEqual([{ reasoning: "I'm\nthinking" }, { text: "Hello, world!\nWhat's up?" }]);
  });

  it('reasoning format none: thinking stays in the text, the answer wrapper does not', () => {
    const r = parseAllSplits(createCommandR7bParser, "<|START_THINKING|>I'm\nthinking<|END_THINKING|><|START_RESPONSE|>Hello, world!\nWhat's up?<|END_RESPONSE|>", {
      reasoningFormat: 'none',
    });
    expect(r.parts).toEqual([{ text: "<|START_THINKING|>I'm\nthinking<|END_THINKING|>Hello, world!\nWhat's up?" }]);
  });

  it('reasoning then a call, and an empty thinking block', () => {
    expect(parseAllSplits(createCommandR7bParser, `<|START_THINKING|>I'm\nthinking<|END_THINKING|>${CALL}`).parts).toEqual([
      { reasoning: "I'm\nthinking" },
      { call: 'special_function', args: '{"arg1":1}' },
    ]);
    expect(parseAllSplits(createCommandR7bParser, `<|START_THINKING|><|END_THINKING|>${CALL}`).parts).toEqual([{ call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('Cohere2 MoE: forced-open reasoning, <|START_TEXT|> answer', () => {
    expect(parseAllSplits(forcedOpen, "I'm\nthinking<|END_THINKING|><|START_TEXT|>Hello, world!\nWhat's up?<|END_TEXT|>").parts).toEqual([
      { reasoning: "I'm\nthinking" },
      { text: "Hello, world!\nWhat's up?" },
    ]);
    expect(parseAllSplits(forcedOpen, "<|END_THINKING|><|START_TEXT|>Hello, world!\nWhat's up?<|END_TEXT|>").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('Cohere2 MoE: parallel calls after reasoning', () => {
    const raw =
      "I'm\nthinking<|END_THINKING|><|START_ACTION|>[\n" +
      '    {"tool_call_id": "0", "tool_name": "special_function", "parameters": {"arg1": 1}},\n' +
      '    {"tool_call_id": "1", "tool_name": "python", "parameters": {"code": "print(\'hey\')"}}\n' +
      ']<|END_ACTION|>';
    expect(parseAllSplits(forcedOpen, raw).parts).toEqual([
      { reasoning: "I'm\nthinking" },
      { call: 'special_function', args: '{"arg1":1}' },
      { call: 'python', args: '{"code":"print(\'hey\')"}' },
    ]);
  });

  it('Cohere2 MoE: the answer or a call ends reasoning without <|END_THINKING|>', () => {
    expect(parseAllSplits(forcedOpen, 'The user asks<|START_TEXT|>Hi<|END_TEXT|>').parts).toEqual([{ reasoning: 'The user asks' }, { text: 'Hi' }]);
    expect(
      parseAllSplits(forcedOpen, 'The user asks<|START_ACTION|>[{"tool_call_id": "0", "tool_name": "get_weather", "parameters": {"city": "Paris"}}]<|END_ACTION|>').parts,
    ).toEqual([{ reasoning: 'The user asks' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it('without tools the action stays text', () => {
    expect(parseAllSplits(createCommandR7bParser, CALL, { toolsEnabled: false }).parts).toEqual([{ text: CALL }]);
  });

  it('a list that does not parse stays text', () => {
    const raw = '<|START_ACTION|>[{"tool_call_id": "0", "name": "get_weather", "parameters": {}}]<|END_ACTION|>';
    const r = parseAllSplits(createCommandR7bParser, raw);
    expect(r.parts).toEqual([{ text: raw }]);
    expect(r.warnings).toHaveLength(1);
  });
});
