// The derived parser keeps matching llama.cpp where it does: every case listed in
// derived-matches.json (written by `npx tsx test/conformance/score-derived.ts --write`) must
// still be inferred and parsed as llama.cpp parses it. A case that stops matching fails here;
// one that starts matching is picked up by the next --write.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadReference } from './compare.js';
import { scoreDerived } from './derived-score.js';

const matches = JSON.parse(readFileSync(new URL('./derived-matches.json', import.meta.url), 'utf8')) as Record<string, string[]>;
const reference = loadReference();
const listed = reference.filter((e) => e.template in matches);
const scores = new Map(scoreDerived(listed).map((s) => [s.template, s]));

describe('derived parser: no regression against llama.cpp', () => {
  it('lists templates that are in reference.json', () => {
    expect(Object.keys(matches).filter((template) => !scores.has(template))).toEqual([]);
  });

  it.each(Object.entries(matches))('%s', (template, cases) => {
    const score = scores.get(template)!;
    expect(score.error).toBeUndefined();
    expect(score.equal).toEqual(expect.arrayContaining(cases));
  });
});
