// Cases from llama.cpp's tests/test-chat.cpp (MiniMax-M3), with its tools' schemas.
import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../types.js';
import { createMinimaxM3Parser } from './minimax-m3.js';
import { parseAllSplits } from './parser-test-helper.js';

const NS = ']<]minimax[>[';
const tool = (name: string, properties: Record<string, unknown>, required: string[] = []): ToolDefinition => ({
  name,
  parameters: { type: 'object', properties, required },
});
const TOOLS: ToolDefinition[] = [
  tool('get_time', { city: { type: 'string' } }, ['city']),
  tool('special_function', { arg1: { type: 'integer' } }, ['arg1']),
  tool('empty_args', {}),
  tool('magic_int', { ref: { type: 'integer' }, name: { type: 'string' } }, ['ref']),
  tool('amount', { orig: { type: 'number' } }, ['orig']),
  tool('toggle', { enabled: { type: 'boolean' } }, ['enabled']),
  tool('imaginary_number', { number: { type: 'object', properties: { real: { type: 'number' }, imaginary: { type: 'number' } }, required: ['real', 'imaginary'] } }, ['number']),
  tool('nested_args', {
    tags: { type: 'array', items: { type: 'string' } },
    entries: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' }, label: { type: 'string' } } } },
  }),
  tool('union_args', {
    filter: {
      anyOf: [
        { type: 'array', items: { type: 'string' } },
        { type: 'object', properties: { field: { type: 'string' }, op: { type: 'string' } } },
      ],
    },
    label: { oneOf: [{ type: 'string' }, { type: 'object', properties: { text: { type: 'string' } } }] },
    limit: { oneOf: [{ type: 'integer' }, { type: 'object', properties: { max: { type: 'integer' } }, required: ['max'] }] },
  }),
];

const parse = (raw: string, overrides: Record<string, unknown> = {}) => parseAllSplits(createMinimaxM3Parser, raw, { tools: TOOLS, ...overrides });
const calls = (body: string): string => `${NS}<tool_call>\n${body}${NS}</tool_call>`;
const invoke = (name: string, params: string): string => `${NS}<invoke name="${name}">${params}${NS}</invoke>\n`;
const el = (name: string, inner: string): string => `${NS}<${name}>${inner}${NS}</${name}>`;
const argsOf = (raw: string): unknown[] => parse(raw).calls.map((c) => JSON.parse(c.arguments) as unknown);

