// Cases from llama.cpp's tests/test-chat.cpp (deepseek-ai-DeepSeek-V3.2 and -V4), plus where we differ.
import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../types.js';
import { createDeepseekV32Parser, createDeepseekV4Parser } from './deepseek-dsml.js';
import { parseAllSplits } from './parser-test-helper.js';
import type { ParserOptions } from './types.js';

const tools: ToolDefinition[] = [
  { name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  { name: 'special_function', parameters: { type: 'object', properties: { arg1: { type: 'integer' } } } },
  { name: 'magic_int', parameters: { type: 'object', properties: { ref: { type: 'integer' }, name: { type: 'string' } } } },
];

// Thinking on (the default): the generation prompt ends with `<think>`.
const THINKING = '<｜User｜>Hi<｜Assistant｜><think>';
// Thinking off: V3.2 closes an empty pair, V4 writes a bare `</think>`.
const V32_OFF = '<｜User｜>Hi<｜Assistant｜><think></think>';
const V4_OFF = '<｜User｜>Hi<｜Assistant｜></think>';

const VERSIONS = [
  { version: 'V3.2', block: 'function_calls', create: createDeepseekV32Parser, off: V32_OFF },
  { version: 'V4', block: 'tool_calls', create: createDeepseekV4Parser, off: V4_OFF },
] as const;

describe.each(VERSIONS)('deepseek DSML ($version)', ({ block, create, off }) => {
  const parser = (prompt: string) => (o: ParserOptions) => create({ ...o, tools, prompt });
  const invoke = (name: string, params: string) => `<｜DSML｜invoke name="${name}">\n${params}</｜DSML｜invoke>\n`;
  const param = (name: string, value: string, string: boolean) => `<｜DSML｜parameter name="${name}" string="${string}">${value}</｜DSML｜parameter>\n`;
  const calls = (...invokes: string[]) => `<｜DSML｜${block}>\n${invokes.join('')}</｜DSML｜${block}>`;

  it('pure content (thinking off)', () => {
    expect(parseAllSplits(parser(off), "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('thinking + content', () => {
    expect(parseAllSplits(parser(THINKING), "I'm\nthinking</think>Hello, world!\nWhat's up?").parts).toEqual([
      { reasoning: "I'm\nthinking" },
      { text: "Hello, world!\nWhat's up?" },
    ]);
  });

  it('thinking + a call with a string parameter', () => {
    const r = parseAllSplits(parser(THINKING), `Let me check the time</think>\n\n${calls(invoke('get_time', param('city', 'Tokyo', true)))}`);
    expect(r.parts).toEqual([{ reasoning: 'Let me check the time' }, { call: 'get_time', args: '{"city":"Tokyo"}' }]);
  });

  it('a call without reasoning (thinking off), integer parameter', () => {
    expect(parseAllSplits(parser(off), calls(invoke('special_function', param('arg1', '1', false)))).parts).toEqual([{ call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('parallel calls after reasoning', () => {
    const raw = `Calling both</think>\n\n${calls(invoke('get_time', param('city', 'Paris', true)), invoke('get_weather', param('city', 'Paris', true)))}`;
    expect(parseAllSplits(parser(THINKING), raw).parts).toEqual([
      { reasoning: 'Calling both' },
      { call: 'get_time', args: '{"city":"Paris"}' },
      { call: 'get_weather', args: '{"city":"Paris"}' },
    ]);
  });

  it('content before the calls', () => {
    const r = parseAllSplits(parser(THINKING), `Thinking about it</think>Let me call the function.\n\n${calls(invoke('special_function', param('arg1', '1', false)))}`);
    expect(r.reasoning).toBe('Thinking about it');
    expect(r.content.trim()).toBe('Let me call the function.');
    expect(r.calls).toEqual([{ name: 'special_function', arguments: '{"arg1":1}' }]);
  });

  it('JSON values: negative, decimal, boolean, array, object; mixed with strings', () => {
    const cases: Array<[string, string]> = [
      [param('ref', '-14', false), '{"ref":-14}'],
      [param('orig', '3.14', false), '{"orig":3.14}'],
      [param('enabled', 'true', false), '{"enabled":true}'],
      [param('todos', '["buy milk","walk dog"]', false), '{"todos":["buy milk","walk dog"]}'],
      [param('config', '{"theme":"dark","level":2}', false), '{"config":{"theme":"dark","level":2}}'],
      [param('ref', '42', false) + param('name', 'foo bar', true), '{"ref":42,"name":"foo bar"}'],
    ];
    for (const [params, json] of cases) {
      expect(parseAllSplits(parser(THINKING), `Test</think>\n\n${calls(invoke('magic_int', params))}`).calls, params).toEqual([{ name: 'magic_int', arguments: json }]);
    }
  });

  it('empty reasoning', () => {
    expect(parseAllSplits(parser(THINKING), `</think>\n\n${calls(invoke('get_time', param('city', 'XYZCITY', true)))}`).parts).toEqual([
      { call: 'get_time', args: '{"city":"XYZCITY"}' },
    ]);
  });

  it('a call block ends reasoning that was never closed', () => {
    expect(parseAllSplits(parser(THINKING), `Reasoning.\n\n${calls(invoke('get_time', param('city', 'Paris', true)))}`).calls).toEqual([
      { name: 'get_time', arguments: '{"city":"Paris"}' },
    ]);
  });

  it('string values are raw text: quotes, JSON-looking text and newlines stay', () => {
    expect(parseAllSplits(parser(off), calls(invoke('get_time', param('city', '{"a": 1}\n"x"', true)))).calls).toEqual([
      { name: 'get_time', arguments: JSON.stringify({ city: '{"a": 1}\n"x"' }) },
    ]);
  });

  // Where llama.cpp rejects the whole output.
  it('follows the string attribute the model wrote, and the schema when it says nothing or is no JSON', () => {
    expect(parseAllSplits(parser(off), calls(invoke('get_time', param('city', '"Paris"', false)))).calls).toEqual([{ name: 'get_time', arguments: '{"city":"Paris"}' }]);
    const bare = calls(invoke('special_function', '<｜DSML｜parameter name="arg1">7</｜DSML｜parameter>\n'));
    expect(parseAllSplits(parser(off), bare).calls).toEqual([{ name: 'special_function', arguments: '{"arg1":7}' }]);
    expect(parseAllSplits(parser(off), calls(invoke('get_time', param('city', 'Paris', false)))).calls).toEqual([{ name: 'get_time', arguments: '{"city":"Paris"}' }]);
  });

  it('accepts the markup without its newlines', () => {
    const raw = `<｜DSML｜${block}><｜DSML｜invoke name="get_time"><｜DSML｜parameter name="city" string="true">Paris</｜DSML｜parameter></｜DSML｜invoke></｜DSML｜${block}>`;
    expect(parseAllSplits(parser(off), raw).calls).toEqual([{ name: 'get_time', arguments: '{"city":"Paris"}' }]);
  });

  it('an invoke that does not parse stays text', () => {
    const raw = calls('<｜DSML｜invoke name="get_time">\nnot a parameter</｜DSML｜invoke>\n');
    const r = parseAllSplits(parser(off), raw);
    expect(r.calls).toEqual([]);
    expect(r.content).toContain('not a parameter');
    expect(r.warnings.length).toBeGreaterThan(0);
  });
});

it("each version's parser only knows its own block name", () => {
  const v4Block = '<｜DSML｜tool_calls>\n<｜DSML｜invoke name="get_time">\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>';
  expect(parseAllSplits((o) => createDeepseekV32Parser({ ...o, tools, prompt: V32_OFF }), v4Block).parts).toEqual([{ text: v4Block }]);
  expect(parseAllSplits((o) => createDeepseekV4Parser({ ...o, tools, prompt: V4_OFF }), v4Block).parts).toEqual([{ call: 'get_time', args: '{}' }]);
});
