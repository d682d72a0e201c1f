import { describe, expect, it } from 'vitest';
import { createGptOssParser } from './gpt-oss.js';
import type { OutputParser, ParsedEvent, ParserOptions } from './types.js';

// ---- test helper: feed the output in pieces of every size, merge the events ----
interface Outcome {
  text: string;
  reasoning: string;
  calls: { name: string; arguments: string }[];
  warnings: number;
  toolCalls: number;
}

function run(
  create: (options: ParserOptions) => OutputParser,
  output: string,
  overrides: Partial<ParserOptions> = {},
  size = output.length || 1,
): Outcome {
  let ids = 0;
  let warnings = 0;
  const parser = create({
    reasoningFormat: 'auto',
    toolsEnabled: true,
    prompt: '',
    newToolCallId: () => `call_${ids++}`,
    warn: () => {
      warnings++;
    },
    ...overrides,
  });
  const events: ParsedEvent[] = [];
  for (let at = 0; at < output.length; at += size) events.push(...parser.push(output.slice(at, at + size)));
  events.push(...parser.finish());
  const outcome: Outcome = { text: '', reasoning: '', calls: [], warnings: 0, toolCalls: parser.toolCalls };
  let open: { index: number; name: string; arguments: string; ended: boolean } | undefined;
  for (const event of events) {
    if (event.type === 'text') outcome.text += event.text;
    else if (event.type === 'reasoning') outcome.reasoning += event.text;
    else if (event.type === 'tool_call_start') {
      expect(open?.ended ?? true).toBe(true);
      expect(event.index).toBe(outcome.calls.length);
      expect(event.id).toBe(`call_${event.index}`);
      open = { index: event.index, name: event.name, arguments: '', ended: false };
    } else if (event.type === 'tool_call_arguments') {
      expect(open?.index).toBe(event.index);
      open!.arguments += event.json;
    } else {
      expect(open?.index).toBe(event.index);
      open!.ended = true;
      outcome.calls.push({ name: open!.name, arguments: open!.arguments });
    }
  }
  expect(open?.ended ?? true).toBe(true);
  outcome.warnings = warnings > 0 ? 1 : 0;
  return outcome;
}

/** Every split size gives the same outcome, equal to `expected`. */
function check(
  create: (options: ParserOptions) => OutputParser,
  output: string,
  expected: Partial<Outcome>,
  overrides: Partial<ParserOptions> = {},
): void {
  const full: Outcome = { text: '', reasoning: '', calls: [], warnings: 0, toolCalls: 0, ...expected };
  full.toolCalls = full.calls.length;
  for (let size = 1; size <= Math.max(1, output.length); size++) {
    expect(run(create, output, overrides, size), `split size ${size}`).toEqual(full);
  }
}

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
    check(
      create,
      `${thinking}<|start|>assistant<|channel|>final<|message|>Hello, world!`,
      { text: `${thinking}Hello, world!` },
      { reasoningFormat: 'none' },
    );
  });

  it('parses a call with the recipient in the channel header', () => {
    check(create, '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>', {
      calls: [weather],
    });
  });

  it('parses reasoning then a call with the recipient in the role header', () => {
    check(
      create,
      `${thinking}<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city": "Paris"}<|call|>`,
      { reasoning: "I'm\nthinking", calls: [weather] },
    );
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
    check(create, "I'm\nthinking<|end|><|start|>assistant<|channel|>final<|message|>Hi", { reasoning: "I'm\nthinking", text: 'Hi' }, {
      prompt: '<|start|>user<|message|>q<|end|><|start|>assistant<|channel|>analysis<|message|>',
    });
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
