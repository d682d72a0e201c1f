// The family × case table in docs/model-families.md is what the corpus gives today: a parser
// change or a new template that moves a number fails here until the doc is regenerated.

import { describe, expect, it } from 'vitest';
import { documentedTable, familyTable } from './family-table.js';

describe('docs/model-families.md family × case table', () => {
  it('matches the corpus (regenerate: npx tsx test/conformance/family-table.ts --write)', () => {
    expect(documentedTable()).toBe(familyTable().markdown);
  });
});
