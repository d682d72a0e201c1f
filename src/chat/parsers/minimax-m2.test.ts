import { describe, expect, it } from 'vitest';
import { createMinimaxM2Parser } from './minimax-m2.js';
import { parseAllSplits } from './parser-test-helper.js';

const parse = createMinimaxM2Parser;
const prompt = ']~b]ai\n<think>\n';
const section = '<minimax:tool_call>\n<invoke name="get_weather">\n<parameter name="city">Paris</parameter>\n<parameter name="days">2</parameter>\n</invoke>\n</minimax:tool_call>';
const two = '<minimax:tool_call>\n<invoke name="a">\n<parameter name="x">1</parameter>\n</invoke>\n<invoke name="b">\n</invoke>\n</minimax:tool_call>';

describe('minimax-m2', () => {
  it('text only', () => {
    expect(parseAllSplits(parse, 'Hello <invoke name="x"> there').parts).toEqual([{ text: 'Hello <invoke name="x"> there' }]);
  });

  it('forced-open reasoning + text', () => {
    const r = parseAllSplits(parse, "I'm\nthinking\n</think>\n\nHello, world!", { prompt });
    expect(r.parts).toEqual([{ reasoning: "I'm\nthinking\n" }, { text: 'Hello, world!' }]);
    expect(parseAllSplits(parse, '\n</think>\n\nHi', { prompt }).parts).toEqual([{ text: 'Hi' }]);
  });

  it('reasoning + text with an explicit <think>', () => {
    expect(parseAllSplits(parse, '<think>\nhm\n</think>\n\nHi').parts).toEqual([{ reasoning: 'hm\n' }, { text: 'Hi' }]);
  });

  it('one call', () => {
    expect(parseAllSplits(parse, section).parts).toEqual([{ call: 'get_weather', args: '{"city":"Paris","days":2}' }]);
  });

  it('two calls in one section after reasoning', () => {
    const r = parseAllSplits(parse, `Let's call a tool:\n</think>\n\n${two}`, { prompt });
    expect(r.parts).toEqual([{ reasoning: "Let's call a tool:\n" }, { call: 'a', args: '{"x":1}' }, { call: 'b', args: '{}' }]);
  });

  it('text before and after a section', () => {
    const r = parseAllSplits(parse, `Sure.\n${section}\nDone.`);
    expect(r.parts).toEqual([{ text: 'Sure.\n' }, { call: 'get_weather', args: '{"city":"Paris","days":2}' }, { text: 'Done.' }]);
  });

  it('a broken invoke becomes text + warn; the good one is still a call', () => {
    const bad = '<minimax:tool_call>\n<invoke name="a">\n<parameter name="x">1\n</invoke>\n<invoke name="b">\n</invoke>\n</minimax:tool_call>';
    const r = parseAllSplits(parse, bad);
    expect(r.parts).toEqual([{ text: '<invoke name="a">\n<parameter name="x">1\n</invoke>' }, { call: 'b', args: '{}' }]);
    expect(r.warnings).toHaveLength(1);
  });

  it('unterminated section at the end', () => {
    const r = parseAllSplits(parse, '<minimax:tool_call>\n<invoke name="a">\n<parameter name="x">y</parameter>\n');
    expect(r.calls).toEqual([{ name: 'a', arguments: '{"x":"y"}' }]);
  });

  it('toolsEnabled false', () => {
    expect(parseAllSplits(parse, section, { toolsEnabled: false }).parts).toEqual([{ text: section }]);
  });
});
