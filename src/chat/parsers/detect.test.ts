import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { llamaCppSource } from '../../../test/fixtures/llama-cpp-source.js';
import { detectFamily, templateThinks } from './detect.js';
import type { FamilyId } from './types.js';

/** Every real template in llama.cpp's models/templates and the family we expect for it. */
const EXPECTED: Record<string, FamilyId> = {
  'Apertus-8B-Instruct': 'apertus',
  'Apriel-1.6-15b-Thinker-fixed': 'apriel',
  'Bielik-11B-v3.0-Instruct': 'hermes',
  'ByteDance-Seed-OSS': 'seed-oss',
  Cohere2MoE: 'command-r7b',
  'CohereForAI-c4ai-command-r-plus-tool_use': 'command-r-plus',
  'CohereForAI-c4ai-command-r7b-12-2024-tool_use': 'command-r7b',
  'GLM-4.6': 'glm45',
  'GLM-4.7-Flash': 'glm45',
  'GigaChat3-10B-A1.8B': 'gigachat3',
  'GigaChat3.1-10B-A1.8B': 'gigachat3.1',
  'HuggingFaceTB-SmolLM3-3B': 'hermes',
  'Kimi-K2-Instruct': 'kimi-k2',
  'Kimi-K2-Thinking': 'kimi-k2',
  'Kimi-K3': 'kimi-k3',
  'LFM2-8B-A1B': 'lfm2',
  'LFM2.5-8B-A1B': 'lfm2',
  'LFM2.5-Instruct': 'lfm2',
  'MiMo-VL': 'hermes',
  'MiniMax-M1': 'minimax-m1',
  'MiniMax-M2': 'minimax-m2',
  'MiniMax-M3': 'minimax-m3',
  'Mistral-Small-3.2-24B-Instruct-2506': 'mistral',
  'NVIDIA-Nemotron-3-Nano-30B-A3B-BF16': 'qwen3-coder',
  'NVIDIA-Nemotron-Nano-v2': 'nemotron-v2',
  'NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use': 'hermes',
  'NousResearch-Hermes-3-Llama-3.1-8B-tool_use': 'hermes',
  'Qwen-QwQ-32B': 'hermes',
  'Qwen-Qwen2.5-7B-Instruct': 'hermes',
  'Qwen-Qwen3-0.6B': 'hermes',
  'Qwen3-Coder': 'qwen3-coder',
  'Qwen3.5-4B': 'qwen3-coder',
  'Reka-Edge': 'hermes',
  'Spark2.5': 'glm45',
  'StepFun3.5-Flash': 'qwen3-coder',
  'deepseek-ai-DeepSeek-R1-Distill-Llama-8B': 'deepseek-r1',
  'deepseek-ai-DeepSeek-R1-Distill-Qwen-32B': 'deepseek-r1',
  'deepseek-ai-DeepSeek-V3.1': 'deepseek-v3.1',
  'deepseek-ai-DeepSeek-V3.2': 'deepseek-v3.2',
  'deepseek-ai-DeepSeek-V4-Flash-0731': 'deepseek-v4',
  'deepseek-ai-DeepSeek-V4': 'deepseek-v4',
  'fireworks-ai-llama-3-firefunction-v2': 'firefunction-v2',
  'google-gemma-2-2b-it': 'generic',
  'google-gemma-4-31B-it-interleaved': 'gemma4',
  'google-gemma-4-31B-it': 'gemma4',
  'ibm-granite-granite-3.3-2B-Instruct': 'granite',
  'ibm-granite-granite-4.0': 'hermes',
  'ibm-granite-granite-4.1': 'hermes',
  'inclusionai-ling-3.0-flash': 'glm45',
  'llama-cpp-deepseek-r1': 'deepseek-r1',
  'llama-cpp-rwkv-world': 'hermes',
  'meetkai-functionary-medium-v3.1': 'functionary-v3.1',
  'meetkai-functionary-medium-v3.2': 'functionary-v3.2',
  'meta-llama-Llama-3.1-8B-Instruct': 'llama3',
  'meta-llama-Llama-3.2-3B-Instruct': 'llama3',
  'meta-llama-Llama-3.3-70B-Instruct': 'llama3',
  'microsoft-Phi-3.5-mini-instruct': 'generic',
  'mistralai-Ministral-3-14B-Reasoning-2512': 'mistral',
  'mistralai-Mistral-Nemo-Instruct-2407': 'mistral',
  'moonshotai-Kimi-K2': 'kimi-k2',
  'muse-glimmer': 'muse-glimmer',
  'openai-gpt-oss-120b': 'gpt-oss',
  'openbmb-MiniCPM5-1B': 'minicpm5',
  'poolside-Laguna-S-2.1': 'glm45',
  'poolside-Laguna-XS-2.1': 'glm45',
  'poolside-Laguna-XS.2': 'glm45',
  'tencent-Hy3': 'hy3',
  'unsloth-Apriel-1.5': 'apriel',
  'unsloth-mistral-Devstral-Small-2507': 'mistral',
  'upstage-Solar-Open-100B': 'solar-open',
};

const dir = join(llamaCppSource(), 'models', 'templates');
const stems = readdirSync(dir)
  .filter((name) => name.endsWith('.jinja'))
  .map((name) => name.slice(0, -'.jinja'.length));

describe('detectFamily', () => {
  it.each(Object.entries(EXPECTED))('%s → %s', (stem, family) => {
    expect(detectFamily(readFileSync(join(dir, `${stem}.jinja`), 'utf8'))).toBe(family);
  });

  it('every template in the source tree has an expectation', () => {
    const missing = stems.filter((stem) => !(stem in EXPECTED));
    // New templates in a newer llama.cpp must be classified here, not silently guessed.
    expect(missing).toEqual([]);
  });

  it('knows which templates write thinking blocks', () => {
    const read = (stem: string) => readFileSync(join(dir, `${stem}.jinja`), 'utf8');
    expect(templateThinks(read('Qwen-Qwen3-0.6B'))).toBe(true);
    expect(templateThinks(read('Qwen-Qwen2.5-7B-Instruct'))).toBe(false);
    expect(templateThinks(read('CohereForAI-c4ai-command-r7b-12-2024-tool_use'))).toBe(true);
    // Untagged reasoning opened by the generation prompt; 1.5 only asks for [BEGIN FINAL RESPONSE].
    expect(templateThinks(read('Apriel-1.6-15b-Thinker-fixed'))).toBe(true);
    expect(templateThinks(read('unsloth-Apriel-1.5'))).toBe(false);
    expect(templateThinks(read('upstage-Solar-Open-100B'))).toBe(true);
    expect(templateThinks(read('tencent-Hy3'))).toBe(true);
    expect(templateThinks(read('muse-glimmer'))).toBe(true);
    expect(templateThinks(read('MiniMax-M3'))).toBe(true);
    expect(templateThinks(read('Kimi-K3'))).toBe(true);
  });

  it('unknown templates are generic', () => {
    expect(detectFamily('{{ messages }}')).toBe('generic');
  });
});
