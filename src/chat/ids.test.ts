import { describe, expect, it } from 'vitest';
import { newToolCallId, randomBase62 } from './ids.js';

describe('ids', () => {
  it('tool-call ids are always call_ + 24 alphanumerics', () => {
    for (let i = 0; i < 2000; i++) expect(newToolCallId()).toMatch(/^call_[A-Za-z0-9]{24}$/);
  });

  it('randomBase62 gives exactly n characters, all 62 of them in use', () => {
    const seen = new Set(randomBase62(20_000));
    expect(randomBase62(7)).toHaveLength(7);
    expect(seen.size).toBe(62);
  });
});
