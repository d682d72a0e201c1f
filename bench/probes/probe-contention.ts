// Issue 7 probe: single-stream decode while another process keeps one core busy, node-llama-cpp's
// prebuilt binary vs a native build (GGML_NATIVE, GGML_OPENMP). The
// prebuilt ggml has no persistent thread pool and a pure spin barrier: when a third runnable
// thread competes for 2 cores it collapsed to 2–10 tok/s in earlier probes; libgomp's barrier
// spins, then sleeps.
//
//   UV_THREADPOOL_SIZE=1 npx tsx bench/probes/probe-contention.ts [--build prebuilt|native] [--openmp on|off] [--tokens 64] [--reps 3] [--hogs 1]
//
// Run it once per build (each in its own process: one node-llama-cpp binary per process).
// `--build native` needs a local build of node-llama-cpp with those CMake options, made in that
// checkout (it replaces node_modules/node-llama-cpp/llama/llama.cpp; ~3.3 min on 2 cores):
//   env -u CI NODE_LLAMA_CPP_CMAKE_OPTION_GGML_NATIVE=ON NODE_LLAMA_CPP_CMAKE_OPTION_GGML_OPENMP=ON \
//     npx --no node-llama-cpp source download --gpu false

import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { loadavg, median, MODEL_05B } from './probe-common.js';

const { values: args } = parseArgs({
  options: {
    build: { type: 'string', default: 'prebuilt' },
    tokens: { type: 'string', default: '64' },
    reps: { type: 'string', default: '3' },
    hogs: { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
    openmp: { type: 'string', default: 'on' },
  },
});
const NATIVE_CMAKE_OPTIONS = { GGML_NATIVE: 'ON', GGML_OPENMP: args.openmp === 'off' ? 'OFF' : 'ON' };
const threads = Number(args.threads);
const llama = await getLlama({
  build: 'never',
  logLevel: LlamaLogLevel.warn,
  ...(args.build === 'native' ? { gpu: false, cmakeOptions: NATIVE_CMAKE_OPTIONS } : {}),
});
if (args.build === 'native' && llama.buildType !== 'localBuild')
  throw new Error(`no local build with ${JSON.stringify(NATIVE_CMAKE_OPTIONS)} in this checkout (see the command at the top of this file)`);
llama.maxThreads = threads;
const model = await llama.loadModel({ modelPath: MODEL_05B });
const context = await model.createContext({ contextSize: 2048, threads: { ideal: threads, min: threads } });
const sequence = context.getSequence();

async function decodeRate(rep: number): Promise<number> {
  await sequence.clearHistory();
  let count = 0;
  let first = 0;
  for await (const _token of sequence.evaluate(model.tokenize(`Story ${rep}: once upon a time`), { temperature: 0, yieldEogToken: true })) {
    if (count === 0) first = performance.now();
    if (++count >= Number(args.tokens)) break;
  }
  return ((count - 1) * 1000) / (performance.now() - first);
}

const hogProcesses: ChildProcess[] = [];
const rows: string[] = [];
try {
  await decodeRate(-1); // warm-up
  for (const hogs of [0, Number(args.hogs)]) {
    for (let i = 0; i < hogs; i++) hogProcesses.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const rates: number[] = [];
    for (let rep = 0; rep < Number(args.reps); rep++) rates.push(await decodeRate(rep));
    rows.push(
      `${args.build} (${llama.buildType}), ${hogs} busy process(es): ${rates.map((r) => r.toFixed(1)).join(', ')} tok/s (median ${median(rates).toFixed(1)}); load ${loadavg()}`,
    );
    for (const hog of hogProcesses.splice(0)) hog.kill('SIGKILL');
  }
} finally {
  for (const hog of hogProcesses) hog.kill('SIGKILL');
  sequence.dispose();
  await context.dispose();
  await model.dispose();
  await llama.dispose();
}
for (const row of rows) console.log(row);
