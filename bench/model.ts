// The benchmark model: Qwen2.5-0.5B dimensions, the real qwen2 vocabulary and the real
// Qwen2.5 chat template, random Q8_0 weights (test/fixtures, generated once and cached).

import { readFileSync } from 'node:fs';
import { templatePath } from '../test/fixtures/llama-cpp-source.js';
import { makeRandomModel } from '../test/fixtures/models.js';

export const TEMPLATE_NAME = 'Qwen-Qwen2.5-7B-Instruct';

export interface BenchModel {
  path: string;
  /** The chat template the model carries (tokenizer.chat_template). */
  template: string;
  description: string;
  dims: { nLayer: number; nHead: number; nHeadKv: number; nEmbd: number };
  generatedSeconds: number;
  cached: boolean;
}

export async function benchModel(log: (line: string) => void): Promise<BenchModel> {
  const started = performance.now();
  const template = readFileSync(templatePath(TEMPLATE_NAME), 'utf8');
  log('model: Qwen2.5-0.5B-shaped random Q8_0 (generated once, ~500 MB, then cached)');
  const model = await makeRandomModel({ shape: 'qwen2.5-0.5b', weightType: 'Q8_0', seed: 1, chatTemplate: template });
  const seconds = (performance.now() - started) / 1000;
  log(`model: ${model.path} (${model.cached ? 'cached' : `generated in ${seconds.toFixed(0)} s`})`);
  const { nEmbd, nLayer, nHead, nHeadKv, nFf } = model.dims;
  return {
    path: model.path,
    template,
    description: `${model.arch}, n_embd ${nEmbd}, ${nLayer} layers, ${nHead} heads (${nHeadKv} KV), n_ff ${nFf}, vocab ${model.vocabSize} (real qwen2), random Q8_0 weights, template ${TEMPLATE_NAME}`,
    dims: { nLayer, nHead, nHeadKv, nEmbd },
    generatedSeconds: seconds,
    cached: model.cached,
  };
}
