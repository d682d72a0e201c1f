// Builds the conformance oracle: test/conformance/oracle/harness.cpp compiled against the
// llama.cpp tree built by bench/llama-cpp.ts (same commit as our engine), linked to its
// shared `llama-common` and `llama` libraries.
//
// Output: <cache root>/llama.cpp-<commit12>/oracle/chat-oracle (outside the repo).
// Rebuilt only when the harness source or the libraries change (a stamp file records a hash).
// A compile takes ~6 s; the first llama.cpp build (done by ensureLlamaCpp) ~15 min.
//
//   npx tsx test/conformance/build-oracle.ts     # prints the path of the oracle binary

import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLlamaCpp } from '../../bench/llama-cpp.js';

const here = dirname(fileURLToPath(import.meta.url));
export const harnessSource = join(here, 'oracle', 'harness.cpp');

export interface Oracle {
  /** The oracle executable. */
  binary: string;
  /** llama.cpp commit it was built against. */
  commit: string;
  /** The llama.cpp source tree. */
  llamaDir: string;
  /** Environment to spawn it with (finds the shared libraries). */
  env: NodeJS.ProcessEnv;
}

export interface OracleResult {
  content: string;
  reasoning_content: string;
  tool_calls: { name: string; arguments: string }[];
}

export interface OracleOutput {
  format: string;
  handler?: string;
  thinking_forced_open: boolean;
  supports_thinking: boolean;
  thinking_start_tag: string;
  thinking_end_tags: string[];
  generation_prompt: string;
  generation_prompt_tail: string;
  results: (OracleResult | { error: string })[];
  fatal?: string;
}

export interface OracleInput {
  template: string;
  bos_token: string;
  eos_token: string;
  tools: unknown[];
  messages: unknown[];
  enable_thinking?: boolean;
  outputs: string[];
}

const LIBS = ['libllama-common.so', 'libllama.so'];

export async function ensureOracle(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<Oracle> {
  const tools = await ensureLlamaCpp(log);
  const dir = tools.dir;
  const bin = join(dir, 'build', 'bin');
  if (!LIBS.every((lib) => existsSync(join(bin, lib)))) {
    log('llama.cpp: building the llama-common library');
    execFileSync('cmake', ['--build', 'build', '-j', '2', '--target', 'llama-common'], { cwd: dir, stdio: 'inherit' });
  }

  const outDir = join(dir, 'oracle');
  const binary = join(outDir, 'chat-oracle');
  const hash = createHash('sha256');
  hash.update(readFileSync(harnessSource));
  for (const lib of LIBS) hash.update(`${lib}:${statSync(join(bin, lib)).mtimeMs}`);
  const stamp = hash.digest('hex');
  const stampFile = join(outDir, 'chat-oracle.stamp');
  const oracle: Oracle = {
    binary,
    commit: tools.commit,
    llamaDir: dir,
    env: { ...process.env, LD_LIBRARY_PATH: [bin, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
  };
  if (existsSync(binary) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return oracle;

  mkdirSync(outDir, { recursive: true });
  const cxx = process.env.CXX ?? 'g++';
  const temp = `${binary}.tmp-${process.pid}`;
  const args = [
    '-std=c++17',
    '-O1',
    `-I${join(dir, 'common')}`,
    `-I${join(dir, 'include')}`,
    `-I${join(dir, 'ggml', 'include')}`,
    `-I${join(dir, 'vendor')}`,
    harnessSource,
    '-o',
    temp,
    `-L${bin}`,
    '-lllama-common',
    '-lllama',
    '-lggml',
    '-lggml-base',
    // RPATH (not RUNPATH) so the libraries' own dependencies resolve too.
    '-Wl,--disable-new-dtags',
    `-Wl,-rpath,${bin}`,
  ];
  log(`oracle: ${cxx} ${args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}`);
  const started = Date.now();
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(cxx, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`${cxx} exited with ${code}`))));
  });
  renameSync(temp, binary);
  writeFileSync(stampFile, stamp);
  log(`oracle: built ${binary} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return oracle;
}

/** Runs the oracle on one template and its outputs. */
export function runOracle(oracle: Oracle, input: OracleInput, logFile?: string): Promise<OracleOutput> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(oracle.binary, logFile ? [logFile] : [], { env: oracle.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        const parsed = JSON.parse(stdout) as OracleOutput;
        resolvePromise(parsed);
      } catch {
        reject(new Error(`oracle exited with ${code}: ${stderr.slice(-2000)}\n${stdout.slice(0, 2000)}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const oracle = await ensureOracle();
  console.log(oracle.binary);
}
