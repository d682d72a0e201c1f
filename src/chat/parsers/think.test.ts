import { describe, expect, it } from 'vitest';
import { createThinkParser, DEFAULT_THINK_TAGS, forcedOpenTail } from './think.js';
import { parseAllSplits } from './parser-test-helper.js';

const parse = createThinkParser;

describe('think', () => {
  it('text only', () => {
    const r = parseAllSplits(parse, "Hello, world!\nWhat's up?");
    expect(r.parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('reasoning then text, whitespace like llama.cpp', () => {
    // llama.cpp drops whitespace after <think> and after </think>, keeps it before </think>.
    const r = parseAllSplits(parse, "<think>\nI'm\nthinking\n</think>\n\nHello, world!\nWhat's up?");
    expect(r.parts).toEqual([{ reasoning: "I'm\nthinking\n" }, { text: "Hello, world!\nWhat's up?" }]);
  });

  it("'trim' mode (for callers that want it) also trims before </think>", () => {
    const r = parseAllSplits((o) => createThinkParser(o, DEFAULT_THINK_TAGS, 'trim'), '<think>\nA \n</think>\n\nB');
    expect(r.parts).toEqual([{ reasoning: 'A' }, { text: 'B' }]);
  });

  it('optional-character skips (llama.cpp optspace) per family', () => {
    const tags = { ...DEFAULT_THINK_TAGS, afterOpen: '', afterClose: '\n' };
    const r = parseAllSplits((o) => createThinkParser(o, tags), '<think>\nA\n</think>\n\nB');
    expect(r.parts).toEqual([{ reasoning: '\nA\n' }, { text: '\nB' }]);
  });

  it('whitespace before the opening tag and whitespace-only reasoning', () => {
    expect(parseAllSplits(parse, '\n<think>\n\n</think>\n\nHi').parts).toEqual([{ text: 'Hi' }]);
  });

  it('an opening tag later in the output is text', () => {
    expect(parseAllSplits(parse, 'a <think>b</think> c').parts).toEqual([{ text: 'a <think>b</think> c' }]);
  });

  it('forced open by the prompt', () => {
    const prompt = '<|im_start|>assistant\n<think>\n';
    const r = parseAllSplits(parse, "I'm\nthinking\n</think>\n\nHello", { prompt });
    expect(r.parts).toEqual([{ reasoning: "I'm\nthinking\n" }, { text: 'Hello' }]);
  });

  it('a prompt that closed thinking turns extraction off (like llama.cpp)', () => {
    const prompt = '<|im_start|>assistant\n<think>\n\n</think>\n\n';
    expect(parseAllSplits(parse, 'Hello', { prompt }).parts).toEqual([{ text: 'Hello' }]);
    expect(parseAllSplits(parse, '<think>x</think>Hello', { prompt }).parts).toEqual([{ text: '<think>x</think>Hello' }]);
    expect(forcedOpenTail(prompt, '<think>')).toBeUndefined();
    expect(forcedOpenTail('x<think>\n', '<think>')).toBe('<think>\n');
  });

  it('unterminated reasoning stays reasoning', () => {
    expect(parseAllSplits(parse, '<think>still going  ').parts).toEqual([{ reasoning: 'still going  ' }]);
  });

  it("reasoningFormat 'none' keeps everything verbatim", () => {
    const out = '<think>\nx\n</think>\n\nHello';
    expect(parseAllSplits(parse, out, { reasoningFormat: 'none' }).parts).toEqual([{ text: out }]);
    const forced = parseAllSplits(parse, 'x\n</think>\n\nHello', { reasoningFormat: 'none', prompt: 'a<think>\n' });
    expect(forced.parts).toEqual([{ text: '<think>\nx\n</think>\n\nHello' }]);
  });

  it('custom tags', () => {
    const tags = { open: '[THINK]', close: '[/THINK]' };
    const r = parseAllSplits((o) => createThinkParser(o, tags), '[THINK]hmm[/THINK]Answer');
    expect(r.parts).toEqual([{ reasoning: 'hmm' }, { text: 'Answer' }]);
  });
});
