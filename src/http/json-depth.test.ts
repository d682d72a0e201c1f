import { describe, expect, it } from 'vitest';
import { tooDeepAt } from './json-depth.js';

const nested = (levels: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = i % 2 ? { a: value } : [value];
  return value;
};

describe('tooDeepAt', () => {
  it('accepts values up to the limit, scalars and empty containers', () => {
    expect(tooDeepAt(nested(4), 4)).toBeUndefined();
    expect(tooDeepAt('text', 0)).toBeUndefined();
    expect(tooDeepAt({ a: [], b: {} }, 2)).toBeUndefined();
    expect(tooDeepAt({ a: [] }, 1)).toEqual(['a']);
  });

  it('names the path of the first container past the limit', () => {
    expect(tooDeepAt({ ok: 1, messages: [{ content: nested(3) }] }, 4)).toEqual(['messages', 0, 'content', 0]);
  });

  it('walks 100 000 levels without overflowing the stack', () => {
    let value: unknown = {};
    for (let i = 0; i < 100_000; i++) value = { a: value };
    expect(tooDeepAt(value)).toHaveLength(128);
  });
});
