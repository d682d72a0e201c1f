// Issue 7 probe: the "hot turn" prefill anomaly. A long prompt is cached in a sequence, then a
// few turns each add 25–57 tokens, exactly as LlamaEngine.generate() does it:
// adaptStateToTokens(shared prefix) → evaluateWithoutGeneratingNewTokens(new tokens but the last)
// → evaluate(last token) until the first sampled token. Each step is timed, for several context
// layouts (slot size × sequences, flash attention), next to llama-bench's pp<N> at depth <D>
// on the same file and threads.
//
//   npx tsx bench/probes/probe-prefill.ts [--model path] [--cached 12000] [--threads 2] [--turns 5]
//     [--layouts 40000x2,16000x2,40000x1,40000x2:fa-off] [--nlc dir]

import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { importNodeLlamaCpp, llamaCppBin, loadavg, median, MODEL_TINY, quietly, timeNativeCalls } from './probe-common.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: MODEL_TINY },
    cached: { type: 'string', default: '12000' },
    threads: { type: 'string', default: '2' },
    turns: { type: 'string', default: '5' },
    layouts: { type: 'string', default: '40000x2,16000x2,40000x1,40000x2:fa-off,40000x2:fa-on' },
    nlc: { type: 'string' },
    'no-llama-bench': { type: 'boolean', default: false },
  },
});
const cachedTarget = Number(args.cached);
const threads = Number(args.threads);
const turns = Number(args.turns);

console.log(`load before: ${loadavg()}`);
const { getLlama, LlamaLogLevel } = await importNodeLlamaCpp(args.nlc);
const llama = args.nlc ? await getLlama('lastBuild', { logLevel: LlamaLogLevel.warn }) : await getLlama({ build: 'never', logLevel: LlamaLogLevel.warn });
llama.maxThreads = threads;
const model = await llama.loadModel({ modelPath: args.model });

// A long "conversation": numbered lines of varied words, tokenized once.
const words = ['alpha', 'function', 'return', 'const', 'value', 'the', 'file', 'path', 'error', 'test', 'import', 'class', 'string', 'number', 'await'];
let text = '';
for (let i = 0; model.tokenize(text).length < cachedTarget + turns * 60; i += 50) {
  for (let j = i; j < i + 50; j++) text += `${j}: ${words[j % words.length]} ${words[(j * 7) % words.length]} ${words[(j * 13) % words.length]}\n`;
}
const all = model.tokenize(text, true);
const prompt0 = all.slice(0, cachedTarget);
const newPerTurn = [25, 57, 33, 41, 48, 29, 52];

const rows: string[] = [];
for (const layout of args.layouts.split(',')) {
  const [shape, fa] = layout.split(':');
  const [slot, sequences] = shape!.split('x').map(Number);
  const context = await model.createContext({
    sequences: sequences!,
    contextSize: slot!,
    batchSize: 512,
    threads: { ideal: threads, min: threads },
    ...(fa === 'fa-off' ? { flashAttention: false } : fa === 'fa-on' ? { flashAttention: true } : {}),
  });
  const timer = timeNativeCalls(context, ['decodeBatch', 'sampleToken', 'removeTokenCellsFromSequence']);
  const sequence = context.getSequence();
  // Cold prefill in batch-sized chunks, like the engine.
  const coldStart = performance.now();
  for (let next = 0; next < prompt0.length - 1; next += 512) await sequence.evaluateWithoutGeneratingNewTokens(prompt0.slice(next, Math.min(prompt0.length - 1, next + 512)));
  const coldMs = performance.now() - coldStart;
  const phases = {
    adapt: [] as number[],
    prefill: [] as number[],
    first: [] as number[],
    total: [] as number[],
    perTok: [] as number[],
    decodeCalls: [] as number[],
    decodeMs: [] as number[],
    other: [] as number[],
  };
  let promptLength = prompt0.length;
  for (let turn = 0; turn < turns; turn++) {
    const added = newPerTurn[turn % newPerTurn.length]!;
    const prompt = all.slice(0, promptLength + added);
    // The engine keeps the common prefix but the last prompt token; the previous turn's first
    // sampled token sits after it in the sequence and is erased by adaptStateToTokens.
    const reused = promptLength - 1;
    const { value, otherCores } = await quietly(
      async () => {
        timer.reset();
        const t0 = performance.now();
        await sequence.adaptStateToTokens(prompt.slice(0, reused), false);
        const t1 = performance.now();
        for (let next = sequence.nextTokenIndex; next < prompt.length - 1; next += 512)
          await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(next, Math.min(prompt.length - 1, next + 512)));
        const t2 = performance.now();
        for await (const _token of sequence.evaluate(prompt.slice(prompt.length - 1), { temperature: 0 })) break;
        const t3 = performance.now();
        const decode = timer.stats.get('decodeBatch')!;
        return { adapt: t1 - t0, prefill: t2 - t1, first: t3 - t2, total: t3 - t0, decodeCalls: decode.calls, decodeMs: decode.totalMs };
      },
      { tries: 3 },
    );
    phases.adapt.push(value.adapt);
    phases.prefill.push(value.prefill);
    phases.first.push(value.first);
    phases.total.push(value.total);
    phases.perTok.push(value.prefill / (added - 1));
    phases.decodeCalls.push(value.decodeCalls);
    phases.decodeMs.push(value.decodeMs);
    phases.other.push(otherCores);
    promptLength = prompt.length;
  }
  const m = (values: number[]) => median(values).toFixed(1);
  rows.push(
    `| ${slot} × ${sequences} seq, fa ${fa ?? 'auto'} (context ${context.contextSize}, kv total ${slot! * sequences!}) | ${(coldMs / 1000).toFixed(1)} s | ${m(phases.adapt)} | ${m(phases.prefill)} | ${m(phases.perTok)} | ${m(phases.first)} | ${m(phases.total)} (${phases.total.map((t) => t.toFixed(0)).join(', ')}) | ${m(phases.decodeCalls)} / ${m(phases.decodeMs)} | ${Math.max(...phases.other).toFixed(2)} |`,
  );
  await sequence.dispose();
  await context.dispose();
}
await model.dispose();
await llama.dispose();

console.log(`hot turns after ${cachedTarget} cached tokens, ${threads} threads, +25–57 tokens per turn:`);
console.log('| layout | cold prefill | adaptStateToTokens ms | prefill ms | ms per new token | first token ms | turn total ms (each) | decodeBatch calls / ms | max other cores |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);

if (!args['no-llama-bench']) {
  // llama-bench: prompt of 40 tokens at depth `cached` (pp40 @ d12000) and one generated token at that depth.
  const { bin, env } = llamaCppBin();
  for (const fa of ['0', '1']) {
    const result = await quietly(() =>
      spawnSync(join(bin, 'llama-bench'), ['-m', args.model, '-p', '40', '-n', '1', '-d', String(cachedTarget), '-t', String(threads), '-fa', fa, '-r', '3', '-o', 'json'], {
        env,
        encoding: 'utf8',
      }),
    );
    const parsed = JSON.parse(result.value.stdout) as { n_prompt: number; n_gen: number; avg_ns: number; avg_ts: number }[];
    console.log(
      `llama-bench -fa ${fa}, depth ${cachedTarget}: ${parsed.map((row) => `${row.n_prompt ? `pp${row.n_prompt}` : `tg${row.n_gen}`} ${(row.avg_ns / 1e6).toFixed(1)} ms (${row.avg_ts.toFixed(0)} tok/s)`).join(', ')} (other cores ${result.otherCores.toFixed(2)})`,
    );
  }
}
console.log(`load after: ${loadavg()}`);
