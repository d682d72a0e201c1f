// Diagnostic, not part of `npm run bench`: node-llama-cpp driven directly (no HTTP, no
// server code), same settings as the bench, to tell engine limits from server overhead.
//
//   npx tsx bench/probes/engine-direct.ts [--threads 2]
//
// Prints single-stream decode tok/s and the aggregate of 4 concurrent streams.

import { parseArgs } from 'node:util';
import { getLlama } from 'node-llama-cpp';
import { benchModel } from '../model.js';

const { values: args } = parseArgs({ options: { threads: { type: 'string', default: '2' } } });
const threads = Number(args.threads);
const tokens = 128;

const { path } = await benchModel((line) => process.stderr.write(`${line}\n`));
const llama = await getLlama({ build: 'never', maxThreads: threads });
const model = await llama.loadModel({ modelPath: path });
const context = await model.createContext({
  sequences: 4,
  contextSize: 4096,
  batchSize: 512,
  threads: { ideal: threads, min: threads },
  flashAttention: 'auto', // node-llama-cpp's default, like the server's
});

async function stream(tag: string, n: number): Promise<{ rate: number; end: number }> {
  const sequence = context.getSequence();
  const prompt = model.tokenize(`<|im_start|>user\nTell me a long story about ${tag}<|im_end|>\n<|im_start|>assistant\n`, true);
  let first = 0;
  let count = 0;
  for await (const _token of sequence.evaluate(prompt, { temperature: 0 })) {
    if (count === 0) first = performance.now();
    if (++count >= n) break;
  }
  const end = performance.now();
  sequence.dispose();
  return { rate: ((count - 1) * 1000) / (end - first), end };
}

try {
  await stream('warm-up', 8);
  const single = await stream('a single stream', tokens);
  const started = performance.now();
  const four = await Promise.all([0, 1, 2, 3].map((i) => stream(`stream ${i}`, tokens)));
  const wall = (Math.max(...four.map((s) => s.end)) - started) / 1000;
  console.log(`node-llama-cpp direct, ${context.currentThreads} threads:`);
  console.log(`  decode, 1 stream: ${single.rate.toFixed(1)} tok/s`);
  console.log(`  4 concurrent streams: ${((4 * tokens) / wall).toFixed(1)} tok/s aggregate (per stream ${four.map((s) => s.rate.toFixed(1)).join(', ')})`);
} finally {
  await context.dispose();
  await model.dispose();
  await llama.dispose();
}
