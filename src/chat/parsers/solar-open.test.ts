// Upstage Solar Open. llama.cpp's test-chat.cpp has no outputs for this template (and its
// autoparser parses only calls whose id is its probe's `call00001`), so the outputs follow the
// template's own rendering of assistant messages.
import { describe, expect, it } from 'vitest';
import { createSolarOpenParser } from './solar-open.js';
import { parseAllSplits } from './parser-test-helper.js';

const prompt = '<|begin|>user<|content|>What is the weather in Paris?<|end|><|begin|>assistant';
const parse = (o: Parameters<typeof createSolarOpenParser>[0]) => createSolarOpenParser({ ...o, prompt });
const weather = '<|tool_call:begin|>a1b2c3d4e5<|tool_call:name|>get_weather<|tool_call:args|>{"city": "Paris"}<|tool_call:end|>';
const time = '<|tool_call:begin|>f6g7h8i9j0<|tool_call:name|>get_time<|tool_call:args|>{"timezone": "Europe/Paris"}<|tool_call:end|>';

describe('solar-open', () => {
  it('an answer: the <|content|> header is dropped', () => {
    expect(parseAllSplits(parse, "<|content|>Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('reasoning message, then the answer message', () => {
    const r = parseAllSplits(parse, '<|think|>The user greets me.<|end|><|begin|>assistant<|content|>Hello!');
    expect(r.parts).toEqual([{ reasoning: 'The user greets me.' }, { text: 'Hello!' }]);
  });

  it('one call, two calls (ids are ours)', () => {
    expect(parseAllSplits(parse, `<|tool_calls|>${weather}<|calls|>`).parts).toEqual([{ call: 'get_weather', args: '{"city":"Paris"}' }]);
    expect(parseAllSplits(parse, `<|tool_calls|>${weather}${time}<|calls|>`).parts).toEqual([
      { call: 'get_weather', args: '{"city":"Paris"}' },
      { call: 'get_time', args: '{"timezone":"Europe/Paris"}' },
    ]);
  });

  it('reasoning, then calls; <|calls|> may be the end-of-generation token (not in the text)', () => {
    const r = parseAllSplits(parse, `<|think|>Need the weather.<|end|><|begin|>assistant<|tool_calls|>${weather}`);
    expect(r.parts).toEqual([{ reasoning: 'Need the weather.' }, { call: 'get_weather', args: '{"city":"Paris"}' }]);
  });

  it('arguments that are not JSON: the call stays text, with a warning', () => {
    const bad = '<|tool_call:begin|>a1b2c3d4e5<|tool_call:name|>get_weather<|tool_call:args|>{city<|tool_call:end|>';
    const r = parseAllSplits(parse, `<|tool_calls|>${bad}<|calls|>`);
    expect(r.parts).toEqual([{ text: bad }]);
    expect(r.warnings).toHaveLength(1);
  });

  it('without tools the call markup is text; reasoning is still split out', () => {
    const r = parseAllSplits(parse, `<|think|>Hmm.<|end|><|begin|>assistant<|tool_calls|>${weather}<|calls|>`, { toolsEnabled: false });
    expect(r.parts).toEqual([{ reasoning: 'Hmm.' }, { text: `<|tool_calls|>${weather}<|calls|>` }]);
  });
});