describe('minimax-m3', () => {
  it('content after a bare </mm:think>; thinking then content', () => {
    expect(parse("</mm:think>Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
    expect(parse("<mm:think>I'm\nthinking</mm:think>Hello, world!\nWhat's up?").parts).toEqual([{ reasoning: "I'm\nthinking" }, { text: "Hello, world!\nWhat's up?" }]);
  });

  it('thinking then a call; a call without reasoning; no parameters', () => {
    expect(parse(`<mm:think>Let me check the time</mm:think>${calls(invoke('get_time', el('city', 'Tokyo')))}`).parts).toEqual([
      { reasoning: 'Let me check the time' },
      { call: 'get_time', args: '{"city":"Tokyo"}' },
    ]);
    expect(parse(`</mm:think>${calls(invoke('special_function', el('arg1', '1')))}`).parts).toEqual([{ call: 'special_function', args: '{"arg1":1}' }]);
    expect(parse(`<mm:think>Let's call a tool:</mm:think>${calls(invoke('empty_args', ''))}`).parts).toEqual([
      { reasoning: "Let's call a tool:" },
      { call: 'empty_args', args: '{}' },
    ]);
  });

  it('parallel calls in one block; content before it', () => {
    const r = parse(`<mm:think>Calling both</mm:think>${calls(invoke('get_time', el('city', 'Paris')) + invoke('get_weather', el('city', 'Paris')))}`);
    expect(r.calls).toEqual([
      { name: 'get_time', arguments: '{"city":"Paris"}' },
      { name: 'get_weather', arguments: '{"city":"Paris"}' },
    ]);
    const before = parse(`<mm:think>Thinking about it</mm:think>Let me call the function.${calls(invoke('special_function', el('arg1', '1')))}`);
    expect(before.parts).toEqual([{ reasoning: 'Thinking about it' }, { text: 'Let me call the function.' }, { call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('scalars typed by the schema', () => {
    expect(argsOf(calls(invoke('magic_int', el('ref', '-14'))))).toEqual([{ ref: -14 }]);
    expect(argsOf(calls(invoke('amount', el('orig', '3.14'))))).toEqual([{ orig: 3.14 }]);
    expect(argsOf(calls(invoke('toggle', el('enabled', 'true'))))).toEqual([{ enabled: true }]);
    expect(argsOf(calls(invoke('magic_int', el('ref', '42') + el('name', 'foo bar'))))).toEqual([{ ref: 42, name: 'foo bar' }]);
    // A string parameter keeps text that looks like a number.
    expect(argsOf(calls(invoke('get_time', el('city', '42'))))).toEqual([{ city: '42' }]);
  });

  it('nested objects and arrays expanded into elements', () => {
    expect(argsOf(calls(invoke('imaginary_number', el('number', el('real', '1.5') + el('imaginary', '-2.5')))))).toEqual([{ number: { real: 1.5, imaginary: -2.5 } }]);
    const nested = el('tags', el('item', 'alpha') + el('item', 'beta')) + el('entries', el('item', el('id', '1') + el('label', 'one')));
    expect(argsOf(calls(invoke('nested_args', nested)))).toEqual([{ tags: ['alpha', 'beta'], entries: [{ id: 1, label: 'one' }] }]);
  });

  it('unions: array or object, integer or object, and a string alternative keeps markup as text', () => {
    expect(argsOf(calls(invoke('union_args', el('filter', el('item', 'alpha') + el('item', 'beta')))))).toEqual([{ filter: ['alpha', 'beta'] }]);
    expect(argsOf(calls(invoke('union_args', el('limit', '5'))))).toEqual([{ limit: 5 }]);
    expect(argsOf(calls(invoke('union_args', el('limit', el('max', '10')))))).toEqual([{ limit: { max: 10 } }]);
    expect(argsOf(calls(invoke('union_args', el('label', 'hi'))))).toEqual([{ label: 'hi' }]);
    expect(argsOf(calls(invoke('union_args', el('label', el('text', 'hi')))))).toEqual([{ label: `${NS}<text>hi${NS}</text>` }]);
  });

  it('empty reasoning then a call', () => {
    expect(parse(`<mm:think></mm:think>${calls(invoke('get_time', el('city', 'XYZCITY')))}`).parts).toEqual([{ call: 'get_time', args: '{"city":"XYZCITY"}' }]);
  });

  it('a call inside the thinking block stays reasoning', () => {
    const inner = calls(invoke('get_time', el('city', 'Paris')));
    expect(parse(`<mm:think>maybe ${inner}</mm:think>${inner}`).parts).toEqual([{ reasoning: `maybe ${inner}` }, { call: 'get_time', args: '{"city":"Paris"}' }]);
  });

  it('without a schema: elements make objects or arrays, JSON scalars are typed', () => {
    const r = parseAllSplits(createMinimaxM3Parser, calls(invoke('f', el('a', '7') + el('b', 'x y') + el('c', el('item', '1') + el('item', 'two')) + el('d', el('k', 'true')))));
    expect(r.calls.map((c) => JSON.parse(c.arguments) as unknown)).toEqual([{ a: 7, b: 'x y', c: [1, 'two'], d: { k: true } }]);
  });

  it('a malformed invoke stays text, with a warning', () => {
    const raw = calls(`${NS}<invoke name="get_time">${NS}<city>Paris${NS}</invoke>\n`);
    const r = parse(raw);
    expect(r.calls).toEqual([]);
    expect(r.content).toContain('<invoke name="get_time">');
    expect(r.warnings[0]).toMatch(/^minimax-m3: tool call could not be parsed/);
  });

  it('reasoning format none: everything is content', () => {
    const raw = '</mm:think>Hello';
    expect(parse(raw, { reasoningFormat: 'none' }).parts).toEqual([{ text: raw }]);
  });
});
