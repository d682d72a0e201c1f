// Issue 7 probe: why do 4 concurrent streams reach only ~0.7× llama-server's aggregate?
// Drives node-llama-cpp directly (like engine-direct.ts): one context with N sequences, each
// `sequence.evaluate(...)` generating `--tokens` tokens, all started together. Hooks the native
// context (`context._ctx`) to record, per llama_decode batch: how many sequences and tokens it
// holds (initBatch/addToBatch), how long decodeBatch takes, how long the sampling phase after it
// takes (the sampleToken AsyncWorkers, one per sequence) and the JS time until the next batch.
//
//   UV_THREADPOOL_SIZE=1 npx tsx bench/probes/probe-streams.ts [--streams 4] [--tokens 128] [--reps 3]
//       [--threads 2] [--batching nextCycle|microtask] [--strategy maximumParallelism|firstInFirstOut]
//       [--fa auto|on|off] [--model path]
//
// UV_THREADPOOL_SIZE must be set in the environment before node starts (not with --env-file
// under tsx: the loader may start the pool first). "JS gap" = decode end → next decode start,
// sampling included.

import { parseArgs } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { loadavg, median, MODEL_05B, quietly } from './probe-common.js';
import { BatchGathering } from '../../src/engine/batch-gathering.js';

const { values: args } = parseArgs({
  options: {
    streams: { type: 'string', default: '4' },
    tokens: { type: 'string', default: '128' },
    reps: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    batching: { type: 'string', default: 'nextCycle' },
    strategy: { type: 'string', default: 'maximumParallelism' },
    fa: { type: 'string', default: 'auto' },
    model: { type: 'string', default: MODEL_05B },
    /** Total context (all sequences); the server's `--n-ctx 4096 --parallel 4` is 16384. */
    ctx: { type: 'string', default: '4096' },
    /** Candidate fix: after each batch, hold node-llama-cpp's dispatch loop for one setImmediate. */
    'yield-after-batch': { type: 'boolean', default: false },
    /** Candidate fix 2: each sequence waits one setImmediate before queueing its next decode. */
    'defer-requeue': { type: 'boolean', default: false },
    /** Candidate fix 3: yield-after-batch, then hand the queued decodes back only after the loop has released the context lock. */
    'yield-release': { type: 'boolean', default: false },
    /** The shipped fix: src/engine/batch-gathering.ts (streams tracked; clearHistory under withContextLock). */
    gathering: { type: 'boolean', default: false },
    /** Start the last stream this many ms after the others (its clearHistory needs the context lock). */
    stagger: { type: 'string', default: '0' },
    /** Start stream i after i × this many ms (prompts then prefill in separate batches, positions out of step). */
    spread: { type: 'string', default: '0' },
    /** Start streams 1… together this many ms after stream 0 (their prompts share one batch with stream 0's decode). */
    'late-group': { type: 'string', default: '0' },
  },
});
const streams = Number(args.streams);
const tokens = Number(args.tokens);
const reps = Number(args.reps);
const threads = Number(args.threads);

const poolThreads = () => readdirSync('/proc/self/task').length;
console.log(
  `load before: ${loadavg()}; UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '(unset)'}; batching ${args.batching}, strategy ${args.strategy}, fa ${args.fa}, yield-after-batch ${args['yield-after-batch']}, defer-requeue ${args['defer-requeue']}`,
);
const llama = await getLlama({ build: 'never', maxThreads: threads, logLevel: LlamaLogLevel.warn });
const model = await llama.loadModel({ modelPath: args.model });

const shipped = new BatchGathering();
const dispatchSchedule = args.batching === 'microtask' ? (dispatch: () => void) => queueMicrotask(dispatch) : ('nextCycle' as const);
const context = await model.createContext({
  sequences: streams,
  contextSize: Number(args.ctx),
  batchSize: 512,
  threads: { ideal: threads, min: threads },
  flashAttention: args.fa === 'auto' ? undefined : args.fa === 'on',
  batching: args.gathering
    ? { dispatchSchedule, ...shipped.batchingOptions() }
    : { dispatchSchedule, itemPrioritizationStrategy: args.strategy as 'maximumParallelism' | 'firstInFirstOut' },
});

