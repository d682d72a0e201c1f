import { describe, expect, it } from 'vitest';
import { AdaptiveDraftLength } from './draft-length.js';

describe('AdaptiveDraftLength', () => {
  it('doubles while drafts are confirmed whole, up to the maximum', () => {
    const length = new AdaptiveDraftLength({ max: 32, min: 0 });
    expect(length.next()).toBe(8);
    length.record(8, 8);
    expect(length.next()).toBe(16);
    length.record(16, 16);
    length.record(32, 32);
    expect(length.next()).toBe(32);
  });

  it('falls back to what was confirmed, plus two, after a refutation', () => {
    const length = new AdaptiveDraftLength({ max: 32, min: 0 });
    length.record(8, 3);
    expect(length.next()).toBe(5);
    length.record(5, 0);
    expect(length.next()).toBe(2);
  });

  it('keeps its length after a refutation when told to (prompt lookup)', () => {
    const length = new AdaptiveDraftLength({ max: 64, min: 0, keepAfterRefutation: true });
    length.record(8, 8);
    length.record(16, 3);
    expect(length.next()).toBe(16);
  });

  it('keeps within the limits and ignores steps without a draft', () => {
    const small = new AdaptiveDraftLength({ max: 4, min: 3 });
    expect(small.next()).toBe(4);
    small.record(4, 0);
    expect(small.next()).toBe(3);
    small.record(0, 0);
    expect(small.next()).toBe(3);
  });
});
