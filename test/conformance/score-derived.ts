// Scores the template-derived parser against llama.cpp on every template of reference.json:
//
//   npx tsx test/conformance/score-derived.ts           print the per-template table
//   npx tsx test/conformance/score-derived.ts --write   also update docs/model-families.md
//                                                       ("Derived parser: per-template score")
//                                                       and test/conformance/derived-matches.json
//                                                       (what derived.test.ts keeps matching)

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadReference } from './compare.js';
import { isMatched, scoreDerived, type TemplateScore } from './derived-score.js';

const here = dirname(fileURLToPath(import.meta.url));
const DOC = join(here, '..', '..', 'docs', 'model-families.md');
export const MATCHES = join(here, 'derived-matches.json');
const START = '<!-- derived-score:start (npx tsx test/conformance/score-derived.ts --write) -->';
const END = '<!-- derived-score:end -->';

function table(scores: TemplateScore[]): string {
  const lines = [
    '| template | hand-written family | llama.cpp handler | derived: inferred | derived: cases equal |',
    '| --- | --- | --- | --- | --- |',
    ...scores.map((s) => {
      const inferred = s.error === undefined ? 'yes' : `no (${s.error})`;
      const cases = `${s.equal.length}/${s.compared.length}${isMatched(s) ? ' ✓' : ''}`;
      return `| \`${s.template}\` | ${s.family} | ${s.handler} | ${inferred} | ${cases} |`;
    }),
  ];
  const matched = scores.filter(isMatched).length;
  const inferred = scores.filter((s) => s.error === undefined).length;
  const equal = scores.reduce((n, s) => n + s.equal.length, 0);
  const compared = scores.reduce((n, s) => n + s.compared.length, 0);
  const autoparser = scores.filter((s) => s.llamaAutoparser).length;
  lines.push(
    '',
    `Templates matched (markup inferred, every compared case equal to llama.cpp): **${matched}/${scores.length}**; ` +
      `markup inferred: ${inferred}/${scores.length}; cases equal: ${equal}/${compared}. ` +
      `llama.cpp's own autoparser handles ${autoparser} of these templates (handler \`autoparser\`, no case an error).`,
  );
  return lines.join('\n');
}

const scores = scoreDerived(loadReference());
const text = table(scores);
console.log(text);

if (process.argv.includes('--write')) {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start === -1 || end === -1) throw new Error(`${DOC} has no ${START} … ${END} section`);
  writeFileSync(DOC, `${doc.slice(0, start + START.length)}\n\n${text}\n\n${doc.slice(end)}`);
  // One template per line, as prettier writes it.
  const lines = scores.filter((s) => s.equal.length > 0).map((s) => `  ${JSON.stringify(s.template)}: [${s.equal.map((c) => JSON.stringify(c)).join(', ')}]`);
  writeFileSync(MATCHES, `{\n${lines.join(',\n')}\n}\n`);
  console.log(`\nwrote ${DOC} and ${MATCHES}`);
}
