// llama.cpp's llama-bench: the engine's ceiling on this machine (no server, no HTTP).

import { spawn } from 'node:child_process';
import { cpuUse, selfAndChildrenSample } from './cpu.js';
import type { LlamaCppTools } from './llama-cpp.js';

export interface LlamaBenchResult {
  command: string;
  /** pp<N>: prompt tokens per second. */
  prefillTps: number;
  prefillStd: number;
  /** tg<N>: generated tokens per second. */
  decodeTps: number;
  decodeStd: number;
  /** Cores other processes kept busy while it ran (undefined without /proc). */
  otherCores?: number;
}

export interface LlamaBenchOptions {
  model: string;
  prompt: number;
  generate: number;
  threads: number;
  batch: number;
  flashAttention: 'auto' | 'on' | 'off';
  repetitions: number;
  /** How to show the model path in the reported command. */
  displayModel?: string;
}

export async function runLlamaBench(tools: LlamaCppTools, options: LlamaBenchOptions): Promise<LlamaBenchResult> {
  const args = [
    '-m',
    options.model,
    '-p',
    String(options.prompt),
    '-n',
    String(options.generate),
    '-t',
    String(options.threads),
    '-b',
    String(options.batch),
    '-ub',
    String(options.batch),
    '-fa',
    options.flashAttention,
    '-r',
    String(options.repetitions),
    '-o',
    'json',
  ];
  const before = selfAndChildrenSample();
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve, reject) => {
    const child = spawn(tools.bench, args, { env: tools.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString('utf8')));
    child.stderr.on('data', (data: Buffer) => (err += data.toString('utf8')));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ stdout: out, stderr: err, code: exitCode }));
  });
  const use = cpuUse(before, selfAndChildrenSample());
  if (code !== 0) throw new Error(`llama-bench failed (exit ${code}):\n${stderr.slice(-2000)}`);
  const rows = JSON.parse(stdout) as Array<{ n_prompt: number; n_gen: number; avg_ts: number; stddev_ts: number }>;
  const pp = rows.find((row) => row.n_prompt === options.prompt && row.n_gen === 0);
  const tg = rows.find((row) => row.n_gen === options.generate && row.n_prompt === 0);
  if (!pp || !tg) throw new Error(`llama-bench output lacks pp${options.prompt} or tg${options.generate}:\n${stdout.slice(0, 2000)}`);
  return {
    command: ['llama-bench', ...args].map((arg) => (arg === options.model ? (options.displayModel ?? arg) : arg)).join(' '),
    prefillTps: pp.avg_ts,
    prefillStd: pp.stddev_ts,
    decodeTps: tg.avg_ts,
    decodeStd: tg.stddev_ts,
    ...(use ? { otherCores: use.otherCores } : {}),
  };
}
