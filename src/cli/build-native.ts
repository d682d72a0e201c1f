// `llama-bridge build-native`: compile llama.cpp for this machine's CPU (see
// src/engine/native-build.ts for what and why). `serve` uses the result from then on.
import type { Command } from '@commander-js/extra-typings';
import { spawn } from 'node:child_process';
import { FatalError } from '../errors.js';
import { NATIVE_CMAKE_OPTIONS, nativeBuildInvocation } from '../engine/native-build.js';

export function registerBuildNative(program: Command): void {
  program
    .command('build-native')
    .description("Build llama.cpp for this CPU from node-llama-cpp's bundled source (CPU only; 15–20 min on 2 cores; needs cmake and a C++ compiler, no network)")
    .addHelpText(
      'after',
      `\nOptions passed to CMake: ${Object.entries(NATIVE_CMAKE_OPTIONS).map(([name, value]) => `${name}=${value}`).join(' ')}.` +
        '\n`serve` then logs "llama.cpp: the native build for this CPU"; `serve --no-native-build` goes back to the prebuilt binary.' +
        '\nMeasured gains and costs: docs/benchmarks.md.',
    )
    .action(async () => {
      await buildNative();
    });
}

export async function buildNative(): Promise<void> {
  const { command, args, env } = nativeBuildInvocation();
  process.stderr.write(`Building llama.cpp for this CPU with node-llama-cpp (${Object.entries(NATIVE_CMAKE_OPTIONS).map(([name, value]) => `${name}=${value}`).join(', ')}). This takes a while.\n`);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
  });
  if (code !== 0) throw new FatalError(`node-llama-cpp's build failed (exit code ${code}); its output above says why. The prebuilt binary stays in use.`);
  process.stderr.write('Done: `llama-bridge serve` now runs this build (it says so at start); `--no-native-build` runs the prebuilt one.\n');
}
