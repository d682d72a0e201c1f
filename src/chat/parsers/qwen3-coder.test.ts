import { describe, expect, it } from 'vitest';
import { createQwen3CoderParser } from './qwen3-coder.js';
import { parseAllSplits } from './parser-test-helper.js';
import type { ToolDefinition } from '../types.js';

const tools: ToolDefinition[] = [
  {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        days: { type: 'integer' },
        units: { type: ['string', 'null'] },
        opts: { anyOf: [{ type: 'object' }, { type: 'string' }] },
      },
    },
  },
];
const parse = createQwen3CoderParser;
const withTools = (o: Parameters<typeof createQwen3CoderParser>[0]) => createQwen3CoderParser({ ...o, tools });
const call1 = '<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>';
const call2 = '<tool_call>\n<function=write>\n<parameter=text>\nline 1\nline 2\n</parameter>\n</function>\n</tool_call>';

describe('qwen3-coder', () => {
  it('text only', () => {
    expect(parseAllSplits(parse, '#include <functional>\nint x;').parts).toEqual([{ text: '#include <functional>\nint x;' }]);
  });

  it('reasoning + text (Qwen3.5)', () => {
    const r = parseAllSplits(parse, "<think>\nI'm\nthinking\n</think>\n\nHello");
    expect(r.parts).toEqual([{ reasoning: "I'm\nthinking\n" }, { text: 'Hello' }]);
  });

  it('one call, values typed', () => {
    const r = parseAllSplits(parse, call1);
    expect(r.parts).toEqual([{ call: 'get_weather', args: '{"city":"Paris","days":3}' }]);
  });

  it('two calls with text around; multi-line string values', () => {
    const r = parseAllSplits(parse, `Sure.\n\n${call1}\n${call2}\n`);
    expect(r.parts).toEqual([{ text: 'Sure.\n\n' }, { call: 'get_weather', args: '{"city":"Paris","days":3}' }, { call: 'write', args: '{"text":"line 1\\nline 2"}' }]);
  });

  it('forced-open thinking then a call', () => {
    const r = parseAllSplits(parse, `Weather needed.\n</think>\n\n${call1}`, { prompt: '<|im_start|>assistant\n<think>\n' });
    expect(r.parts).toEqual([{ reasoning: 'Weather needed.\n' }, { call: 'get_weather', args: '{"city":"Paris","days":3}' }]);
  });

  it('schema types decide: strings stay strings', () => {
    const out =
      '<tool_call>\n<function=get_weather>\n<parameter=city>\n123\n</parameter>\n<parameter=days>\n3\n</parameter>\n<parameter=units>\nnull\n</parameter>\n<parameter=opts>\n{"a": 1}\n</parameter>\n</function>\n</tool_call>';
    expect(parseAllSplits(withTools, out).calls).toEqual([{ name: 'get_weather', arguments: '{"city":"123","days":3,"units":null,"opts":{"a":1}}' }]);
    expect(parseAllSplits(parse, out).calls[0]?.arguments).toBe('{"city":123,"days":3,"units":null,"opts":{"a":1}}');
  });

  it('a broken call becomes text + warn', () => {
    const bad = '<tool_call>\n<parameter=city>\nParis\n</parameter>\n</tool_call>';
    const r = parseAllSplits(parse, bad);
    expect(r.parts).toEqual([{ text: bad }]);
    expect(r.warnings).toHaveLength(1);
  });

  it('unterminated call at the end: complete params are emitted, cut ones are text', () => {
    const ok = parseAllSplits(parse, '<tool_call>\n<function=f>\n<parameter=a>\nx\n</parameter>\n');
    expect(ok.calls).toEqual([{ name: 'f', arguments: '{"a":"x"}' }]);
    const cut = parseAllSplits(parse, '<tool_call>\n<function=f>\n<parameter=a>\nx');
    expect(cut.parts).toEqual([{ text: '<tool_call>\n<function=f>\n<parameter=a>\nx' }]);
    expect(cut.warnings).toHaveLength(1);
  });

  it('a call that omits <tool_call> is accepted for known tool names', () => {
    const out = 'Ok.\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>';
    expect(parseAllSplits(withTools, out).parts).toEqual([{ text: 'Ok.\n' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
    expect(parseAllSplits(parse, out).parts).toEqual([{ text: out }]);
    const bad = '<function=get_weather>\n<parameter=city>\nParis';
    const r = parseAllSplits(withTools, bad);
    expect(r.parts).toEqual([{ text: bad }]);
    expect(r.warnings).toHaveLength(1);
  });

  it('toolsEnabled false', () => {
    expect(parseAllSplits(parse, call1, { toolsEnabled: false }).parts).toEqual([{ text: call1 }]);
  });
});
