import { describe, expect, it } from 'vitest';
import { lastTokens } from './sampling.js';

describe('lastTokens (the repeat-penalty window)', () => {
  const prompt = [1, 2, 3, 4, 5];
  it('takes the end of the prompt while the output is shorter than the window', () => {
    expect(lastTokens(prompt, [6, 7], 4)).toEqual([4, 5, 6, 7]);
    expect(lastTokens(prompt, [], 3)).toEqual([3, 4, 5]);
  });
  it('takes only output once it fills the window', () => {
    expect(lastTokens(prompt, [6, 7, 8, 9], 3)).toEqual([7, 8, 9]);
  });
  it('takes everything when the window is larger than prompt and output', () => {
    expect(lastTokens(prompt, [6], 64)).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('is empty for an empty window', () => {
    expect(lastTokens(prompt, [6], 0)).toEqual([]);
  });
});
