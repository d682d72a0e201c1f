// Differential test against llama.cpp's own chat parser: every fixture in reference.json
// (written by generate-reference.ts from the oracle; see cases.ts for the raw outputs) is
// fed to OUR streaming parser for its family, in small pieces, and the joined result must
// match what llama.cpp made of the same output: content and reasoning (trimmed), tool calls
// (name + JSON-equal arguments).
//
// Only families our parser index reports as implemented are listed; fixtures where llama.cpp
// threw or is known to be wrong for that template (`oracleGap`) are not held against us.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createOutputParser, detectFamily, implementedFamilies } from '../../src/chat/parsers/index.js';
import type { FamilyId, ParsedEvent, ParserOptions } from '../../src/chat/parsers/types.js';
import type { ToolDefinition } from '../../src/chat/types.js';
import { templatePath } from '../fixtures/llama-cpp-source.js';
import { TEMPLATES, TOOLS } from './cases.js';

interface ReferenceEntry {
  template: string;
  family: FamilyId;
  case: string;
  raw: string;
  thinkingForcedOpen: boolean;
  format: string;
  handler: string;
  promptTail: string;
  expected: { content: string; reasoning: string; toolCalls: { name: string; arguments: string }[] } | { error: string };
  oracleGap?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const reference = JSON.parse(readFileSync(join(here, 'reference.json'), 'utf8')) as ReferenceEntry[];

const toolDefinitions: ToolDefinition[] = TOOLS.map((t) => ({
  name: t.function.name,
  description: t.function.description,
  parameters: t.function.parameters as unknown as Record<string, unknown>,
}));

function parserOptions(prompt: string, warnings: string[]): ParserOptions {
  let next = 0;
  const options: ParserOptions & { tools: ToolDefinition[] } = {
    reasoningFormat: 'auto',
    toolsEnabled: true,
    prompt,
    newToolCallId: () => `call_${next++}`,
    warn: (message) => warnings.push(message),
    // Families that type XML arguments (qwen3-coder, glm45, minimax-m2) read the schemas.
    tools: toolDefinitions,
  };
  return options;
}

interface Parsed {
  content: string;
  reasoning: string;
  toolCalls: { name: string; arguments: unknown }[];
}

function run(entry: ReferenceEntry, pieceSize: number): Parsed {
  const warnings: string[] = [];
  const parser = createOutputParser(entry.family, parserOptions(entry.promptTail, warnings));
  const events: ParsedEvent[] = [];
  for (let at = 0; at < entry.raw.length; at += pieceSize) events.push(...parser.push(entry.raw.slice(at, at + pieceSize)));
  events.push(...parser.finish());

  let content = '';
  let reasoning = '';
  const calls = new Map<number, { name: string; args: string }>();
  for (const event of events) {
    if (event.type === 'text') content += event.text;
    else if (event.type === 'reasoning') reasoning += event.text;
    else if (event.type === 'tool_call_start') calls.set(event.index, { name: event.name, args: '' });
    else if (event.type === 'tool_call_arguments') calls.get(event.index)!.args += event.json;
  }
  const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => ({ name: call.name, arguments: JSON.parse(call.args || '{}') as unknown }));
  return { content: content.trim(), reasoning: reasoning.trim(), toolCalls };
}

const families = new Set<FamilyId>(implementedFamilies);
const held = reference.filter((e) => families.has(e.family) && !('error' in e.expected) && !e.oracleGap);

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
    const expected = entry.expected as Exclude<ReferenceEntry['expected'], { error: string }>;
    const want: Parsed = {
      content: expected.content.trim(),
      reasoning: expected.reasoning.trim(),
      toolCalls: expected.toolCalls.map((c) => ({ name: c.name, arguments: JSON.parse(c.arguments) as unknown })),
    };
    for (const size of [3, 1, entry.raw.length || 1]) {
      expect(run(entry, size), `raw ${JSON.stringify(entry.raw)} in pieces of ${size}`).toEqual(want);
    }
  });
});
