// Muse Glimmer (ATEM). llama.cpp's test-chat.cpp checks only its reasoning-effort support; these
// outputs follow the template's rendering of an assistant turn, checked against llama.cpp's
// dedicated parser (common/parsers/muse-glimmer.cpp).
import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../types.js';
import { createMuseGlimmerParser } from './muse-glimmer.js';
import { parseAllSplits } from './parser-test-helper.js';

const prompt = '<|start|>user<|message|>What is the weather?<|eot|><|start|>assistant';
const parse = (o: Parameters<typeof createMuseGlimmerParser>[0]) => createMuseGlimmerParser({ ...o, prompt });
const atem = (name: string, pairs: [string, string][]): string =>
  `<atem:function_calls>\n<atem:invoke name="${name}">\n${pairs.map(([k, v]) => `<atem:parameter name="${k}">${v}</atem:parameter>\n`).join('')}</atem:invoke>\n</atem:function_calls>`;
const weather = ` to=get_weather<|message|>${atem('get_weather', [['city', 'Paris']])}`;
const tools: ToolDefinition[] = [{ name: 'count', parameters: { type: 'object', properties: { n: { type: 'integer' }, items: { type: 'array' }, label: { type: 'string' } } } }];

describe('muse-glimmer', () => {
  it('an answer to the user, with or without the recipient', () => {
    expect(parseAllSplits(parse, " to=user<|message|>Hello, world!\nWhat's up?<|eot|>").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
    expect(parseAllSplits(parse, '<|message|>Hello').parts).toEqual([{ text: 'Hello' }]);
  });

  it('reasoning to self, then the answer', () => {
    const r = parseAllSplits(parse, ' to=self<|message|>I think<|eom|><|start|>assistant to=user<|message|>Hello<|eot|>');
    expect(r.parts).toEqual([{ reasoning: 'I think' }, { text: 'Hello' }]);
  });

  it('one call; two calls as two messages; the end-of-generation terminator may be missing', () => {
    expect(parseAllSplits(parse, weather).parts).toEqual([{ call: 'get_weather', args: '{"city":"Paris"}' }]);
    const two = `${weather}<|eom|><|start|>assistant to=get_time<|message|>${atem('get_time', [['timezone', 'Europe/Paris']])}<|eom|>`;
    expect(parseAllSplits(parse, two).calls).toEqual([
      { name: 'get_weather', arguments: '{"city":"Paris"}' },
      { name: 'get_time', arguments: '{"timezone":"Europe/Paris"}' },
    ]);
  });

  it('reasoning, a preamble to the user, then a call', () => {
    const r = parseAllSplits(parse, ` to=self<|message|>I think<|eom|><|start|>assistant to=user<|message|>Let me check.<|eom|><|start|>assistant${weather}`);
    expect(r.parts).toEqual([{ reasoning: 'I think' }, { text: 'Let me check.' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it('values typed by the schema: raw text where strings are allowed, else JSON', () => {
    const out = ` to=count<|message|>${atem('count', [
      ['n', '3'],
      ['items', '[1, 2]'],
      ['label', '42'],
    ])}`;
    expect(parseAllSplits(parse, out, { tools }).calls).toEqual([{ name: 'count', arguments: '{"n":3,"items":[1,2],"label":"42"}' }]);
  });

  it('without tools a call message is text; reasoningFormat none keeps reasoning as text', () => {
    expect(parseAllSplits(parse, weather, { toolsEnabled: false }).parts).toEqual([{ text: weather.trimStart() }]);
    const r = parseAllSplits(parse, ' to=self<|message|>I think<|eom|><|start|>assistant<|message|>Hi', { reasoningFormat: 'none' });
    expect(r.parts).toEqual([{ text: 'to=self<|message|>I think<|eom|>Hi' }]);
  });

  it('a broken call stays text, with a warning', () => {
    const bad = ' to=get_weather<|message|><atem:function_calls>\n<atem:invoke name="get_weather">\n<atem:parameter name="city">Paris\n</atem:invoke>\n</atem:function_calls>';
    const r = parseAllSplits(parse, bad);
    expect(r.parts).toEqual([{ text: bad.trimStart() }]);
    expect(r.warnings).toHaveLength(1);
  });
});
