// Where each family's thinking starts and ends in raw output, for the engine: to keep tool-call
// triggers out of thinking, to enforce a reasoning budget, and to let a forced tool call wait
// until thinking is over. (The parsers split thinking out on their own; this is the engine's view.)

import type { ThinkingMarkers } from '../engine/types.js';
import { forcedOpenTail } from './parsers/think.js';
import type { DerivedSyntax } from './derived/syntax.js';
import type { FamilyId } from './parsers/types.js';

export interface FamilyThinking extends ThinkingMarkers {
  /** What to write in for the model when its budget runs out (closes thinking, opens the answer). */
  closeWith: string;
}

const MARKERS: Partial<Record<FamilyId, Omit<FamilyThinking, 'startOpen'>>> = {
  generic: { open: '<think>', close: '</think>', closeWith: '\n</think>\n\n' },
  hermes: { open: '<think>', close: '</think>', closeWith: '\n</think>\n\n' },
  glm45: { open: '<think>', close: '</think>', closeWith: '</think>\n' },
  'deepseek-r1': { open: '<think>', close: '</think>', closeWith: '\n</think>\n\n' },
  'deepseek-v3.1': { open: '<think>', close: '</think>', closeWith: '</think>' },
  'kimi-k2': { open: '<think>', close: '</think>', closeWith: '</think>' },
  'minimax-m2': { open: '<think>', close: '</think>', closeWith: '\n</think>\n\n' },
  'nemotron-v2': { open: '<think>', close: '</think>', closeWith: '</think>\n' },
  'command-r7b': { open: '<|START_THINKING|>', close: '<|END_THINKING|>', closeWith: '<|END_THINKING|>' },
  granite: { open: '<think>', close: '</think>', closeWith: '</think>' },
  'deepseek-v3.2': { open: '<think>', close: '</think>', closeWith: '</think>' },
  'deepseek-v4': { open: '<think>', close: '</think>', closeWith: '</think>' },
  gemma4: { open: '<|channel>thought', close: '<channel|>', closeWith: '<channel|>' },
  // Apriel 1.6: the generation prompt opens reasoning with this sentence (no tags).
  apriel: { open: 'Here are my reasoning steps:', close: '[BEGIN FINAL RESPONSE]', closeWith: '\n[BEGIN FINAL RESPONSE]\n' },
  'muse-glimmer': { open: 'to=self<|message|>', close: '<|eom|>', closeWith: '<|eom|><|start|>assistant to=user<|message|>' },
  hy3: { open: '<think:opensource>', close: '</think:opensource>', closeWith: '</think:opensource>' },
  minicpm5: { open: '<think>', close: '</think>', closeWith: '\n</think>\n\n' },
  'solar-open': { open: '<|think|>', close: '<|end|>', closeWith: '<|end|><|begin|>assistant' },
  lfm2: { open: '<think>', close: '</think>', closeWith: '</think>' },
  'minimax-m3': { open: '<mm:think>', close: '</mm:think>', closeWith: '</mm:think>' },
  'kimi-k3': { open: '<|open|>think<|sep|>', close: '<|close|>think<|sep|>', closeWith: '<|close|>think<|sep|><|open|>response<|sep|>' },
  'seed-oss': { open: '<seed:think>', close: '</seed:think>', closeWith: '</seed:think>\n' },
  mistral: { open: '[THINK]', close: '[/THINK]', closeWith: '[/THINK]' },
  'gpt-oss': { open: '<|channel|>analysis<|message|>', close: '<|end|>', closeWith: '<|end|><|start|>assistant<|channel|>final<|message|>' },
};

/**
 * The template variables a request renders with: its own (`chat_template_kwargs`, or what the
 * Anthropic `thinking` field sets) over `enable_thinking: true` when the template thinks. That is
 * llama.cpp's server default (`enable_thinking` is on when the template supports thinking and
 * `--reasoning` is not off; common/chat.cpp puts it in every template context). Templates that
 * read an undefined `enable_thinking` as false need it: DeepSeek-R1-Distill-Qwen's generation
 * prompt is `<think>\n</think>` without it, which closes thinking before the model starts (a real
 * model then answers without reasoning, and reasoning it writes anyway stays text), and
 * `<think>\n` with it, as llama.cpp renders it.
 */
export function templateKwargs(templateThinks: boolean, kwargs: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!templateThinks) return kwargs;
  return { enable_thinking: true, ...kwargs };
}

/** The tags of a derived syntax: the budget closes thinking as the template writes it. */
function derivedMarkers(derived: DerivedSyntax | undefined): Omit<FamilyThinking, 'startOpen'> | undefined {
  const reasoning = derived?.reasoning;
  return reasoning ? { open: reasoning.open, close: reasoning.close, closeWith: reasoning.close + reasoning.afterClose } : undefined;
}

/** The family's thinking markers for this prompt, or undefined when the model cannot think (`derived`: the inferred tags). */
export function thinkingMarkers(family: FamilyId, prompt: string, templateThinks: boolean, derived?: DerivedSyntax): FamilyThinking | undefined {
  const markers = family === 'derived' ? derivedMarkers(derived) : MARKERS[family];
  if (!markers) return undefined;
  // gpt-oss always has an analysis channel; for the rest, a template without thinking means
  // `<think>` in the output is plain text (as the parsers treat it).
  if (family !== 'gpt-oss' && !templateThinks) return undefined;
  return { ...markers, startOpen: forcedOpenTail(prompt, markers.open) !== undefined };
}
