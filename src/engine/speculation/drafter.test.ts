import { describe, expect, it } from 'vitest';
import { LookupDrafter, type TokenHistory } from './drafter.js';

const history = (tokens: number[]): TokenHistory => ({ length: tokens.length, slice: (start) => tokens.slice(start) });

describe('LookupDrafter', () => {
  it('drafts what followed the match, no further than twice the match (at least 4)', () => {
    const tokens = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 1, 2, 3];
    expect(new LookupDrafter().draft(history(tokens), 16).tokens).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('asks for longer matches after drafts refuted whole, and relents after confirmed ones', () => {
    const drafter = new LookupDrafter();
    // A 3-token match: drafted at first.
    const tokens = [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3];
    expect(drafter.draft(history(tokens), 8).tokens).not.toEqual([]);
    drafter.record(4, 0);
    expect(drafter.draft(history(tokens), 8).tokens).toEqual([]);
    drafter.record(0, 0); // steps without a draft change nothing
    expect(drafter.draft(history(tokens), 8).tokens).toEqual([]);
    drafter.record(4, 2);
    expect(drafter.draft(history(tokens), 8).tokens).not.toEqual([]);
  });

  it('follows the history as it grows and forgets a truncated tail', () => {
    const drafter = new LookupDrafter();
    const tokens = [5, 6, 7, 8, 9, 5, 6];
    expect(drafter.draft(history(tokens), 8).tokens).toEqual([]);
    tokens.push(7);
    expect(drafter.draft(history(tokens), 8).tokens).toEqual([8, 9, 5, 6, 7]);
    drafter.truncate(5);
    expect(drafter.draft(history(tokens.slice(0, 5)), 8).tokens).toEqual([]);
  });
});
