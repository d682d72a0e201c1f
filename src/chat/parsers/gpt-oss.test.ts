import { describe, it } from 'vitest';
import { createGptOssParser } from './gpt-oss.js';
import { check } from './parser-test-helper.js';

const create = createGptOssParser;
const weather = { name: 'get_weather', arguments: '{"city":"Paris"}' };
const time = { name: 'get_time', arguments: '{"tz":"CET"}' };
const thinking = "<|channel|>analysis<|message|>I'm\nthinking<|end|>";

describe('gpt-oss parser', () => {
  it('reads the final channel as text', () => {
    check(create, "<|channel|>final<|message|>Hello, world!\nWhat's up?<|return|>", { text: "Hello, world!\nWhat's up?" });
    check(create, '<|channel|>commentary<|message|>Hello', { text: 'Hello' });
  });

  it('reads plain text without Harmony markup as text', () => {
    check(create, 'Hello <|there', { text: 'Hello <|there' });
  });

  it('splits analysis into reasoning', () => {
    check(create, `${thinking}<|start|>assistant<|channel|>final<|message|>Hello, world!`, {
      reasoning: "I'm\nthinking",
      text: 'Hello, world!',
    });
  });

  it('keeps analysis markup in the text with reasoning format none', () => {
    check(create, `${thinking}<|start|>assistant<|channel|>final<|message|>Hello, world!`, { text: `${thinking}Hello, world!` }, { reasoningFormat: 'none' });
  });

  it('parses a call with the recipient in the channel header', () => {
    check(create, '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>', {
      calls: [weather],
    });
  });

  it('parses reasoning then a call with the recipient in the role header', () => {
    check(create, `${thinking}<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city": "Paris"}<|call|>`, {
      reasoning: "I'm\nthinking",
      calls: [weather],
    });
  });

  it('parses two calls and an unterminated one at the end', () => {
    check(
      create,
      '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>' +
        '<|start|>assistant<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{"tz":"CET"}',
      { calls: [weather, time] },
    );
  });

  it('ignores a stray commentary to=assistant header and drops builtin tool messages', () => {
    check(create, `<|channel|>commentary to=assistant${thinking}<|start|>assistant<|channel|>final<|message|>Hi`, {
      reasoning: "I'm\nthinking",
      text: 'Hi',
    });
    check(create, `${thinking}<|start|>assistant to=container.exec<|channel|>commentary<|message|>ls<|call|>`, {
      reasoning: "I'm\nthinking",
    });
  });

  it('starts inside a message the prompt opened', () => {
    check(
      create,
      "I'm\nthinking<|end|><|start|>assistant<|channel|>final<|message|>Hi",
      { reasoning: "I'm\nthinking", text: 'Hi' },
      {
        prompt: '<|start|>user<|message|>q<|end|><|start|>assistant<|channel|>analysis<|message|>',
      },
    );
    check(create, '<|channel|>final<|message|>Hi', { text: 'Hi' }, { prompt: '<|start|>user<|message|>q<|end|><|start|>assistant' });
  });

  it('turns invalid arguments into text and warns', () => {
    check(create, '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city": Paris}<|call|>', {
      text: '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city": Paris}<|call|>',
      warnings: 1,
    });
  });

  it('keeps call markup as text without tools', () => {
    check(
      create,
      `${thinking}<|start|>assistant<|channel|>commentary to=functions.get_weather<|message|>{"city":"Paris"}<|call|>`,
      { reasoning: "I'm\nthinking", text: '<|channel|>commentary to=functions.get_weather<|message|>{"city":"Paris"}<|call|>' },
      { toolsEnabled: false },
    );
  });
});
