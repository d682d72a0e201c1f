import { describe, expect, it } from 'vitest';
import { ThinkingSpan, TriggerScanner, type ThinkingMarkers, type Trigger } from './steering.js';

const THINK: ThinkingMarkers = { open: '<think>', close: '</think>', startOpen: false };

/** Which offsets of `text` the span counts as inside, after `text` was pushed in `pieces`. */
function insideOffsets(span: ThinkingSpan, text: string): number[] {
  return [...Array(text.length + 1).keys()].filter((offset) => span.contains(offset));
}
const range = (from: number, to: number) => [...Array(to - from).keys()].map((i) => from + i);

/** Every way to cut `text` in two. */
const splits = (text: string) => range(0, text.length + 1).map((at) => [text.slice(0, at), text.slice(at)] as const);

describe('ThinkingSpan', () => {
  it('starts inside when the prompt opened the span (startOpen), up to and with the closing marker', () => {
    const span = new ThinkingSpan({ ...THINK, startOpen: true });
    expect(span.inside).toBe(true);
    expect(span.contains(0)).toBe(true);
    span.push('abc</think>rest');
    expect(span.inside).toBe(false);
    expect(span.closed).toBe(true);
    // Content 0..3, closing marker 3..11.
    expect(insideOffsets(span, 'abc</think>rest')).toEqual(range(0, 11));
  });

  it('opens for a marker at the start of the output, after whitespace, split at every point', () => {
    const text = '  <think>x</think>y';
    for (const [first, second] of splits(text)) {
      const span = new ThinkingSpan(THINK);
      span.push(first);
      span.push(second);
      expect(span.closed).toBe(true);
      // Content starts after `<think>` (offset 9); the span ends with `</think>` (10..18).
      expect(insideOffsets(span, text)).toEqual(range(9, 18));
    }
  });

  it('is inside exactly between the markers', () => {
    const span = new ThinkingSpan(THINK);
    span.push('<thi');
    expect([span.inside, span.closed]).toEqual([false, false]);
    span.push('nk>ab</th');
    expect([span.inside, span.closed]).toEqual([true, false]);
    expect(span.contains(7)).toBe(true);
    span.push('ink>c');
    expect([span.inside, span.closed]).toEqual([false, true]);
    expect(insideOffsets(span, '<think>ab</think>c')).toEqual(range(7, 17));
  });

  it('counts only a span the output opens at its start: a marker later on is text', () => {
    const span = new ThinkingSpan(THINK);
    span.push('Hello <think>x</think>');
    expect([span.inside, span.closed]).toEqual([false, true]);
    expect(insideOffsets(span, 'Hello <think>x</think>')).toEqual([]);
  });

  it('stays open while the closing marker has not come', () => {
    const span = new ThinkingSpan(THINK);
    span.push('<think>still thinking</thi');
    expect(span.inside).toBe(true);
    expect(span.contains(1000)).toBe(true);
    expect(span.contains(6)).toBe(false);
  });
});

/** Feeds pieces; returns what each emitted up to the first match and where it matched, or else what flush gave back. */
function scan(triggers: readonly Trigger[], pieces: readonly string[], ignore?: (offset: number) => boolean): { emitted: string[]; matchedAt?: number; rest?: string } {
  const scanner = new TriggerScanner(triggers, ignore);
  const emitted: string[] = [];
  for (const piece of pieces) {
    const found = scanner.push(piece);
    emitted.push(found.emit);
    if (found.matchedAt !== undefined) return { emitted, matchedAt: found.matchedAt };
  }
  return { emitted, rest: scanner.flush() };
}

describe('TriggerScanner', () => {
  const TOOL_CALL: Trigger[] = [{ text: '<tool_call>' }];

  it('finds a trigger split at every point, never passing on any of it', () => {
    const text = 'Let me check. <tool_call>{"name": "x"}';
    for (const [first, second] of splits(text)) {
      const { emitted, matchedAt } = scan(TOOL_CALL, [first, second]);
      expect(matchedAt).toBe(14);
      // The first piece comes out whole up to the trigger: a partial trigger at its end is held back.
      expect(emitted[0]).toBe(text.slice(0, Math.min(first.length, 14)));
      expect(emitted.join('')).toBe('Let me check. ');
    }
  });

  it('finds a trigger fed one character at a time', () => {
    const { emitted, matchedAt } = scan(TOOL_CALL, [...'ab <tool_call>']);
    expect(matchedAt).toBe(3);
    expect(emitted).toEqual(['a', 'b', ' ', '', '', '', '', '', '', '', '', '', '', '']);
  });

  it('releases held text that turns out not to be a trigger', () => {
    expect(scan(TOOL_CALL, ['a <tool', 'box> b'])).toEqual({ emitted: ['a ', '<toolbox> b'], rest: '' });
  });

  it('gives back a partial trigger held at the end on flush', () => {
    expect(scan(TOOL_CALL, ['a <tool_c'])).toEqual({ emitted: ['a '], rest: '<tool_c' });
  });

  it('takes the earliest of several triggers', () => {
    const triggers: Trigger[] = [{ text: '<tool_call>' }, { text: '[TOOL_CALLS]' }];
    expect(scan(triggers, ['x [TOOL_CALLS] y <tool_call>'])).toEqual({ emitted: ['x '], matchedAt: 2 });
  });

  it('counts an atStart trigger only at the start of the output, after whitespace', () => {
    const bare: Trigger[] = [{ text: '{"name"', atStart: true }];
    expect(scan(bare, ['\n {"name": "f"}'])).toEqual({ emitted: ['\n '], matchedAt: 2 });
    for (const [first, second] of splits('\n{"name": "f"}')) expect(scan(bare, [first, second]).matchedAt).toBe(1);
    // Later on it is text, and not even a partial one is held back.
    expect(scan(bare, ['Sure {', '"name": "f"}'])).toEqual({ emitted: ['Sure {', '"name": "f"}'], rest: '' });
  });

  it('ignores triggers inside thinking, split at every point, and finds the one after it', () => {
    const text = '<think>maybe <tool_call> now</think>Then <tool_call>{}';
    for (const [first, second] of splits(text)) {
      // As GeneratedOutput does: the span sees each piece before the scanner.
      const span = new ThinkingSpan(THINK);
      const scanner = new TriggerScanner(TOOL_CALL, (offset) => span.contains(offset));
      let emitted = '';
      let matchedAt: number | undefined;
      for (const piece of [first, second]) {
        span.push(piece);
        const found = scanner.push(piece);
        emitted += found.emit;
        matchedAt ??= found.matchedAt;
        if (matchedAt !== undefined) break;
      }
      expect(matchedAt).toBe(41);
      expect(emitted).toBe('<think>maybe <tool_call> now</think>Then ');
    }
  });
});
