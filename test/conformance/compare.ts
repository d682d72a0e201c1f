// What the conformance test, the family table and the derived-parser score share: the
// recorded reference (reference.json, written by generate-reference.ts from llama.cpp's own
// parser), how one of our parsers is run over a recorded output in pieces, and what counts
// as equal to llama.cpp (content and reasoning after trimming, tool calls by name and
// JSON-equal arguments).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { OutputParser, ParsedEvent, ParserOptions } from '../../src/chat/parsers/types.js';
import type { FamilyId } from '../../src/chat/parsers/types.js';
import type { ToolDefinition } from '../../src/chat/types.js';
import { TOOLS } from './cases.js';

export interface ReferenceEntry {
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

export function loadReference(): ReferenceEntry[] {
  return JSON.parse(readFileSync(join(here, 'reference.json'), 'utf8')) as ReferenceEntry[];
}

/** Whether llama.cpp's answer for this entry is one to hold a parser to (not an error, not a known gap). */
export function isCompared(entry: ReferenceEntry): boolean {
  return !('error' in entry.expected) && !entry.oracleGap;
}

export const toolDefinitions: ToolDefinition[] = TOOLS.map((t) => ({
  name: t.function.name,
  description: t.function.description,
  parameters: t.function.parameters as unknown as Record<string, unknown>,
}));

/** Parser options as the pipeline gives them, for a recorded prompt tail. */
export function parserOptions(prompt: string, warnings: string[] = []): ParserOptions & { tools: ToolDefinition[] } {
  let next = 0;
  return {
    reasoningFormat: 'auto',
    toolsEnabled: true,
    prompt,
    newToolCallId: () => `call_${next++}`,
    warn: (message) => warnings.push(message),
    // Families that type XML arguments (qwen3-coder, glm45, minimax-m2) read the schemas.
    tools: toolDefinitions,
  };
}

export interface Parsed {
  content: string;
  reasoning: string;
  toolCalls: { name: string; arguments: unknown }[];
}

/** Feeds the entry's raw output to a fresh parser in pieces of `pieceSize` characters and joins the events. */
export function runParser(create: (options: ReturnType<typeof parserOptions>) => OutputParser, entry: ReferenceEntry, pieceSize: number): Parsed {
  const parser = create(parserOptions(entry.promptTail));
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

/** llama.cpp's parse of a compared entry, in the shape runParser returns. */
export function expectedParse(entry: ReferenceEntry): Parsed {
  if ('error' in entry.expected) throw new Error(`${entry.template} / ${entry.case}: llama.cpp errored, nothing to compare`);
  return {
    content: entry.expected.content.trim(),
    reasoning: entry.expected.reasoning.trim(),
    toolCalls: entry.expected.toolCalls.map((c) => ({ name: c.name, arguments: JSON.parse(c.arguments) as unknown })),
  };
}

/** The piece sizes every comparison runs: 3 characters, 1, and the whole output at once. */
export const pieceSizes = (entry: ReferenceEntry): number[] => [3, 1, entry.raw.length || 1];

/** Whether a parser gives llama.cpp's answer for the entry at every piece size (a parser that throws does not). */
export function matchesReference(create: (options: ReturnType<typeof parserOptions>) => OutputParser, entry: ReferenceEntry): boolean {
  const want = expectedParse(entry);
  try {
    return pieceSizes(entry).every((size) => isDeepStrictEqual(runParser(create, entry, size), want));
  } catch {
    return false;
  }
}
