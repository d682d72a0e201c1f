// Cases from llama.cpp's tests/test-chat.cpp (google-gemma-4-31B-it), plus where we differ.
import { describe, expect, it } from 'vitest';
import { createGemma4Parser } from './gemma4.js';
import { gemma4ValueToJson } from './gemma4-values.js';
import { parseAllSplits } from './parser-test-helper.js';

const call = (name: string, args: string): string => `<|tool_call>call:${name}${args}<tool_call|>`;
const Q = '<|"|>';

describe('gemma4', () => {
  it('text only', () => {
    expect(parseAllSplits(createGemma4Parser, 'Hello, world!').parts).toEqual([{ text: 'Hello, world!' }]);
  });

  it('reasoning + text; an empty thought block is no reasoning', () => {
    expect(parseAllSplits(createGemma4Parser, "<|channel>thought\nI'm\nthinking<channel|>Hello, world!\nWhat's up?").parts).toEqual([
      { reasoning: "I'm\nthinking" },
      { text: "Hello, world!\nWhat's up?" },
    ]);
    expect(parseAllSplits(createGemma4Parser, "<|channel>thought<channel|>Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('reasoning format none keeps the markup', () => {
    const raw = "<|channel>thought\nI'm\nthinking<channel|>Hello, world!\nWhat's up?";
    expect(parseAllSplits(createGemma4Parser, raw, { reasoningFormat: 'none' }).parts).toEqual([{ text: raw }]);
  });

  it('thought blocks later in the output, stray <channel|> and doubled <|channel> (llama.cpp edge cases)', () => {
    const message = "Hello, world!\nWhat's up?";
    for (const raw of [
      `<|channel>thought\n<channel|>${message}<channel|>`,
      `<|channel>thought\n<channel|>${message}<|channel>thought\n<channel|>`,
      `<|channel>thought\n<channel|>${message}<|channel>thought\n<channel|><channel|>`,
      `<|channel><|channel>thought\n<channel|>${message}`,
    ]) {
      expect(parseAllSplits(createGemma4Parser, raw).parts, raw).toEqual([{ text: message }]);
    }
    // Reasoning after some text joins the reasoning; the text around it stays as it was.
    expect(parseAllSplits(createGemma4Parser, 'Text <|channel>thought\nlater<channel|> more').parts).toEqual([{ text: 'Text ' }, { reasoning: 'later' }, { text: ' more' }]);
  });

  it('reasoning is extracted even when the prompt turned thinking off', () => {
    const prompt = '<|turn>model\n<|channel>thought\n<channel|>';
    expect(parseAllSplits(createGemma4Parser, '<|channel>thought\nX<channel|>Y', { prompt }).parts).toEqual([{ reasoning: 'X' }, { text: 'Y' }]);
  });

  it('another channel name is text', () => {
    expect(parseAllSplits(createGemma4Parser, '<|channel>final Hi').parts).toEqual([{ text: '<|channel>final Hi' }]);
  });

  it('tool calls with string, empty, number, boolean, null, array and object arguments', () => {
    const cases: Array<[string, string, string]> = [
      ['get_time', `{city:${Q}London${Q}}`, '{"city":"London"}'],
      ['get_time', `{city:${Q}San Francisco${Q}}`, '{"city":"San Francisco"}'],
      ['empty_args', '{}', '{}'],
      ['special_function', '{arg1:42}', '{"arg1":42}'],
      ['special_function', '{arg1:-7}', '{"arg1":-7}'],
      ['amount', '{orig:3.14}', '{"orig":3.14}'],
      ['amount', '{orig:1.5e10}', '{"orig":1.5e10}'],
      ['toggle', '{enabled:true}', '{"enabled":true}'],
      ['toggle', '{enabled:false}', '{"enabled":false}'],
      ['set_nullable', '{value:null}', '{"value":null}'],
      ['todo_list', `{todos:[${Q}buy milk${Q},${Q}walk dog${Q}]}`, '{"todos":["buy milk","walk dog"]}'],
      ['todo_list', '{todos:[]}', '{"todos":[]}'],
      ['set_config', `{config:{theme:${Q}dark${Q},count:3}}`, '{"config":{"theme":"dark","count":3}}'],
      ['set_config', '{config:{}}', '{"config":{}}'],
    ];
    for (const [name, args, json] of cases) {
      expect(parseAllSplits(createGemma4Parser, call(name, args)).parts, args).toEqual([{ call: name, args: json }]);
    }
  });

  it('content, reasoning and parallel calls', () => {
    expect(parseAllSplits(createGemma4Parser, `Hello, world!\nWhat's up?${call('get_time', `{city:${Q}Paris${Q}}`)}`).parts).toEqual([
      { text: "Hello, world!\nWhat's up?" },
      { call: 'get_time', args: '{"city":"Paris"}' },
    ]);
    expect(parseAllSplits(createGemma4Parser, `<|channel>thought\nI'm\nthinking<channel|>${call('get_time', `{city:${Q}Paris${Q}}`)}`).parts).toEqual([
      { reasoning: "I'm\nthinking" },
      { call: 'get_time', args: '{"city":"Paris"}' },
    ]);
    expect(parseAllSplits(createGemma4Parser, call('get_time', `{city:${Q}London${Q}}`) + call('get_weather', `{city:${Q}Paris${Q}}`)).parts).toEqual([
      { call: 'get_time', args: '{"city":"London"}' },
      { call: 'get_weather', args: '{"city":"Paris"}' },
    ]);
  });

  it('calls separated by whitespace are all parsed (llama.cpp keeps only the first)', () => {
    expect(parseAllSplits(createGemma4Parser, `${call('get_time', `{city:${Q}London${Q}}`)}\n${call('get_weather', `{city:${Q}Paris${Q}}`)}`).parts).toEqual([
      { call: 'get_time', args: '{"city":"London"}' },
      { call: 'get_weather', args: '{"city":"Paris"}' },
    ]);
  });

  it('a string is raw text: quotes, backslashes and newlines are its own', () => {
    expect(parseAllSplits(createGemma4Parser, call('edit', `{code:${Q}say "hi"\\n\n${Q}}`)).parts).toEqual([{ call: 'edit', args: JSON.stringify({ code: 'say "hi"\\n\n' }) }]);
  });

  it('a call that does not parse stays text', () => {
    for (const raw of [call('get_weather', '{city:Paris}'), call('get_weather', `{city:${Q}Paris}`), '<|tool_call>get_weather{}<tool_call|>']) {
      const r = parseAllSplits(createGemma4Parser, raw);
      expect(r.parts, raw).toEqual([{ text: raw }]);
      expect(r.warnings.length).toBeGreaterThan(0);
    }
  });

  it('a tool call ends unclosed reasoning', () => {
    expect(parseAllSplits(createGemma4Parser, `<|channel>thought\nhmm${call('get_time', `{city:${Q}Paris${Q}}`)}`).parts).toEqual([
      { reasoning: 'hmm' },
      { call: 'get_time', args: '{"city":"Paris"}' },
    ]);
  });

  it('without tools, call markup is text', () => {
    const raw = call('get_time', `{city:${Q}Paris${Q}}`);
    expect(parseAllSplits(createGemma4Parser, raw, { toolsEnabled: false }).parts).toEqual([{ text: raw }]);
  });
});

describe('gemma4 values', () => {
  it('is lenient with whitespace and string keys, where llama.cpp returns no call', () => {
    expect(gemma4ValueToJson(`{ city : ${Q}Paris${Q} , n : [ 1 , 2 ] }`)).toEqual({ json: '{"city":"Paris","n":[1,2]}' });
    expect(gemma4ValueToJson(`{${Q}city${Q}:${Q}Paris${Q}}`)).toEqual({ json: '{"city":"Paris"}' });
  });

  it('rejects what is no value', () => {
    for (const text of ['{city:Paris}', '{city:01}', '{city:nullable}', '{:1}', '{a:1,}', '[1', `{a:1}x`]) {
      expect(gemma4ValueToJson(text), text).toHaveProperty('error');
    }
  });
});
