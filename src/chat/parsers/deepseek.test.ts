import { describe, it } from 'vitest';
import { createDeepseekR1Parser, createDeepseekV31Parser } from './deepseek.js';
import { check } from './parser-test-helper.js';

const r1 = createDeepseekR1Parser;
const v31 = createDeepseekV31Parser;
const R1_PROMPT = '<｜User｜>hi<｜Assistant｜><think>\n';
const V31_PROMPT = '<｜User｜>hi<｜Assistant｜><think>';
const weather = { name: 'get_weather', arguments: '{"city":"Paris"}' };
const time = { name: 'get_time', arguments: '{"tz":"CET"}' };

const r1Call = (name: string, json: string): string => `<｜tool▁call▁begin｜>function<｜tool▁sep｜>${name}\n\`\`\`json\n${json}\n\`\`\`<｜tool▁call▁end｜>`;
const v31Call = (name: string, json: string): string => `<｜tool▁call▁begin｜>${name}<｜tool▁sep｜>${json}<｜tool▁call▁end｜>`;
const section = (...calls: string[]): string => `<｜tool▁calls▁begin｜>${calls.join('\n')}<｜tool▁calls▁end｜>`;

describe('deepseek r1 parser', () => {
  it('passes text through', () => {
    check(r1, "Hello, world!\nWhat's up?", { text: "Hello, world!\nWhat's up?" });
  });

  it('splits forced-open thinking', () => {
    check(r1, "I'm\nthinking</think>Hello, world!", { reasoning: "I'm\nthinking", text: 'Hello, world!' }, { prompt: R1_PROMPT });
    check(r1, '</think>Hello', { text: 'Hello' }, { prompt: R1_PROMPT });
  });

  it('splits an explicit <think> block', () => {
    check(r1, '<think>\nhmm\n</think>\n\nHello', { reasoning: 'hmm', text: 'Hello' });
  });

  it('keeps thinking in the text with reasoning format none', () => {
    check(r1, 'hmm</think>Hello', { text: '<think>\nhmm</think>Hello' }, { prompt: R1_PROMPT, reasoningFormat: 'none' });
  });

  it('parses one call after reasoning', () => {
    check(r1, `ok</think>${section(r1Call('get_weather', '{"city": "Paris"}'))}`, { reasoning: 'ok', calls: [weather] }, { prompt: R1_PROMPT });
  });

  it('parses a call whose closing fence follows the JSON directly', () => {
    check(r1, '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{"city": "Paris"}```<｜tool▁call▁end｜><｜tool▁calls▁end｜>', {
      calls: [weather],
    });
  });

  it('parses two calls after text', () => {
    check(r1, `Let me check.\n\n${section(r1Call('get_weather', '{"city": "Paris"}'), r1Call('get_time', '{"tz": "CET"}'))}`, {
      text: 'Let me check.',
      calls: [weather, time],
    });
  });

  it('emits a complete call that lacks its closing tokens at the end', () => {
    check(r1, `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n\`\`\`json\n{"city": "Paris"}\n\`\`\``, {
      calls: [weather],
    });
  });

  it('turns invalid arguments into text and warns', () => {
    const output = section(r1Call('get_weather', '{"city": Paris}'));
    check(r1, output, { text: output, warnings: 1 });
  });

  it('leaves tool markup as text without tools', () => {
    const output = section(r1Call('get_weather', '{"city": "Paris"}'));
    check(r1, `a</think>${output}`, { reasoning: 'a', text: output }, { prompt: R1_PROMPT, toolsEnabled: false });
  });
});

describe('deepseek v3.1 parser', () => {
  it('passes text through without thinking', () => {
    check(v31, 'CONTENT', { text: 'CONTENT' }, { prompt: '<｜Assistant｜><think></think>' });
  });

  it('splits forced-open thinking', () => {
    check(v31, 'REASONING</think>\nCONTENT', { reasoning: 'REASONING', text: 'CONTENT' }, { prompt: V31_PROMPT });
  });

  it('parses one call', () => {
    check(v31, section(v31Call('get_weather', '{"city": "Paris"}')), { calls: [weather] });
  });

  it('parses reasoning, content and two calls', () => {
    check(
      v31,
      `REASONING</think>CONTENT${section(v31Call('get_weather', '{"city": "Paris"}'), v31Call('get_time', '{"tz": "CET"}'))}`,
      { reasoning: 'REASONING', text: 'CONTENT', calls: [weather, time] },
      { prompt: V31_PROMPT },
    );
  });

  it('turns invalid arguments into text and warns', () => {
    const output = section(v31Call('get_weather', '{"city": Paris}'));
    check(v31, output, { text: output, warnings: 1 });
  });

  it('keeps a valid call when a later one is invalid', () => {
    const bad = v31Call('get_time', '{tz}');
    check(v31, section(v31Call('get_weather', '{"city": "Paris"}'), bad), {
      calls: [weather],
      text: bad + '<｜tool▁calls▁end｜>',
      warnings: 1,
    });
  });
});
