// llama.cpp's own server, as `npm run bench` builds it from the source node-llama-cpp ships
// (~/.cache/llama-bridge/llama.cpp-<commit>/build/bin; ~15 min on 2 cores, done once). Tests
// against the real server run when that build is present; CI, which does not build it, runs
// the same checks against test/fixtures/fake-llama-server.ts.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleCommit, cacheRoot } from '../../bench/llama-cpp.js';
import { freePort } from '../../bench/servers.js';

/** The built llama-server, or undefined when `npm run bench` has not built it here. */
export function builtLlamaServer(): string | undefined {
  try {
    const path = join(cacheRoot(), `llama.cpp-${bundleCommit().slice(0, 12)}`, 'build', 'bin', 'llama-server');
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

export interface RealLlamaServer {
  url: string;
  /** Its log so far (stdout and stderr). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts llama-server on a free loopback port with `slots` slots of `slotContext` tokens; resolves once /health answers 200. */
export async function startRealLlamaServer(binary: string, model: string, options: { slots: number; slotContext: number; extraArgs?: string[] }): Promise<RealLlamaServer> {
  const port = await freePort();
  const args = [
    '-m',
    model,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '-t',
    '1',
    '--parallel',
    String(options.slots),
    '--no-kv-unified',
    '-c',
    String(options.slots * options.slotContext),
    '--no-webui',
    ...(options.extraArgs ?? []),
  ];
  const bin = dirname(binary);
  const child: ChildProcess = spawn(binary, args, {
    env: { ...process.env, LD_LIBRARY_PATH: [bin, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (data: Buffer) => (log += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (log += data.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server exited (${child.exitCode}):\n${log.slice(-2000)}`);
    const ok = await fetch(`${url}/health`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) return { url, log: () => log, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`llama-server did not become healthy:\n${log.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
