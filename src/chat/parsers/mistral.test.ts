import { describe, expect, it } from 'vitest';
import { createMistralParser } from './mistral.js';
import { check } from './parser-test-helper.js';

const create = createMistralParser;
const weather = { name: 'get_weather', arguments: '{"city":"Paris"}' };
const time = { name: 'get_time', arguments: '{"tz":"CET"}' };

describe('mistral parser', () => {
  it('passes text through', () => {
    check(create, "Hello, world!\nWhat's up? [1] [TOOL", { text: "Hello, world!\nWhat's up? [1] [TOOL" });
  });

  it('splits [THINK] reasoning at the start', () => {
    check(create, "[THINK]I'm\nthinking[/THINK]Hello, world!", { reasoning: "I'm\nthinking", text: 'Hello, world!' });
  });

  it('keeps [THINK] as text with reasoning format none', () => {
    const text = "[THINK]I'm\nthinking[/THINK]Hello, world!";
    check(create, text, { text }, { reasoningFormat: 'none' });
  });

  it('treats thinking as forced open when the prompt ends with [THINK]', () => {
    check(create, 'hmm[/THINK]Hi', { reasoning: 'hmm', text: 'Hi' }, { prompt: '[INST]q[/INST][THINK]' });
  });

  it('parses the Nemo array format', () => {
    check(create, '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "123456789"}, {"name": "get_time", "arguments": {"tz": "CET"}, "id": "abcdefghi"}]', {
      calls: [weather, time],
    });
  });

  it('parses the [ARGS] format with text before it', () => {
    check(create, 'Sure.[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}', { text: 'Sure.', calls: [weather] });
  });

  it('parses two [ARGS] calls and the [CALL_ID] format', () => {
    check(create, '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[ARGS]{"tz": "CET"}', {
      calls: [weather, time],
    });
    check(create, '[TOOL_CALLS]get_weather[CALL_ID]abc123def[ARGS]{"city": "Paris"}', { calls: [weather] });
  });

  it('parses reasoning then a call; markers inside reasoning stay reasoning', () => {
    check(create, '[THINK]maybe [TOOL_CALLS]x[ARGS]{}[/THINK][TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}', {
      reasoning: 'maybe [TOOL_CALLS]x[ARGS]{}',
      calls: [weather],
    });
  });

  it('drops whitespace around markup as llama.cpp does', () => {
    check(create, '[THINK]a[/THINK]\n\nSure. \n[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}\n', {
      reasoning: 'a',
      text: 'Sure.',
      calls: [weather],
    });
  });

  it('streams text as it arrives', () => {
    const parser = create({ reasoningFormat: 'auto', toolsEnabled: true, prompt: '', newToolCallId: () => 'x', warn: () => {} });
    expect(parser.push('Hello')).toEqual([{ type: 'text', text: 'Hello' }]);
    expect(parser.push(' [TOOL')).toEqual([]);
    expect(parser.push('S] x')).toEqual([{ type: 'text', text: ' [TOOLS] x' }]);
  });

  it('turns invalid arguments into text and warns', () => {
    const text = '[TOOL_CALLS]get_weather[ARGS]{"city": Paris}';
    check(create, text, { text, warnings: 1 });
    const nemo = '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": Paris}}]';
    check(create, nemo, { text: nemo, warnings: 1 });
  });

  it('turns an unterminated call into text at the end', () => {
    const text = '[TOOL_CALLS]get_weather[ARGS]{"city": "Par';
    check(create, text, { text, warnings: 1 });
  });

  it('leaves tool markup as text without tools', () => {
    const text = '[THINK]a[/THINK]b[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}';
    check(create, text, { reasoning: 'a', text: 'b[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}' }, { toolsEnabled: false });
  });
});
