import { describe, expect, it } from 'vitest';
import { PromptLookup } from './prompt-lookup.js';

describe('PromptLookup', () => {
  it('proposes what followed the earlier occurrence of the last tokens', () => {
    const lookup = new PromptLookup([1, 2, 3, 4, 5, 6, 7, 9, 2, 3, 4]);
    expect(lookup.draft(10)).toEqual({ tokens: [5, 6, 7, 9, 2, 3, 4], matched: 3 });
    expect(lookup.draft(2).tokens).toEqual([5, 6]);
  });

  it('proposes nothing without a match of at least three tokens', () => {
    expect(new PromptLookup([1, 2, 3, 4, 8, 3, 4]).draft(8).tokens).toEqual([]);
    expect(new PromptLookup([1, 2]).draft(8).tokens).toEqual([]);
    expect(new PromptLookup([1, 2, 3, 4, 1, 2, 3]).draft(0).tokens).toEqual([]);
  });

  it('prefers the candidate with the longest match, then the most recent', () => {
    // [7, 1, 2, 3] occurs once (then 50), [1, 2, 3] also later (then 60): the longer match wins.
    const lookup = new PromptLookup([7, 1, 2, 3, 50, 9, 1, 2, 3, 60, 8, 7, 1, 2, 3]);
    expect(lookup.draft(1)).toEqual({ tokens: [50], matched: 4 });
    const recent = new PromptLookup([1, 2, 3, 50, 1, 2, 3, 60, 1, 2, 3]);
    expect(recent.draft(1).tokens).toEqual([60]);
  });

  it('extends as tokens come and forgets what a truncation removes', () => {
    const lookup = new PromptLookup([1, 2, 3, 4, 5]);
    lookup.push([9, 1, 2]);
    expect(lookup.draft(4).tokens).toEqual([]);
    lookup.push([3]);
    expect(lookup.draft(4).tokens).toEqual([4, 5, 9, 1]);
    lookup.truncate(6);
    expect(lookup.length).toBe(6);
    lookup.push([7, 7, 7]);
    // [9, 1, 2, 3] was dropped: [7, 7, 7] has only itself.
    expect(lookup.draft(4).tokens).toEqual([]);
    lookup.push([7]);
    expect(lookup.draft(4).tokens).toEqual([7]);
  });
});
