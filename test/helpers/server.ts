// Starts a real llama-bridge server in this process on a free loopback port, with the
// same code path as `llama-bridge serve` (flags → Config → startServer), and stops it after the tests.
import pino from 'pino';
import { buildConfig, type ConfigInput } from '../../src/config/config.js';
import { flagsToInput, type ServeFlags } from '../../src/config/flags.js';
import type { RoutedCache } from '../../src/routing/types.js';
import { startServer, type RunningServer } from '../../src/server/start.js';

export type { RunningServer } from '../../src/server/start.js';

/** `serve`'s flags, plus the `[[cache]]` list a config file would give. */
export type TestServerOptions = ServeFlags & { caches?: RoutedCache[]; cacheRemotes?: ConfigInput['cacheRemotes'] };

export async function startTestServer({ caches, cacheRemotes, ...flags }: TestServerOptions): Promise<RunningServer> {
  const logger = pino({ level: process.env.LLAMA_BRIDGE_TEST_LOG ?? 'warn' }, pino.destination(2));
  // One thread per model: test files run in parallel on small machines, and llama.cpp's
  // spinning threads slow to a crawl when they outnumber the cores.
  const input = flagsToInput({ port: 0, nThreads: 1, shutdownGraceMs: 2_000, ...flags });
  return startServer(buildConfig({ ...input, ...(caches ? { caches } : {}), ...(cacheRemotes ? { cacheRemotes } : {}) }), logger);
}
