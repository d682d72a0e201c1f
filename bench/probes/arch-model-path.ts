// Prints the path of a tiny fixture model of one architecture (test/fixtures/arch-models.ts),
// generating it on first use: `npx tsx bench/probes/arch-model-path.ts gemma3 [--qwen2.5]`
// (--qwen2.5: the qwen2 vocab and Qwen2.5 template, as the README's replay figures use).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { makeArchModel, type FixtureArchitecture } from '../../test/fixtures/arch-models.js';
import { templatePath, vocabPath } from '../../test/fixtures/llama-cpp-source.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'qwen2.5': { type: 'boolean', default: false } } });
const arch = (positionals[0] ?? 'gemma3') as FixtureArchitecture;
const model = await makeArchModel(
  values['qwen2.5'] ? { arch, vocab: { gguf: vocabPath('qwen2') }, chatTemplate: readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8') } : { arch },
);
console.log(model.path);
