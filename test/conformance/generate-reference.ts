// Runs every conformance case (cases.ts) through llama.cpp's own chat parser (the oracle,
// built by build-oracle.ts) and writes test/conformance/reference.json — a committed fixture,
// so the conformance test never needs the oracle.
//
//   npx tsx test/conformance/generate-reference.ts
//
// Per template the oracle runs twice: once to learn what the generation prompt looks like
// (does it force thinking open? does llama.cpp see reasoning support?), then with the raw
// outputs written for that.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { templatePath } from '../fixtures/llama-cpp-source.js';
import { ensureOracle, runOracle, type OracleInput, type OracleOutput } from './build-oracle.js';
import { CASE_IDS, MESSAGES, ORACLE_GAPS, TEMPLATES, TOOLS, rawCases, type CaseId } from './cases.js';
import type { FamilyId } from '../../src/chat/parsers/types.js';

export interface ReferenceToolCall {
  name: string;
  /** JSON text, as llama.cpp produced it. */
  arguments: string;
}

export interface ReferenceEntry {
  template: string;
  family: FamilyId;
  case: CaseId;
  raw: string;
  thinkingForcedOpen: boolean;
  /** common_chat_format_name of the format llama.cpp picked. */
  format: string;
  /** Which llama.cpp handler built the parser: a named specialized template or the autoparser. */
  handler: string;
  /** Last 80 characters of the rendered prompt (ends with the generation prompt). */
  promptTail: string;
  expected: { content: string; reasoning: string; toolCalls: ReferenceToolCall[] } | { error: string };
  /** Why llama.cpp's answer is not the one to hold our parser to (cases.ts ORACLE_GAPS). */
  oracleGap?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
export const referencePath = join(here, 'reference.json');

/** JSON with object keys sorted at every level, two-space indented. */
export function stableStringify(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

async function main(): Promise<void> {
  const oracle = await ensureOracle();
  const logDir = mkdtempSync(join(tmpdir(), 'chat-oracle-'));
  const entries: ReferenceEntry[] = [];
  const summary: string[] = [];
  const tokenDiffs: string[] = [];
  try {
    for (const spec of TEMPLATES) {
      const base: OracleInput = {
        template: readFileSync(templatePath(spec.template), 'utf8'),
        // Like llama.cpp's tests/test-chat.cpp: no BOS/EOS strings. With the model's real tokens
        // llama.cpp's template analysis sometimes comes out differently; that run is compared below.
        bos_token: '',
        eos_token: '',
        tools: [...TOOLS],
        messages: [...MESSAGES],
        enable_thinking: true,
        outputs: [],
      };
      const logFile = (step: string): string => join(logDir, `${spec.template}.${step}.log`);
      const probe: OracleOutput = await runOracle(oracle, base, logFile('probe'));
      if (probe.fatal) {
        summary.push(`${spec.template}: oracle failed: ${probe.fatal}`);
        continue;
      }
      const cases = rawCases(spec, {
        thinkingForcedOpen: probe.thinking_forced_open,
        supportsThinking: probe.supports_thinking,
      });
      const result = await runOracle(oracle, { ...base, outputs: cases.map((c) => c.raw) });
      if (result.fatal) {
        summary.push(`${spec.template}: oracle failed: ${result.fatal}`);
        continue;
      }
      // The same outputs with the model's real BOS/EOS strings (as llama-server would run it).
      const withTokens = await runOracle(oracle, { ...base, bos_token: spec.bosToken, eos_token: spec.eosToken, outputs: cases.map((c) => c.raw) });
      cases.forEach((c, i) => {
        const a = JSON.stringify(result.results[i]);
        const b = JSON.stringify(withTokens.fatal ?? withTokens.results[i]);
        if (a !== b) tokenDiffs.push(`${spec.template} / ${c.case}: without BOS/EOS ${a}\n    with ${JSON.stringify(spec.bosToken)}/${JSON.stringify(spec.eosToken)} ${b}`);
      });
      let errors = 0;
      cases.forEach((c, i) => {
        const r = result.results[i]!;
        const expected: ReferenceEntry['expected'] =
          'error' in r
            ? { error: r.error }
            : { content: r.content, reasoning: r.reasoning_content, toolCalls: r.tool_calls.map((t) => ({ name: t.name, arguments: t.arguments })) };
        if ('error' in r) errors++;
        entries.push({
          template: spec.template,
          family: spec.family,
          case: c.case,
          raw: c.raw,
          thinkingForcedOpen: probe.thinking_forced_open,
          format: probe.format,
          handler: probe.handler ?? 'unknown',
          promptTail: probe.generation_prompt_tail,
          expected,
          ...(ORACLE_GAPS[spec.template]?.[c.case] ? { oracleGap: ORACLE_GAPS[spec.template]![c.case]! } : {}),
        });
      });
      summary.push(
        `${spec.template.padEnd(48)} ${spec.family.padEnd(14)} ${probe.format.padEnd(14)} ${(probe.handler ?? '').padEnd(34)} ` +
          `thinking=${probe.supports_thinking ? (probe.thinking_forced_open ? 'forced-open' : 'yes') : 'no'} cases=${cases.length} errors=${errors}`,
      );
    }
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
  const order = (c: CaseId): number => CASE_IDS.indexOf(c);
  entries.sort((a, b) => a.family.localeCompare(b.family) || a.template.localeCompare(b.template) || order(a.case) - order(b.case));
  writeFileSync(referencePath, stableStringify(entries));
  if (tokenDiffs.length > 0) summary.push('', 'Parses that change when the real BOS/EOS strings are passed:', ...tokenDiffs.map((d) => `  ${d}`));
  process.stderr.write(`${summary.join('\n')}\n\nwrote ${entries.length} entries to ${referencePath} (llama.cpp ${oracle.commit.slice(0, 12)})\n`);
}

await main();
