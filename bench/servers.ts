// Starts the servers under test as child processes and makes sure none outlives the bench:
// each runs in its own process group (npx/tsx start grandchildren), killed on stop, on
// errors, on Ctrl-C and at exit.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForHealth } from './http-client.js';
import type { LlamaCppTools } from './llama-cpp.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerConfig {
  model: string;
  threads: number;
  parallel: number;
  /** Context tokens per slot. */
  slotContext: number;
  batch: number;
  /** 'auto' = each tool's default (llama.cpp decides; our CLI has no 'auto' value, so the flag is left out). */
  flashAttention: 'auto' | 'on' | 'off';
  /** Chat template file passed on the command line (only when the model carries none). */
  chatTemplateFile?: string;
  /** More flags, appended to the command line (e.g. speculative decoding settings). */
  extraArgs?: string[];
  /** Name of the log file in the log folder (default: the server's name), so several variants keep their logs. */
  logName?: string;
}

export interface RunningServer {
  name: string;
  baseUrl: string;
  command: string;
  logFile: string;
  /** Process group id (the whole server tree), for CPU accounting. */
  pgid: number | undefined;
  /** Seconds from spawn to /health 200. */
  startSeconds: number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const child of running) killGroup(child, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const child of running) killGroup(child, 'SIGKILL');
      process.exit(130);
    });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** The command as a reader would type it: repo-relative model path, $PORT for the random port. */
function displayCommand(argv: string[], port: number, model: string): string {
  const shown = (path: string): string => {
    const inRepo = relative(repoRoot, path);
    return inRepo.startsWith('..') ? path : inRepo;
  };
  return argv
    .map((arg) => (arg === model || (arg.startsWith(repoRoot) && arg.endsWith('.gguf')) ? shown(arg) : arg))
    .map((arg) => (arg === String(port) ? '$PORT' : quote(arg)))
    .join(' ');
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

async function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; logDir: string; logName?: string; port: number; timeoutMs: number; displayCommand: string },
): Promise<RunningServer> {
  installExitHooks();
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, `${options.logName ?? name}.log`);
  const log = createWriteStream(logFile);
  const spawnedAt = performance.now();
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: options.env ?? process.env,
    detached: true, // own process group, so the whole tree can be killed
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = `${name} exited (code ${code}, signal ${signal}) before it was ready; see ${logFile}:\n${tail(logFile)}`;
      running.delete(child);
      resolve();
    });
    child.on('error', (error) => {
      exited = `${name} could not start: ${error.message}`;
      running.delete(child);
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
      await exitedPromise;
      clearTimeout(timer);
    }
    // Grandchildren (node under npx/tsx) share the group: make sure they are gone too.
    killGroup(child, 'SIGKILL');
    log.end();
  };

  const baseUrl = `http://127.0.0.1:${options.port}`;
  try {
    await waitForHealth(baseUrl, options.timeoutMs, () => exited);
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, baseUrl, command: options.displayCommand, logFile, pgid: child.pid, startSeconds: (performance.now() - spawnedAt) / 1000, stop };
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Our server as users run it (`npx llama-bridge serve …`): the built bin, `bin/llama-bridge.cjs`,
 * which runs `dist/` with one libuv worker. Compiles `dist/` first (a few seconds), so the bench
 * measures the code in the working tree, and no `tsx` loader sits in the process's memory.
 */
export async function startOurs(config: ServerConfig, logDir: string, timeoutMs = 300_000, build = true): Promise<RunningServer> {
  if (build) buildOurs();
  const port = await freePort();
  const args = [
    'serve',
    '--model',
    config.model,
    '--port',
    String(port),
    '--n-threads',
    String(config.threads),
    '--parallel',
    String(config.parallel),
    '--n-ctx',
    String(config.slotContext),
    '--n-batch',
    String(config.batch),
    ...(config.flashAttention === 'auto' ? [] : ['--flash-attn', config.flashAttention]),
    '--log-level',
    'warn',
    ...(config.chatTemplateFile ? ['--chat-template-file', config.chatTemplateFile] : []),
    ...(config.extraArgs ?? []),
  ];
  const display = displayCommand(['npx', 'llama-bridge', ...args], port, config.model);
  return startProcess('llama-bridge', process.execPath, [join(repoRoot, 'bin', 'llama-bridge.cjs'), ...args], {
    logDir,
    logName: config.logName,
    port,
    timeoutMs,
    displayCommand: display,
  });
}

/** Compiles `dist/` (what `bin/llama-bridge.cjs` runs) from the working tree. */
export function buildOurs(): void {
  execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(repoRoot, 'tsconfig.build.json')], { cwd: repoRoot, stdio: 'inherit' });
}

/** `llama-bridge serve --help` of the built bin (after buildOurs), to see which flags this build has. */
export function oursServeHelp(): string {
  return execFileSync(process.execPath, [join(repoRoot, 'bin', 'llama-bridge.cjs'), 'serve', '--help'], { cwd: repoRoot, encoding: 'utf8' });
}

/**
 * llama.cpp's llama-server with the same slots and per-slot context as ours:
 * with --no-kv-unified, -c is the total context split evenly over the --parallel slots.
 */
export async function startLlamaServer(tools: LlamaCppTools, config: ServerConfig, logDir: string, timeoutMs = 300_000): Promise<RunningServer> {
  const port = await freePort();
  const args = [
    '-m',
    config.model,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--jinja',
    '-t',
    String(config.threads),
    '-tb',
    String(config.threads),
    '--parallel',
    String(config.parallel),
    '--no-kv-unified',
    '-c',
    String(config.slotContext * config.parallel),
    '-b',
    String(config.batch),
    '-ub',
    String(config.batch),
    '-fa',
    config.flashAttention,
    '--no-webui',
    ...(config.chatTemplateFile ? ['--chat-template-file', config.chatTemplateFile] : []),
    ...(config.extraArgs ?? []),
  ];
  const display = displayCommand(['llama-server', ...args], port, config.model);
  return startProcess('llama-server', tools.server, args, { env: tools.env, logDir, logName: config.logName, port, timeoutMs, displayCommand: display });
}

/** Per-slot context llama-server actually configured, read from its log (`n_ctx_slot = N`). */
export function llamaServerSlotContext(logFile: string): number | undefined {
  try {
    const match = /n_ctx_slot\s*=\s*(\d+)/.exec(readFileSync(logFile, 'utf8')) ?? /new slot.*n_ctx\s*=\s*(\d+)/.exec(readFileSync(logFile, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
