// Shared bits of the issue-7 probes (bench/probes/probe-*.ts): the bench model, llama.cpp's own tools,
// which ggml CPU variant this process mapped, and a per-call timer for node-llama-cpp's native
// context methods (decodeBatch, sampleToken, …). Diagnostic only; not part of `npm run bench`.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../llama-cpp.js';

export const MODEL_05B = '.cache/models/random-qwen2.5-0.5b-1810d81183a2efae.gguf';
export const MODEL_TINY = '.cache/models/random-tiny-cb6cddc2c91e0d01.gguf';

export function llamaCppBin(): { bin: string; env: NodeJS.ProcessEnv } {
  const bin = join(cacheRoot(), 'llama.cpp-de3ff815ea7d', 'build', 'bin');
  return { bin, env: { ...process.env, LD_LIBRARY_PATH: bin } };
}

/** llama-bench tg (decode) tok/s for each thread count, from its JSON output. */
export function llamaBenchDecode(model: string, threads: number[], n = 64, extra: string[] = []): Record<number, number> {
  const { bin, env } = llamaCppBin();
  const out = spawnSync(join(bin, 'llama-bench'), ['-m', model, '-p', '0', '-n', String(n), '-t', threads.join(','), '-r', '3', '-o', 'json', ...extra], { env, encoding: 'utf8' });
  const rows = JSON.parse(out.stdout) as { n_threads: number; avg_ts: number }[];
  return Object.fromEntries(rows.map((row) => [row.n_threads, row.avg_ts]));
}

/** The libggml-cpu-*.so this process has mapped (the CPU variant ggml picked). */
export function loadedCpuVariant(): string {
  const maps = readFileSync('/proc/self/maps', 'utf8');
  const libs = new Set([...maps.matchAll(/\/(libggml-cpu[^/\s]*\.so)/g)].map((m) => m[1]));
  return [...libs].join(', ') || '(none mapped)';
}

export interface CallStats {
  calls: number;
  totalMs: number;
}

/** Wraps methods of node-llama-cpp's native context (`context._ctx`) to time each call. */
export function timeNativeCalls(context: unknown, names: string[]): { stats: Map<string, CallStats>; reset(): void } {
  // The native object's methods are read-only: put a proxy in its place on the JS context.
  const holder = context as { _ctx: Record<string, unknown> };
  const ctx = holder._ctx;
  const stats = new Map<string, CallStats>(names.map((name) => [name, { calls: 0, totalMs: 0 }]));
  const wrapped = new Map<string, unknown>();
  for (const name of names) {
    const original = (ctx[name] as (...args: unknown[]) => unknown).bind(ctx);
    wrapped.set(name, (...args: unknown[]) => {
      const started = performance.now();
      const result = original(...args);
      const done = () => {
        const entry = stats.get(name)!;
        entry.calls++;
        entry.totalMs += performance.now() - started;
      };
      if (result instanceof Promise) return result.finally(done);
      done();
      return result;
    });
  }
  holder._ctx = new Proxy(ctx, {
    get(target, property) {
      if (typeof property === 'string' && wrapped.has(property)) return wrapped.get(property);
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(target, property, value) {
      if (typeof property === 'string' && names.includes(property)) {
        wrapped.set(property, value);
        return true;
      }
      return Reflect.set(target, property, value, target);
    },
  });
  return {
    stats,
    reset() {
      for (const entry of stats.values()) {
        entry.calls = 0;
        entry.totalMs = 0;
      }
    },
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** node-llama-cpp from this repo's node_modules, or from another install (`--nlc <dir>`, e.g. an isolated source build). */
export async function importNodeLlamaCpp(dir?: string): Promise<typeof import('node-llama-cpp')> {
  if (!dir) return import('node-llama-cpp');
  const { pathToFileURL } = await import('node:url');
  return import(pathToFileURL(join(dir, 'node_modules', 'node-llama-cpp', 'dist', 'index.js')).href);
}

function systemTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/** This process's CPU ticks plus those of its reaped children. */
function selfTicks(): number {
  const rest = readFileSync('/proc/self/stat', 'utf8');
  const fields = rest.slice(rest.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
}

/**
 * Runs `measure` until other processes kept at most `maxOther` cores busy during it (up to
 * `tries` times, pausing between). Returns the result and the cores others used.
 */
export async function quietly<T>(measure: () => Promise<T> | T, { maxOther = 0.3, tries = 6 } = {}): Promise<{ value: T; otherCores: number; tries: number }> {
  const { cpus } = await import('node:os');
  let last: { value: T; otherCores: number; tries: number } | undefined;
  for (let attempt = 1; attempt <= tries; attempt++) {
    const before = { ...systemTicks(), self: selfTicks() };
    const value = await measure();
    const after = { ...systemTicks(), self: selfTicks() };
    const total = after.total - before.total;
    const other = total > 0 ? (Math.max(0, after.busy - before.busy - (after.self - before.self)) / total) * cpus().length : 0;
    last = { value, otherCores: other, tries: attempt };
    if (other <= maxOther) return last;
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  return last!;
}
