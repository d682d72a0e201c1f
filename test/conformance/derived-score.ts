// The derived parser (src/chat/derived/) forced on every template of reference.json: its
// markup inferred from the template alone, then every compared case (compare.ts, the same
// comparison as the conformance test) parsed and held against llama.cpp's parse. Used by
// score-derived.ts (the table in docs/model-families.md) and derived.test.ts (no regression).

import { readFileSync } from 'node:fs';
import { deriveSyntax } from '../../src/chat/derived/index.js';
import { createOutputParser } from '../../src/chat/parsers/index.js';
import { ChatTemplate } from '../../src/chat/template.js';
import { templatePath } from '../fixtures/llama-cpp-source.js';
import type { DerivedSyntax } from '../../src/chat/derived/index.js';
import { isCompared, matchesReference, type ReferenceEntry } from './compare.js';

export interface TemplateScore {
  template: string;
  /** The hand-written family the template is detected as. */
  family: string;
  handler: string;
  /** Why no markup could be inferred (then no case is parsed). */
  error?: string;
  /** Compared cases (llama.cpp answered, no known gap) and those our derived parse equals. */
  compared: string[];
  equal: string[];
  /** llama.cpp's autoparser handles the template: handler `autoparser`, no case an error. */
  llamaAutoparser: boolean;
}

/** Whether the derived parser's parse of the entry equals llama.cpp's, in every piece size. */
const matches = (entry: ReferenceEntry, derived: DerivedSyntax): boolean => matchesReference((options) => createOutputParser('derived', { ...options, derived }), entry);

export function scoreDerived(reference: readonly ReferenceEntry[]): TemplateScore[] {
  const templates = [...new Set(reference.map((e) => e.template))];
  return templates.map((template) => {
    const entries = reference.filter((e) => e.template === template);
    const first = entries[0]!;
    const compared = entries.filter(isCompared);
    const inference = deriveSyntax(new ChatTemplate(readFileSync(templatePath(template), 'utf8'), {}));
    const base = {
      template,
      family: first.family,
      handler: first.handler,
      compared: compared.map((e) => e.case),
      llamaAutoparser: first.handler === 'autoparser' && entries.every((e) => !('error' in e.expected)),
    };
    if ('error' in inference) return { ...base, error: inference.error, equal: [] };
    return { ...base, equal: compared.filter((e) => matches(e, inference.syntax)).map((e) => e.case) };
  });
}

/** A template counts when its markup was inferred and every compared case equals llama.cpp's. */
export const isMatched = (score: TemplateScore): boolean => score.error === undefined && score.compared.length > 0 && score.equal.length === score.compared.length;
