// Differential test against llama.cpp's own chat parser: every fixture in reference.json
// (written by generate-reference.ts from the oracle; see cases.ts for the raw outputs) is
// fed to OUR streaming parser for its family, in small pieces, and the joined result must
// match what llama.cpp made of the same output: content and reasoning (trimmed), tool calls
// (name + JSON-equal arguments).
//
// Only families our parser index reports as implemented are listed; fixtures where llama.cpp
// threw or is known to be wrong for that template (`oracleGap`) are not held against us.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createOutputParser, detectFamily, implementedFamilies } from '../../src/chat/parsers/index.js';
import type { FamilyId } from '../../src/chat/parsers/types.js';
import { templatePath } from '../fixtures/llama-cpp-source.js';
import { TEMPLATES } from './cases.js';
import { expectedParse, isCompared, loadReference, pieceSizes, runParser } from './compare.js';

const reference = loadReference();

const families = new Set<FamilyId>(implementedFamilies);
const held = reference.filter((e) => families.has(e.family) && isCompared(e));

describe('reference.json', () => {
  it('has an entry for every template in cases.ts', () => {
    const templates = new Set(reference.map((e) => e.template));
    for (const spec of TEMPLATES) expect(templates.has(spec.template), spec.template).toBe(true);
  });

  it('family detection gives every template the family its fixtures were written for', () => {
    const detected = Object.fromEntries(TEMPLATES.map((s) => [s.template, detectFamily(readFileSync(templatePath(s.template), 'utf8'))]));
    expect(detected).toEqual(Object.fromEntries(TEMPLATES.map((s) => [s.template, s.family])));
  });
});

describe.each([...families].filter((f) => held.some((e) => e.family === f)))('family %s matches llama.cpp', (family) => {
  const entries = held.filter((e) => e.family === family);
  it.each(entries.map((e) => [`${e.template} / ${e.case}`, e] as const))('%s', (_name, entry) => {
    const want = expectedParse(entry);
    for (const size of pieceSizes(entry)) {
      expect(
        runParser((options) => createOutputParser(entry.family, options), entry, size),
        `raw ${JSON.stringify(entry.raw)} in pieces of ${size}`,
      ).toEqual(want);
    }
  });
});
