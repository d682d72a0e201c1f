// What finding the reuse points costs per request on a Claude Code-sized prompt: one render of
// the Qwen2.5 template over a ~48 KB conversation, and one tokenization of it (qwen2 vocab).
// `npx tsx bench/probes/probe-render-cost.ts`
import { readFileSync } from 'node:fs';
import { ChatTemplate } from '../../src/chat/template.js';
import { templatePath, vocabPath } from '../../test/fixtures/llama-cpp-source.js';
import { fixtureLlama } from '../../test/fixtures/models.js';

const source = readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8');
const template = new ChatTemplate(source, {});
const filler = 'The quick brown fox jumps over the lazy dog. '.repeat(22);
const messages = Array.from({ length: 48 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `${i}: ${filler}` })) as never;
const time = (label: string, fn: () => unknown, n = 10) => {
  fn();
  const started = performance.now();
  for (let i = 0; i < n; i++) fn();
  console.log(label, ((performance.now() - started) / n).toFixed(1), 'ms');
};
let prompt = '';
time('render', () => (prompt = template.render({ messages, addGenerationPrompt: true })));
console.log('prompt chars', prompt.length);
const llama = await fixtureLlama();
const model = await llama.loadModel({ modelPath: vocabPath('qwen2'), vocabOnly: true });
time('tokenize', () => model.tokenize(prompt, true));
console.log('tokens', model.tokenize(prompt, true).length);
await model.dispose();
