// Cases from llama.cpp's tests/test-chat.cpp (`test_lfm2_parser`, run there on LFM2-8B-A1B,
// LFM2.5-Instruct and LFM2.5-8B-A1B, plus the LFM2.5-8B-A1B thinking cases).
import { describe, expect, it } from 'vitest';
import { createLfm2Parser } from './lfm2.js';
import { parseAllSplits } from './parser-test-helper.js';
import { parsePythonicCalls } from './pythonic.js';

const call = (body: string): string => `<|tool_call_start|>${body}<|tool_call_end|>`;

describe('lfm2', () => {
  it('text only', () => {
    expect(parseAllSplits(createLfm2Parser, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('one call with a number, one with a string', () => {
    expect(parseAllSplits(createLfm2Parser, call('[special_function(arg1=1)]')).parts).toEqual([{ call: 'special_function', args: '{"arg1":1}' }]);
    expect(parseAllSplits(createLfm2Parser, call('[get_time(city="XYZCITY")]')).parts).toEqual([{ call: 'get_time', args: '{"city":"XYZCITY"}' }]);
  });

  it('Python and JSON literals become JSON, nested too', () => {
    const args = (body: string): unknown => JSON.parse(parseAllSplits(createLfm2Parser, call(body)).calls[0]!.arguments);
    expect(args('[toggle(enabled=True)]')).toEqual({ enabled: true });
    expect(args('[set_nullable(value=None)]')).toEqual({ value: null });
    expect(args('[set_config(config={"enabled": True, "count": 3})]')).toEqual({ config: { enabled: true, count: 3 } });
    expect(args('[set_config(config={"enabled": true, "note": null})]')).toEqual({ config: { enabled: true, note: null } });
    expect(args("[f(a='single', b=[1, 2.5, -3], c={'k': False})]")).toEqual({ a: 'single', b: [1, 2.5, -3], c: { k: false } });
  });

  it('a dotted name with structured arguments', () => {
    const r = parseAllSplits(createLfm2Parser, call('[Calendar.create_event(title="demo", participants=["Alice", "Bob"], metadata={"priority": "high", "reminder": true})]'));
    expect(r.calls).toEqual([{ name: 'Calendar.create_event', arguments: '{"title":"demo","participants":["Alice","Bob"],"metadata":{"priority":"high","reminder":true}}' }]);
  });

  it('Markdown links stay content', () => {
    const text = 'Use this format: [link text](url). Example: [Wikipedia](https://www.wikipedia.org).';
    expect(parseAllSplits(createLfm2Parser, text).parts).toEqual([{ text }]);
  });

  it('string escapes decode to the characters', () => {
    const code = (body: string): unknown => (JSON.parse(parseAllSplits(createLfm2Parser, call(body)).calls[0]!.arguments) as { code: unknown }).code;
    expect(code('[python(code="def hello():\\n    print(\'hey\')")]')).toBe("def hello():\n    print('hey')");
    expect(code('[python(code="First line\\nSecond line\\tindented")]')).toBe('First line\nSecond line\tindented');
    expect(code('[python(code="print(\\"hi\\")")]')).toBe('print("hi")');
    expect(code("[python(code='it\\'s \\u00e9')]")).toBe("it's é");
  });

  it('content before a call', () => {
    const r = parseAllSplits(createLfm2Parser, 'Let me check the time.' + call('[get_time(city="Paris")]'));
    expect(r.parts).toEqual([{ text: 'Let me check the time.' }, { call: 'get_time', args: '{"city":"Paris"}' }]);
  });

  it('parallel calls in one list; empty arguments', () => {
    const r = parseAllSplits(createLfm2Parser, call('[special_function(arg1=1), special_function_with_opt(arg1=1, arg2=2)]'));
    expect(r.parts).toEqual([
      { call: 'special_function', args: '{"arg1":1}' },
      { call: 'special_function_with_opt', args: '{"arg1":1,"arg2":2}' },
    ]);
    expect(parseAllSplits(createLfm2Parser, call('[empty_args()]')).parts).toEqual([{ call: 'empty_args', args: '{}' }]);
  });

  it('reasoning then a call; reasoning, content and a call', () => {
    expect(parseAllSplits(createLfm2Parser, "<think>I'm\nthinking</think>" + call('[special_function(arg1=1)]')).parts).toEqual([
      { reasoning: "I'm\nthinking" },
      { call: 'special_function', args: '{"arg1":1}' },
    ]);
    expect(parseAllSplits(createLfm2Parser, '<think>I need to call a function</think>Let me check the time.' + call('[get_time(city="Paris")]')).parts).toEqual([
      { reasoning: 'I need to call a function' },
      { text: 'Let me check the time.' },
      { call: 'get_time', args: '{"city":"Paris"}' },
    ]);
  });

  it('a call written inside the thinking block stays reasoning', () => {
    const inner = call('[special_function(arg1=1)]');
    const r = parseAllSplits(createLfm2Parser, `<think>Let me think about ${inner} hmm</think>${inner}`);
    expect(r.parts).toEqual([{ reasoning: `Let me think about ${inner} hmm` }, { call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('a template without <think> (LFM2-8B-A1B, LFM2.5-Instruct) leaves the block in the content', () => {
    const raw = "<think>I'm\nthinking</think>Hello";
    expect(parseAllSplits(createLfm2Parser, raw, { templateThinks: false }).parts).toEqual([{ text: raw }]);
  });

  it('the JSON form of the list is parsed too (llama.cpp rejects it)', () => {
    const r = parseAllSplits(createLfm2Parser, call('[{"name": "get_weather", "arguments": {"city": "Paris"}}]'));
    expect(r.parts).toEqual([{ call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it('a list that does not parse stays text, with a warning', () => {
    const raw = call('[get_weather(city=Paris)]');
    const r = parseAllSplits(createLfm2Parser, raw);
    expect(r.parts).toEqual([{ text: raw }]);
    expect(r.warnings[0]).toMatch(/^lfm2: tool call could not be parsed/);
  });

  it('without tools the markup is text', () => {
    const raw = call('[get_weather(city="Paris")]');
    expect(parseAllSplits(createLfm2Parser, raw, { toolsEnabled: false }).parts).toEqual([{ text: raw }]);
  });
});

describe('parsePythonicCalls', () => {
  it('rejects what is not a list of calls', () => {
    for (const body of [
      '',
      'get_weather(city="Paris")',
      '[]',
      '[get_weather(city="Paris")',
      '[get_weather(city="Paris")] x',
      '[f(a=1,)x]',
      '[f(a="x\\',
      '[f(1)]',
      '[f(a=Truth)]',
    ]) {
      expect(parsePythonicCalls(body), body).toHaveProperty('error');
    }
  });

  it('tolerates whitespace and trailing commas', () => {
    expect(parsePythonicCalls(' [ f( a = 1 , b = [ 1 , ] , ) ,\n g() ] ')).toEqual([
      { name: 'f', arguments: '{"a":1,"b":[1]}' },
      { name: 'g', arguments: '{}' },
    ]);
  });
});
