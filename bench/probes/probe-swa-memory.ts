// KV memory of a sliding-window model with and without a full-size cache for its sliding
// layers (--swa-full), as llama.cpp allocates it (context.memoryUsage.ram: llama.cpp's memory breakdown), on the
// gemma3 fixture (window 32, every other layer sliding) at several context sizes; and the size
// of one checkpoint. `npx tsx bench/probes/probe-swa-memory.ts`
import { makeArchModel } from '../../test/fixtures/arch-models.js';
import { fixtureLlama } from '../../test/fixtures/models.js';

const llama = await fixtureLlama();
const fixture = await makeArchModel({ arch: 'gemma3' });
const model = await llama.loadModel({ modelPath: fixture.path });
console.log('| n_ctx | KV, sliding window + checkpoints | KV, --swa-full | one checkpoint |');
console.log('|--:|--:|--:|--:|');
for (const contextSize of [4096, 16384, 32768]) {
  const sizes: number[] = [];
  let checkpoint = 0;
  for (const swaFullCache of [false, true]) {
    const context = await model.createContext({ contextSize, sequences: 1, swaFullCache, threads: 1 });
    sizes.push(context.memoryUsage.ram);
    if (!swaFullCache) {
      const sequence = context.getSequence();
      await sequence.evaluateWithoutGeneratingNewTokens(model.tokenize('word '.repeat(600)));
      await sequence.takeCheckpoint();
      checkpoint = sequence.checkpointsMemoryUsage;
    }
    await context.dispose();
  }
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
  console.log(`| ${contextSize} | ${mib(sizes[0]!)} | ${mib(sizes[1]!)} | ${mib(checkpoint)} |`);
}
await model.dispose();
