// Cases from llama.cpp's tests/test-chat.cpp (Kimi-K3), plus the forms its template writes.
import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../types.js';
import { createKimiK3Parser } from './kimi-k3.js';
import { parseAllSplits } from './parser-test-helper.js';

const TOOLS: ToolDefinition[] = [
  { name: 'special_function', parameters: { type: 'object', properties: { arg1: { type: 'integer' } }, required: ['arg1'] } },
  { name: 'special_function_with_opt', parameters: { type: 'object', properties: { arg1: { type: 'integer' }, arg2: { type: 'integer' } }, required: ['arg1'] } },
  { name: 'python', parameters: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] } },
];
// The generation prompt opens the assistant message and its think section.
const PROMPT = '<|open|>message role="assistant"<|sep|><|open|>think<|sep|>';
const parse = (raw: string, overrides: Record<string, unknown> = {}) => parseAllSplits(createKimiK3Parser, raw, { tools: TOOLS, prompt: PROMPT, ...overrides });

const EMPTY_RESPONSE = '<|open|>response<|sep|><|close|>response<|sep|>';
const END = '<|close|>call<|sep|><|close|>tools<|sep|><|close|>message<|sep|>';
const arg = (key: string, type: string, value: string): string => `<|open|>argument key="${key}" type="${type}"<|sep|>${value}<|close|>argument<|sep|>`;
const call = (name: string, index: number, args: string): string => `<|open|>call tool="${name}" index="${index}"<|sep|>${args}`;

describe('kimi-k3', () => {
  it('content only; the response section and the message closer are markup', () => {
    expect(parse("<|open|>response<|sep|>Hello, world!\nWhat's up?<|close|>response<|sep|><|close|>message<|sep|>", { prompt: '' }).parts).toEqual([
      { text: "Hello, world!\nWhat's up?" },
    ]);
  });

  it('reasoning opened by the prompt, then the response', () => {
    expect(parse("I'm thinking about this<|close|>think<|sep|><|open|>response<|sep|>Hello, world!\nWhat's up?<|close|>response<|sep|><|close|>message<|sep|>").parts).toEqual([
      { reasoning: "I'm thinking about this" },
      { text: "Hello, world!\nWhat's up?" },
    ]);
  });

  it('prose naming the tags survives; reasoning cut off by the budget stays reasoning', () => {
    expect(parse('<|open|>response<|sep|>Use the response tag, then message the handler.<|close|>response<|sep|><|close|>message<|sep|>', { prompt: '' }).content).toBe(
      'Use the response tag, then message the handler.',
    );
    expect(parse('I was still thinking when the budget ran out').parts).toEqual([{ reasoning: 'I was still thinking when the budget ran out' }]);
  });

  it('reasoning that skips its closer ends at the response opener', () => {
    expect(parse('Hmm<|open|>response<|sep|>Hi<|close|>response<|sep|>').parts).toEqual([{ reasoning: 'Hmm' }, { text: 'Hi' }]);
  });

  it('one call; reasoning, content and a call; typed arguments; parallel calls', () => {
    expect(parse(`<|close|>think<|sep|>${EMPTY_RESPONSE}<|open|>tools<|sep|>${call('special_function', 1, arg('arg1', 'number', '1'))}${END}`).parts).toEqual([
      { call: 'special_function', args: '{"arg1":1}' },
    ]);
    expect(
      parse(
        `I should call it<|close|>think<|sep|><|open|>response<|sep|>On it.<|close|>response<|sep|><|open|>tools<|sep|>${call('special_function', 1, arg('arg1', 'number', '1'))}${END}`,
      ).parts,
    ).toEqual([{ reasoning: 'I should call it' }, { text: 'On it.' }, { call: 'special_function', args: '{"arg1":1}' }]);
    const two = parse(
      `${EMPTY_RESPONSE}<|open|>tools<|sep|>${call('special_function', 1, arg('arg1', 'number', '1'))}<|close|>call<|sep|>${call('special_function_with_opt', 2, arg('arg1', 'number', '1') + arg('arg2', 'number', '2'))}${END}`,
      { prompt: '' },
    );
    expect(two.calls).toEqual([
      { name: 'special_function', arguments: '{"arg1":1}' },
      { name: 'special_function_with_opt', arguments: '{"arg1":1,"arg2":2}' },
    ]);
  });

  it('a string argument keeps its text; without a schema the type attribute decides', () => {
    expect(parse(`${EMPTY_RESPONSE}<|open|>tools<|sep|>${call('python', 1, arg('code', 'string', "print('hey')"))}${END}`, { prompt: '' }).calls).toEqual([
      { name: 'python', arguments: '{"code":"print(\'hey\')"}' },
    ]);
    const unknown = parse(`<|open|>tools<|sep|>${call('f', 1, arg('n', 'number', '2') + arg('s', 'string', '2') + arg('o', 'object', '{"a":[1]}'))}${END}`, { prompt: '' });
    expect(unknown.calls).toEqual([{ name: 'f', arguments: '{"n":2,"s":"2","o":{"a":[1]}}' }]);
  });

  it('the JSON form of the arguments, and escaped attribute values', () => {
    const r = parse(`<|open|>tools<|sep|><|open|>call tool="a&amp;b" index="1"<|sep|><|open|>json type="object"<|sep|>{"x": 1}<|close|>json<|sep|>${END}`, { prompt: '' });
    expect(r.calls).toEqual([{ name: 'a&b', arguments: '{"x":1}' }]);
  });

  it('a malformed call stays text, with a warning', () => {
    const r = parse(`<|open|>tools<|sep|>${call('python', 1, 'junk')}${END}`, { prompt: '' });
    expect(r.calls).toEqual([]);
    expect(r.warnings[0]).toMatch(/^kimi-k3: tool call could not be parsed/);
  });

  it('thinking off: the prompt opens the response, and the output is content', () => {
    expect(parse('Hi<|close|>response<|sep|><|close|>message<|sep|>', { prompt: '<|open|>message role="assistant"<|sep|><|open|>response<|sep|>' }).parts).toEqual([
      { text: 'Hi' },
    ]);
  });
});
