import { describe, expect, it } from 'vitest';
import { partialMarkerSuffix, StreamBuffer } from './stream-buffer.js';

describe('StreamBuffer', () => {
  it('returns text before a marker split across pieces', () => {
    const buffer = new StreamBuffer();
    buffer.append('Hello <tool');
    expect(buffer.takeUntil(['<tool_call>'])).toEqual({ text: 'Hello ' });
    buffer.append('_call>{"a":1}');
    expect(buffer.takeUntil(['<tool_call>'])).toEqual({ text: '', marker: '<tool_call>' });
    expect(buffer.peek()).toBe('{"a":1}');
  });

  it('releases a would-be marker once it stops matching or the stream ends', () => {
    const buffer = new StreamBuffer();
    buffer.append('a <to');
    expect(buffer.takeUntil(['<tool_call>']).text).toBe('a ');
    buffer.append('p');
    expect(buffer.takeUntil(['<tool_call>']).text).toBe('<top');
    buffer.append('x <tool_c');
    buffer.end();
    expect(buffer.takeUntil(['<tool_call>']).text).toBe('x <tool_c');
  });

  it('prefers the earliest marker, then the longest', () => {
    const buffer = new StreamBuffer();
    buffer.append('x</think>y<tool_call>');
    expect(buffer.takeUntil(['<tool_call>', '</think>'])).toEqual({ text: 'x', marker: '</think>' });
    buffer.append('');
    const other = new StreamBuffer();
    other.append('<tool_call>');
    expect(other.takeUntil(['<tool', '<tool_call>'])).toEqual({ text: '', marker: '<tool_call>' });
  });

  it('answers startsWith only when it can tell', () => {
    const buffer = new StreamBuffer();
    buffer.append('[TOOL');
    expect(buffer.startsWith('[TOOL_CALLS]')).toBeUndefined();
    expect(buffer.startsWith('{')).toBe(false);
    buffer.append('_CALLS]');
    expect(buffer.startsWith('[TOOL_CALLS]')).toBe(true);
  });

  it('measures partial marker suffixes', () => {
    expect(partialMarkerSuffix('abc<th', ['<think>'])).toBe(3);
    expect(partialMarkerSuffix('abc', ['<think>'])).toBe(0);
  });
});