// ---- native-call hooks ----
interface Batch {
  seqs: number;
  tokens: number;
  decodeStart: number;
  decodeEnd: number;
  samples: number;
  sampleEnd: number; // end of the last sampleToken after this decode
  sampleCallMs: number; // Σ of each sampleToken call's own wall time (queue wait included)
}
const batches: Batch[] = [];
let current: Batch | undefined;
const holder = context as unknown as { _ctx: Record<string, (...a: unknown[]) => unknown> };
const ctx = holder._ctx;
const orig = {
  initBatch: ctx.initBatch!.bind(ctx),
  addToBatch: ctx.addToBatch!.bind(ctx),
  decodeBatch: ctx.decodeBatch!.bind(ctx),
  sampleToken: ctx.sampleToken!.bind(ctx),
  setThreads: ctx.setThreads!.bind(ctx),
};
const setThreadsCalls = new Map<number, number>();
const hooks: Record<string, (...a: unknown[]) => unknown> = {
  setThreads(n: unknown) {
    setThreadsCalls.set(n as number, (setThreadsCalls.get(n as number) ?? 0) + 1);
    return orig.setThreads(n);
  },
  initBatch(n: unknown) {
    current = { seqs: 0, tokens: n as number, decodeStart: 0, decodeEnd: 0, samples: 0, sampleEnd: 0, sampleCallMs: 0 };
    return orig.initBatch(n);
  },
  addToBatch(...a: unknown[]) {
    if (current) current.seqs++;
    return orig.addToBatch(...a);
  },
  decodeBatch() {
    const batch = current!;
    batch.decodeStart = performance.now();
    const result = orig.decodeBatch() as Promise<unknown>;
    return result.finally(() => {
      batch.decodeEnd = performance.now();
      batches.push(batch);
    });
  },
  sampleToken(...a: unknown[]) {
    const batch = batches.at(-1);
    const started = performance.now();
    const result = orig.sampleToken(...a) as Promise<unknown>;
    return result.finally(() => {
      const end = performance.now();
      if (batch) {
        batch.samples++;
        batch.sampleCallMs += end - started;
        batch.sampleEnd = Math.max(batch.sampleEnd, end);
      }
    });
  },
};
holder._ctx = new Proxy(ctx, {
  get(target, property) {
    if (typeof property === 'string' && property in hooks) return hooks[property];
    const value = Reflect.get(target, property, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});

if (args['defer-requeue']) {
  // The dispatch loop then finds the queue empty after every batch, ends and releases the
  // context lock; the deferred decodes of all sequences queue in the same check phase, and the
  // last one dispatches at once (node-llama-cpp dispatches immediately when every sequence of the
  // context has queued) or on the next setImmediate.
  const { LlamaContextSequence } = await import('node-llama-cpp');
  const proto = LlamaContextSequence.prototype as unknown as { _decodeTokens: (...a: unknown[]) => Promise<unknown> };
  const original = proto._decodeTokens;
  proto._decodeTokens = async function (this: unknown, ...a: unknown[]) {
    await new Promise((resolve) => setImmediate(resolve));
    return original.apply(this, a);
  };
}

const sequences = Array.from({ length: streams }, () => context.getSequence());
if (args['yield-release']) {
  const c = context as unknown as { _queuedDecodes: unknown[]; dispatchPendingBatch(): void; __pending?: Promise<void> };
  for (const sequence of sequences) {
    const holder = sequence as unknown as { _takeIntervalCheckpointIfNeededAfterBatch: (n: number) => unknown };
    const original = holder._takeIntervalCheckpointIfNeededAfterBatch;
    holder._takeIntervalCheckpointIfNeededAfterBatch = async (n: number) => {
      await original(n);
      c.__pending ??= (async () => {
        await new Promise((resolve) => setImmediate(resolve)); // every sampled sequence re-queues
        const held = c._queuedDecodes.splice(0); // the loop sees an empty queue, ends, releases the lock
        setImmediate(() => {
          c._queuedDecodes.unshift(...held);
          c.dispatchPendingBatch(); // queued behind any waiter for the context lock
        });
        c.__pending = undefined;
      })();
      return c.__pending;
    };
  }
}

if (args.gathering && !shipped.install(context, sequences)) throw new Error('BatchGathering.install refused this node-llama-cpp');
const gathering = args.gathering ? shipped : undefined;

// ---- the streams ----
if (args['yield-after-batch']) {
  // node-llama-cpp's dispatch loop (LlamaContext.dispatchPendingBatch) decodes the next batch as
  // soon as the sampling of the current one is done and *any* decode is queued; the sequence
  // sampled last has not re-queued yet (its generator needs a few more microtask hops), so it
  // misses the batch. Each sequence's afterBatchAction is awaited by that loop after sampling:
  // making it wait one macrotask lets every sequence queue its next token first.
  for (const sequence of sequences) {
    const holder = sequence as unknown as { _takeIntervalCheckpointIfNeededAfterBatch: (n: number) => unknown };
    const original = holder._takeIntervalCheckpointIfNeededAfterBatch;
    holder._takeIntervalCheckpointIfNeededAfterBatch = (n: number) => {
      const result = original(n);
      return Promise.resolve(result).then(() => new Promise((resolve) => setImmediate(resolve)));
    };
  }
}
async function stream(i: number, tag: string, n: number): Promise<{ count: number; first: number; end: number }> {
  const sequence = sequences[i]!;
  if (i > 0 && Number(args['late-group']) > 0) await new Promise((resolve) => setTimeout(resolve, Number(args['late-group'])));
  if (Number(args.spread) > 0) await new Promise((resolve) => setTimeout(resolve, i * Number(args.spread)));
  if (i === streams - 1 && Number(args.stagger) > 0) {
    await new Promise((resolve) => setTimeout(resolve, Number(args.stagger)));
    const t = performance.now();
    await (gathering ? gathering.withContextLock(() => sequence.clearHistory()) : sequence.clearHistory());
    console.log(`stream ${i} started ${args.stagger} ms late: clearHistory (context lock) waited ${(performance.now() - t).toFixed(0)} ms`);
  } else await (gathering ? gathering.withContextLock(() => sequence.clearHistory()) : sequence.clearHistory());
  const untrack = gathering?.track(sequence);
  const prompt = model.tokenize(`<|im_start|>user\nTell me a long story about ${tag}<|im_end|>\n<|im_start|>assistant\n`, true);
  let first = 0;
  let count = 0;
  for await (const _token of sequence.evaluate(prompt, { temperature: 0 })) {
    if (count === 0) first = performance.now();
    if (++count >= n) break;
  }
  untrack?.();
  return { count, first, end: performance.now() };
}

function threadCpu(): Map<string, { name: string; ms: number }> {
  return new Map(
    readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [tid, { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: (Number(rest[11]) + Number(rest[12])) * 10 }] as const;
    }),
  );
}

