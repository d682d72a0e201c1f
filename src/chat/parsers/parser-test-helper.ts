// Test helper for streaming output parsers: feeds one output in pieces of every size and
// checks that every split yields the same joined result.

import { expect } from 'vitest';
import type { OutputParser, ParsedEvent, ParserFactory, ParserOptions } from './types.js';

export interface Joined {
  /** Text, reasoning and calls in order, adjacent text / reasoning merged. */
  parts: Array<{ text: string } | { reasoning: string } | { call: string; args: string }>;
  content: string;
  reasoning: string;
  calls: Array<{ name: string; arguments: string }>;
  warnings: string[];
}

export function options(overrides: Partial<ParserOptions> & Record<string, unknown> = {}): ParserOptions {
  let next = 0;
  return {
    reasoningFormat: 'auto',
    toolsEnabled: true,
    prompt: '',
    newToolCallId: () => `call_${next++}`,
    warn: () => {},
    ...overrides,
  };
}

function join(events: ParsedEvent[], parser: OutputParser, warnings: string[]): Joined {
  const parts: Joined['parts'] = [];
  const calls: Joined['calls'] = [];
  let open: { index: number; name: string; args: string } | undefined;
  let expectedIndex = 0;
  for (const event of events) {
    const last = parts[parts.length - 1];
    switch (event.type) {
      case 'text':
        expect(open).toBeUndefined();
        expect(event.text).not.toBe('');
        if (last && 'text' in last) last.text += event.text;
        else parts.push({ text: event.text });
        break;
      case 'reasoning':
        expect(open).toBeUndefined();
        expect(event.text).not.toBe('');
        if (last && 'reasoning' in last) last.reasoning += event.text;
        else parts.push({ reasoning: event.text });
        break;
      case 'tool_call_start':
        expect(open).toBeUndefined();
        expect(event.index).toBe(expectedIndex++);
        expect(event.id).toMatch(/^call_/);
        open = { index: event.index, name: event.name, args: '' };
        break;
      case 'tool_call_arguments':
        expect(open?.index).toBe(event.index);
        open!.args += event.json;
        break;
      case 'tool_call_end':
        expect(open?.index).toBe(event.index);
        expect(() => JSON.parse(open!.args) as unknown).not.toThrow();
        parts.push({ call: open!.name, args: open!.args });
        calls.push({ name: open!.name, arguments: open!.args });
        open = undefined;
        break;
    }
  }
  expect(open).toBeUndefined();
  expect(parser.toolCalls).toBe(calls.length);
  let content = '';
  let reasoning = '';
  for (const part of parts) {
    if ('text' in part) content += part.text;
    if ('reasoning' in part) reasoning += part.reasoning;
  }
  return { parts, content, reasoning, calls, warnings };
}

/** Runs `output` through fresh parsers split into pieces of every size; all must agree. */
/** `overrides` may carry family-specific extras (`tools`, `templateThinks`). */
export function parseAllSplits(factory: ParserFactory, output: string, overrides: Partial<ParserOptions> & Record<string, unknown> = {}): Joined {
  let first: Joined | undefined;
  const sizes = [output.length || 1];
  for (let size = 1; size < output.length; size++) sizes.push(size);
  for (const size of sizes) {
    const warnings: string[] = [];
    const parser = factory(options({ ...overrides, warn: (message) => warnings.push(message) }));
    const events: ParsedEvent[] = [];
    for (let at = 0; at < output.length; at += size) events.push(...parser.push(output.slice(at, at + size)));
    events.push(...parser.finish());
    const joined = join(events, parser, warnings);
    if (first === undefined) first = joined;
    else expect(joined, `split size ${size}`).toEqual(first);
  }
  return first!;
}

// Feed an output in pieces of every size and merge the events (used by the llama3, mistral,
// deepseek and gpt-oss parser tests).
export interface Outcome {
  text: string;
  reasoning: string;
  calls: { name: string; arguments: string }[];
  warnings: number;
  toolCalls: number;
}

export function run(create: (options: ParserOptions) => OutputParser, output: string, overrides: Partial<ParserOptions> = {}, size = output.length || 1): Outcome {
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
export function check(create: (options: ParserOptions) => OutputParser, output: string, expected: Partial<Outcome>, overrides: Partial<ParserOptions> = {}): void {
  const full: Outcome = { text: '', reasoning: '', calls: [], warnings: 0, toolCalls: 0, ...expected };
  full.toolCalls = full.calls.length;
  for (let size = 1; size <= Math.max(1, output.length); size++) {
    expect(run(create, output, overrides, size), `split size ${size}`).toEqual(full);
  }
}
