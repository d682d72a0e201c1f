// An opt-in llama.cpp build for this machine's CPU, made from the llama.cpp source node-llama-cpp
// ships (its git bundle: nothing is downloaded), with two CMake options:
//   GGML_NATIVE  kernels compiled for this CPU (-march=native) instead of the prebuilt variants;
//   GGML_OPENMP  OpenMP threads, whose barrier spins and then sleeps, instead of ggml's own
//                threads, created for every graph and spinning until the others arrive.
// Measured on 2 cores (docs/benchmarks.md): flash-attention prefill at depth 1.85× faster; decode
// the same on a quiet machine, and far steadier when another process competes for the cores.
// node-llama-cpp keeps local builds under its own folder, keyed by these options: the engine asks
// for them and falls back to the prebuilt binary when no such build exists.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const NATIVE_CMAKE_OPTIONS: Record<string, string> = { GGML_NATIVE: 'ON', GGML_OPENMP: 'ON' };

export interface NativeBuildInvocation {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * node-llama-cpp's own `source download` command (clone from the bundled source, then compile),
 * CPU only, with our options passed the way its CLI reads them (NODE_LLAMA_CPP_CMAKE_OPTION_*).
 */
export function nativeBuildInvocation(env: NodeJS.ProcessEnv = process.env): NativeBuildInvocation {
  const entry = createRequire(import.meta.url).resolve('node-llama-cpp');
  const cli = join(dirname(entry), 'cli', 'cli.js');
  const buildEnv: NodeJS.ProcessEnv = { ...env };
  for (const [name, value] of Object.entries(NATIVE_CMAKE_OPTIONS)) buildEnv[`NODE_LLAMA_CPP_CMAKE_OPTION_${name}`] = value;
  // Under CI=true node-llama-cpp's CLI switches to its own release-making behaviour.
  delete buildEnv.CI;
  return { command: process.execPath, args: [cli, 'source', 'download', '--gpu', 'false', '--noUsageExample'], env: buildEnv };
}
