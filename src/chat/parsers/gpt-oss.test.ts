import { describe, expect, it } from 'vitest';
import { createGptOssParser } from './gpt-oss.js';
import { check, options } from './parser-test-helper.js';
import type { ParsedEvent, ParserOptions } from './types.js';

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

/**
 * With a vocab where `<|channel|>`, `<|message|>`… are not special tokens, every marker is
 * several plain text pieces and may be split anywhere. Each output is fed whole, cut at every
 * character boundary (and every pair of them), and in pieces of 1–3 characters (every fixed
 * size at every offset, and seeded random mixes); every way must give what feeding it whole gives.
 */
describe('gpt-oss parser, markers split across pieces', () => {
  const tidy = (events: ParsedEvent[]): string[] => {
    const parts: string[] = [];
    for (const event of events) {
      const part =
        event.type === 'text'
          ? `text:${event.text}`
          : event.type === 'reasoning'
            ? `reasoning:${event.text}`
            : event.type === 'tool_call_start'
              ? `call:${event.name}`
              : event.type === 'tool_call_arguments'
                ? `args:${event.json}`
                : 'end';
      const kind = part.slice(0, part.indexOf(':') + 1);
      const last = parts[parts.length - 1];
      if (kind && kind !== 'call:' && last?.startsWith(kind)) parts[parts.length - 1] = last + part.slice(kind.length);
      else parts.push(part);
    }
    return parts;
  };
  const feed = (pieces: string[], overrides: Partial<ParserOptions>): string[] => {
    const parser = create(options({ prompt: '<|start|>user<|message|>Hi<|end|><|start|>assistant', ...overrides }));
    const events = pieces.flatMap((piece) => parser.push(piece));
    events.push(...parser.finish());
    return tidy(events);
  };
  function* splits(output: string): Generator<string[]> {
    const n = output.length;
    for (let i = 0; i <= n; i++) {
      yield [output.slice(0, i), output.slice(i)];
      for (let j = i + 1; j < n; j++) yield [output.slice(0, i), output.slice(i, j), output.slice(j)];
    }
    for (let size = 1; size <= 3; size++) {
      for (let offset = 1; offset < size + 3; offset++) {
        const pieces = [output.slice(0, offset)];
        for (let at = offset; at < n; at += size) pieces.push(output.slice(at, at + size));
        yield pieces;
      }
    }
    let seed = 14;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let trial = 0; trial < 500; trial++) {
      const pieces: string[] = [];
      for (let at = 0; at < n;) {
        const size = 1 + Math.floor(random() * 3);
        pieces.push(output.slice(at, at + size));
        at += size;
      }
      yield pieces;
    }
  }
  const expectEverySplit = (output: string, expected: string[], overrides: Partial<ParserOptions> = {}) => {
    expect(feed([output], overrides)).toEqual(expected);
    for (const pieces of splits(output)) expect(feed(pieces, overrides), JSON.stringify(pieces)).toEqual(expected);
  };

  it('analysis then final: reasoning, then the final text', () => {
    expectEverySplit('<|channel|>analysis<|message|>thinking…<|end|><|start|>assistant<|channel|>final<|message|>Hello!', ['reasoning:thinking…', 'text:Hello!']);
    expectEverySplit('<|channel|>analysis<|message|>a <b|c> d<|end|><|start|>assistant<|channel|>final<|message|>Hi <| there|><|return|>', [
      'reasoning:a <b|c> d',
      'text:Hi <| there|>',
    ]);
  });

  it('a tool call after analysis', () => {
    const call = ['call:get_weather', 'args:{"city":"Paris"}', 'end'];
    expectEverySplit(
      '<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>',
      ['reasoning:x', ...call],
    );
    expectEverySplit('<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city":"Paris"}<|call|>', call);
  });

  it('whitespace between messages is dropped, however the output is split', () => {
    expectEverySplit('\n<|channel|>analysis<|message|>x<|end|>\n\n<|start|>assistant<|channel|>final<|message|>Hello!', ['reasoning:x', 'text:Hello!']);
    expectEverySplit('<|channel|>analysis<|message|>x<|end|> <|channel|>final<|message|>Hello!', ['reasoning:x', 'text:Hello!']);
    expectEverySplit('  Hello', ['text:  Hello']);
    expectEverySplit('\n', ['text:\n']);
    expectEverySplit('assistant', ['text:assistant']);
    expectEverySplit('x<|end|> <|start|>assistant<|channel|>fin', ['text:x']);
  });

  it('text that does not begin with a header stays text, however much of it is buffered', () => {
    expectEverySplit('Sure<|channel|>final<|message|>Hi', ['text:Sure<|channel|>final<|message|>Hi']);
  });

  it('the same with reasoning format none and without tools', () => {
    const output = '<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>Hello!';
    expectEverySplit(output, ['text:<|channel|>analysis<|message|>x<|end|>Hello!'], { reasoningFormat: 'none' });
    expectEverySplit(output, ['reasoning:x', 'text:Hello!'], { toolsEnabled: false });
  });
});
