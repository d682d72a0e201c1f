// Issue 7 probe: where does one decoded token's time go in node-llama-cpp's evaluate loop?
// Times the native calls (decodeBatch = llama_decode on a libuv worker, sampleToken = native
// sampling on a worker) against the wall time per token, for 1 and 2 threads, and prints which
// prebuilt CPU variant ggml loaded. Compare with llama-bench tg on the same file in the same run.
//
//   npx tsx bench/probes/probe-decode.ts [--threads 1,2] [--tokens 128] [--reps 3] [--model path]
//                                 [--no-llama-bench] [--batching nextCycle|microtask]

import { parseArgs } from 'node:util';
import { importNodeLlamaCpp, llamaBenchDecode, loadavg, loadedCpuVariant, median, MODEL_05B, quietly, timeNativeCalls } from './probe-common.js';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    tokens: { type: 'string', default: '128' },
    reps: { type: 'string', default: '3' },
    model: { type: 'string', default: MODEL_05B },
    'no-llama-bench': { type: 'boolean', default: false },
    batching: { type: 'string', default: 'nextCycle' },
    'max-threads': { type: 'string' },
    /** Another node-llama-cpp install to load (its last local build), e.g. /tmp/nlc-isolated. */
    nlc: { type: 'string' },
    /** on | off | default (node-llama-cpp's default: off unless the model says otherwise). */
    fa: { type: 'string', default: 'default' },
    /** on | off | default: loadModel's useMmap. */
    mmap: { type: 'string', default: 'default' },
  },
});
const threadCounts = args.threads.split(',').map(Number);
const tokens = Number(args.tokens);
const reps = Number(args.reps);

console.log(`load before: ${loadavg()}`);
const { getLlama, LlamaLogLevel } = await importNodeLlamaCpp(args.nlc);
const llama = args.nlc ? await getLlama('lastBuild', { logLevel: LlamaLogLevel.warn }) : await getLlama({ build: 'never', logLevel: LlamaLogLevel.warn });
console.log(
  `node-llama-cpp: buildType ${llama.buildType}, gpu ${llama.gpu}, cpuMathCores ${llama.cpuMathCores}, maxThreads ${llama.maxThreads}, ggml CPU variant mapped: ${loadedCpuVariant()}`,
);
const model = await llama.loadModel({ modelPath: args.model, ...(args.mmap === 'default' ? {} : { useMmap: args.mmap === 'on' }) });
console.log(`useMmap: ${args.mmap}`);
const rows: string[] = [];
for (const threads of threadCounts) {
  llama.maxThreads = args['max-threads'] ? Number(args['max-threads']) : threads;
  const context = await model.createContext({
    sequences: 1,
    contextSize: 4096,
    batchSize: 512,
    threads: { ideal: threads, min: threads },
    ...(args.fa === 'default' ? {} : { flashAttention: args.fa === 'on' }),
    ...(args.batching === 'microtask' ? { batching: { dispatchSchedule: (dispatch: () => void) => queueMicrotask(dispatch) } } : {}),
  });
  const timer = timeNativeCalls(context, ['decodeBatch', 'sampleToken', 'setThreads']);
  const setThreadsArgs: number[] = [];
  const ctx = (context as unknown as { _ctx: { setThreads: (n: number) => void } })._ctx;
  const setThreads = ctx.setThreads.bind(ctx);
  ctx.setThreads = (n: number) => {
    setThreadsArgs.push(n);
    setThreads(n);
  };
  const sequence = context.getSequence();
  const prompt = model.tokenize('<|im_start|>user\nTell me a long story<|im_end|>\n<|im_start|>assistant\n', true);
  const rates: number[] = [];
  const benchRates: number[] = [];
  const others: number[] = [];
  const perToken: { wall: number; decode: number; sample: number }[] = [];
  const run = async () => {
    await sequence.clearHistory();
    let first = 0;
    let count = 0;
    for await (const _token of sequence.evaluate(prompt, { temperature: 0 })) {
      if (count === 0) {
        first = performance.now();
        timer.reset();
      }
      if (++count >= tokens) break;
    }
    return { wall: performance.now() - first, count };
  };
  await run(); // warm-up
  // CPU ticks of each live thread of this process over one run: who else is busy during decode?
  {
    const { readdirSync, readFileSync } = await import('node:fs');
    const sample = () =>
      new Map(
        readdirSync('/proc/self/task').map((tid) => {
          const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
          const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return [tid, { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ticks: Number(rest[11]) + Number(rest[12]) }] as const;
        }),
      );
    const procTicks = () => {
      const st = readFileSync('/proc/self/stat', 'utf8');
      const r = st.slice(st.lastIndexOf(')') + 2).split(' ');
      return Number(r[11]) + Number(r[12]);
    };
    const before = sample();
    const p0 = procTicks();
    const { wall, count } = await run();
    const after = sample();
    const p1 = procTicks();
    const busy = [...after].map(([tid, t]) => ({ tid, name: t.name, ms: (t.ticks - (before.get(tid)?.ticks ?? 0)) * 10 })).filter((t) => t.ms > 0);
    const live = busy.reduce((sum, t) => sum + t.ms, 0);
    console.log(
      `threads=${threads}: ${count - 1} tokens in ${wall.toFixed(0)} ms; process CPU ${(p1 - p0) * 10} ms; live threads: ${busy.map((t) => `${t.tid === String(process.pid) ? 'main' : t.name}#${t.tid} ${t.ms}`).join(', ')}; exited threads (ggml disposable workers) ${(p1 - p0) * 10 - live} ms`,
    );
  }
  for (let rep = 0; rep < reps; rep++) {
    const {
      value: { wall, count },
      otherCores,
    } = await quietly(run);
    others.push(otherCores);
    if (!args['no-llama-bench']) {
      const bench = await quietly(() => llamaBenchDecode(args.model, [threads], tokens, ['-r', '1']));
      benchRates.push(bench.value[threads]!);
      others.push(bench.otherCores);
    }
    const n = count - 1;
    rates.push((n * 1000) / wall);
    const decode = timer.stats.get('decodeBatch')!;
    const sample = timer.stats.get('sampleToken')!;
    perToken.push({ wall: wall / n, decode: decode.totalMs / decode.calls, sample: sample.totalMs / sample.calls });
  }
  const m = (f: (p: (typeof perToken)[number]) => number) => median(perToken.map(f)).toFixed(2);
  const benchCell = benchRates.length ? `${median(benchRates).toFixed(1)} (${benchRates.map((r) => r.toFixed(1)).join(', ')})` : '—';
  const ratio = benchRates.length ? `${(median(rates) / median(benchRates)).toFixed(2)}×` : '—';
  rows.push(
    `| ${threads} (current ${context.currentThreads}, setThreads ${[...new Set(setThreadsArgs)].join('/') || '—'}) | ${median(rates).toFixed(1)} (${rates.map((r) => r.toFixed(1)).join(', ')}) | ${benchCell} | ${ratio} | ${m((p) => p.wall)} | ${m((p) => p.decode)} | ${m((p) => p.sample)} | ${m((p) => p.wall - p.decode - p.sample)} | ${Math.max(...others).toFixed(2)} |`,
  );
  await sequence.dispose();
  await context.dispose();
}
await model.dispose();
await llama.dispose();

console.log(`flash attention: ${args.fa}`);
console.log(
  `| threads | node-llama-cpp decode tok/s (reps) | llama-bench tg${tokens} tok/s (reps) | ratio | wall ms/token | decodeBatch ms | sampleToken ms | rest ms | max other cores |`,
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
console.log(`load after: ${loadavg()}`);
