// The parser registry: one streaming output parser per output syntax (FamilyId).

import { createDerivedParser } from '../derived/parser.js';
import type { DerivedSyntax } from '../derived/syntax.js';
import type { OutputParser } from '../output-parser.js';
import type { ToolDefinition } from '../types.js';
import type { FamilyId, ParserOptions } from './types.js';
import { createApertusParser } from './apertus.js';
import { createDeepseekV32Parser, createDeepseekV4Parser } from './deepseek-dsml.js';
import { createGemma4Parser } from './gemma4.js';
import { createCommandRPlusParser } from './command-r-plus.js';
import { createCommandR7bParser } from './command-r7b.js';
import { createAprielParser } from './apriel.js';
import { createFunctionaryV31Parser } from './functionary-v3-1.js';
import { createFirefunctionV2Parser } from './firefunction-v2.js';
import { createFunctionaryV32Parser } from './functionary-v3-2.js';
import { createGigachat31Parser, createGigachat3Parser } from './gigachat3.js';
import { createGlm45Parser } from './glm45.js';
import { createGraniteParser } from './granite.js';
import { HERMES_SYNTAX, QWEN3_THINK_TAGS, createHermesParser } from './hermes.js';
import { createKimiK2Parser } from './kimi-k2.js';
import { createMinimaxM1Parser } from './minimax-m1.js';
import { createLfm2Parser } from './lfm2.js';
import { createMinimaxM3Parser } from './minimax-m3.js';
import { createKimiK3Parser } from './kimi-k3.js';
import { createMinimaxM2Parser } from './minimax-m2.js';
import { createNemotronV2Parser } from './nemotron-v2.js';
import { createQwen3CoderParser } from './qwen3-coder.js';
import { createSeedOssParser } from './seed-oss.js';
import { createSolarOpenParser } from './solar-open.js';
import { createMinicpm5Parser } from './minicpm5.js';
import { createHy3Parser } from './hy3.js';
import { createMuseGlimmerParser } from './muse-glimmer.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';
// ── Families written by the other engineer (llama3.ts, mistral.ts, deepseek.ts, gpt-oss.ts) ──
import { createDeepseekR1Parser, createDeepseekV31Parser } from './deepseek.js';
import { createGptOssParser } from './gpt-oss.js';
import { createLlama3Parser } from './llama3.js';
import { createMistralParser } from './mistral.js';

/**
 * Parser options plus, optionally:
 * - `tools`, the request's tool definitions: the XML-argument families (qwen3-coder, glm45,
 *   minimax-m2) use the parameter schemas to decide whether a value like `123` is a number
 *   or a string, as llama.cpp does; qwen3-coder also accepts a call that omits `<tool_call>`
 *   for a known tool name;
 * - `templateThinks` (`templateThinks(source)` from detect.ts): false turns reasoning
 *   extraction off for templates without a thinking block, as llama.cpp does (the families
 *   in this folder built on ToolMarkupParser honour it);
 * - `derived`: the markup inferred from the template (family `derived`; without it, generic).
 */
export type CreateParserOptions = ParserOptions & TemplateHints & { tools?: readonly ToolDefinition[]; derived?: DerivedSyntax };

/**
 * The fallback for templates we do not recognise: `<think>` splitting, and Hermes-style
 * `<tool_call>{json}</tool_call>` when the model writes it; everything else is text.
 */
export function createGenericParser(options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, { think: QWEN3_THINK_TAGS, tools: HERMES_SYNTAX, family: 'generic' });
}

const REGISTRY: Partial<Record<FamilyId, (options: CreateParserOptions) => OutputParser>> = {
  generic: createGenericParser,
  hermes: createHermesParser,
  'qwen3-coder': createQwen3CoderParser,
  glm45: createGlm45Parser,
  'minimax-m2': createMinimaxM2Parser,
  'kimi-k2': createKimiK2Parser,
  'seed-oss': createSeedOssParser,
  granite: createGraniteParser,
  'nemotron-v2': createNemotronV2Parser,
  apertus: createApertusParser,
  gemma4: createGemma4Parser,
  'command-r7b': createCommandR7bParser,
  'command-r-plus': createCommandRPlusParser,
  apriel: createAprielParser,
  'minimax-m1': createMinimaxM1Parser,
  'solar-open': createSolarOpenParser,
  'functionary-v3.1': createFunctionaryV31Parser,
  lfm2: createLfm2Parser,
  'firefunction-v2': createFirefunctionV2Parser,
  minicpm5: createMinicpm5Parser,
  'functionary-v3.2': createFunctionaryV32Parser,
  'deepseek-v3.2': createDeepseekV32Parser,
  'deepseek-v4': createDeepseekV4Parser,
  gigachat3: createGigachat3Parser,
  'gigachat3.1': createGigachat31Parser,
  hy3: createHy3Parser,
  'muse-glimmer': createMuseGlimmerParser,
  'minimax-m3': createMinimaxM3Parser,
  'kimi-k3': createKimiK3Parser,
  // ── Other engineer's families ──
  llama3: createLlama3Parser,
  mistral: createMistralParser,
  'deepseek-r1': createDeepseekR1Parser,
  'deepseek-v3.1': createDeepseekV31Parser,
  'gpt-oss': createGptOssParser,
  derived: (options) => (options.derived ? createDerivedParser(options.derived, options) : createGenericParser(options)),
};

/** Families with a dedicated parser (the rest fall back to `generic`). */
export const implementedFamilies: FamilyId[] = Object.keys(REGISTRY) as FamilyId[];

export function createOutputParser(family: FamilyId, options: CreateParserOptions): OutputParser {
  const factory = REGISTRY[family] ?? createGenericParser;
  return factory(options);
}

export { detectFamily, templateThinks } from './detect.js';