async function round(rep: number) {
  batches.length = 0;
  setThreadsCalls.clear();
  const cpu0 = threadCpu();
  const started = performance.now();
  const results = await Promise.all(sequences.map((_, i) => stream(i, `rep ${rep} stream ${i}`, tokens)));
  const wall = performance.now() - started;
  const cpu1 = threadCpu();
  const total = results.reduce((sum, r) => sum + r.count, 0);
  // Decode phase only: batches after the last stream's first token, before the first stream's end.
  const decodeFrom = Math.max(...results.map((r) => r.first));
  const decodeTo = Math.min(...results.map((r) => r.end));
  const steady = batches.filter((b) => b.decodeStart >= decodeFrom && b.decodeEnd <= decodeTo);
  const gaps: number[] = [];
  for (let i = 1; i < steady.length; i++) gaps.push(steady[i]!.decodeStart - steady[i - 1]!.decodeEnd);
  const seqHist = new Map<number, number>();
  for (const b of steady) seqHist.set(b.seqs, (seqHist.get(b.seqs) ?? 0) + 1);
  const tokensInSteady = steady.reduce((s, b) => s + b.tokens, 0);
  const steadyWall = steady.length ? steady.at(-1)!.decodeEnd - steady[0]!.decodeStart : 0;
  const main = cpu1.get(String(process.pid))!.ms - (cpu0.get(String(process.pid))?.ms ?? 0);
  const workers = [...cpu1]
    .filter(([tid, t]) => tid !== String(process.pid) && t.name.startsWith('node') === false && t.ms - (cpu0.get(tid)?.ms ?? 0) > 0)
    .map(([tid, t]) => `${t.name}#${tid} ${t.ms - (cpu0.get(tid)?.ms ?? 0)}`);
  if (process.env.PROBE_DUMP)
    console.log(
      batches.map((b) => `${b.seqs}/${b.tokens}`).join(' '),
      results.map((r) => [r.count, (r.first - started).toFixed(0), (r.end - started).toFixed(0)].join('@')).join(' '),
    );
  return {
    aggregate: (total * 1000) / wall,
    wall,
    batches: batches.length,
    steady: steady.length,
    seqHist: [...seqHist]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => `${k}:${v}`)
      .join(' '),
    steadyRate: steadyWall ? (tokensInSteady * 1000) / steadyWall : 0,
    stepMs: steadyWall / Math.max(1, steady.length),
    decodeMs: median(steady.map((b) => b.decodeEnd - b.decodeStart)),
    samplePhaseMs: median(steady.map((b) => b.sampleEnd - b.decodeEnd)),
    sampleCallMs: median(steady.map((b) => b.sampleCallMs / Math.max(1, b.samples))),
    gapMs: median(gaps),
    mainCpuMs: main,
    threads: poolThreads(),
    workers: [workers.join(', '), `setThreads ${[...setThreadsCalls].map(([n, c]) => `${n}×${c}`).join(' ') || '—'}`].join('; '),
  };
}

