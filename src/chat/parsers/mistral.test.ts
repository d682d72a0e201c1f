import { describe, expect, it } from 'vitest';
import { createMistralParser } from './mistral.js';
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
    check(
      create,
      '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "123456789"}, {"name": "get_time", "arguments": {"tz": "CET"}, "id": "abcdefghi"}]',
      { calls: [weather, time] },
    );
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
