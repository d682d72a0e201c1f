// Tencent Hy3. llama.cpp's test-chat.cpp has no outputs for this template; these follow the
// template's own rendering of an assistant turn, checked against llama.cpp's autoparser.
import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../types.js';
import { createHy3Parser } from './hy3.js';
import { parseAllSplits } from './parser-test-helper.js';

const noThink = { prompt: '<｜hy_User:opensource｜>Hi<｜hy_Assistant:opensource｜><think:opensource></think:opensource>' };
const high = { prompt: '<｜hy_User:opensource｜>Hi<｜hy_Assistant:opensource｜><think:opensource>' };
const call = (name: string, pairs: [string, string][]): string =>
  `<tool_call:opensource>${name}<tool_sep:opensource>\n${pairs
    .map(([k, v]) => `<arg_key:opensource>${k}</arg_key:opensource>\n<arg_value:opensource>${v}</arg_value:opensource>\n`)
    .join('')}</tool_call:opensource>\n`;
const section = (...calls: string[]): string => `<tool_calls:opensource>\n${calls.join('')}</tool_calls:opensource>`;
const tools: ToolDefinition[] = [{ name: 'count', parameters: { type: 'object', properties: { n: { type: 'integer' }, label: { type: 'string' } } } }];
const parse = createHy3Parser;

describe('hy3', () => {
  it('text (thinking closed by the prompt, the default no_think)', () => {
    expect(parseAllSplits(parse, "Hello, world!\nWhat's up?", noThink).parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('a think block after a prompt that closed thinking stays text, as in llama.cpp', () => {
    const out = '<think:opensource>I think</think:opensource>Hello';
    expect(parseAllSplits(parse, out, noThink).parts).toEqual([{ text: out }]);
  });

  it('reasoning opened by the prompt (reasoning_effort high), then an answer', () => {
    expect(parseAllSplits(parse, 'The user greets me.</think:opensource>Hello!', high).parts).toEqual([{ reasoning: 'The user greets me.' }, { text: 'Hello!' }]);
  });

  it('one call, two calls in one section', () => {
    expect(parseAllSplits(parse, section(call('get_weather', [['city', 'Paris']])), noThink).parts).toEqual([{ call: 'get_weather', args: '{"city":"Paris"}' }]);
    const two = section(call('get_weather', [['city', 'Paris']]), call('get_time', [['timezone', 'Europe/Paris']]));
    expect(parseAllSplits(parse, two, noThink).calls).toEqual([
      { name: 'get_weather', arguments: '{"city":"Paris"}' },
      { name: 'get_time', arguments: '{"timezone":"Europe/Paris"}' },
    ]);
  });

  it('reasoning, then a call; values typed by the schema', () => {
    const r = parseAllSplits(
      parse,
      `Count them.</think:opensource>${section(
        call('count', [
          ['n', '3'],
          ['label', '42'],
        ]),
      )}`,
      { ...high, tools },
    );
    expect(r.parts).toEqual([{ reasoning: 'Count them.' }, { call: 'count', args: '{"n":3,"label":"42"}' }]);
  });

  it('a call without <tool_sep:opensource> stays text, with a warning', () => {
    const bad = '<tool_call:opensource>get_weather\n<arg_key:opensource>city</arg_key:opensource>\n</tool_call:opensource>';
    const r = parseAllSplits(parse, `<tool_calls:opensource>\n${bad}\n</tool_calls:opensource>`, noThink);
    expect(r.parts).toEqual([{ text: bad }]);
    expect(r.warnings).toHaveLength(1);
  });
});