try {
  await round(-1); // warm-up (first use pays setup)
  const rows: string[] = [];
  const aggs: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const { value: r, otherCores } = await quietly(() => round(rep));
    aggs.push(r.aggregate);
    rows.push(
      `| ${rep} | ${r.aggregate.toFixed(1)} | ${(r.wall / 1000).toFixed(2)} | ${r.batches} | ${r.seqHist} | ${r.steadyRate.toFixed(1)} | ${r.stepMs.toFixed(1)} | ${r.decodeMs.toFixed(1)} | ${r.samplePhaseMs.toFixed(2)} | ${r.sampleCallMs.toFixed(2)} | ${r.gapMs.toFixed(2)} | ${r.mainCpuMs} | ${otherCores.toFixed(2)} |`,
    );
    console.log(`rep ${rep}: ${r.workers}`);
    if (rep === reps - 1) console.log(`threads in process: ${r.threads}; CPU ms of non-node threads in last rep: ${r.workers || '—'}`);
  }
  console.log(`${streams} streams × ${tokens} tokens, ${context.currentThreads} threads: aggregate median ${median(aggs).toFixed(1)} tok/s`);
  console.log(
    '| rep | aggregate tok/s (incl. prefill) | wall s | batches | steady batches by #seqs | steady tok/s | ms/step | decodeBatch ms | sample phase ms | ms per sampleToken call | JS gap ms | main-thread CPU ms | other cores |',
  );
  console.log('| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
} finally {
  for (const s of sequences) s.dispose();
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  console.log(`load after: ${loadavg()}`);
}
