// Starts a real llama-bridge server in this process on a free loopback port, with the
// same code path as `llama-bridge serve`, and stops it after the tests.
import pino from 'pino';
import { DEFAULT_SERVE_OPTIONS, startServer, type RunningServer, type ServeOptions } from '../../src/cli/serve.js';

export async function startTestServer(options: Partial<ServeOptions>): Promise<RunningServer> {
  const logger = pino({ level: process.env.LLAMA_BRIDGE_TEST_LOG ?? 'warn' }, pino.destination(2));
  // One thread per model: test files run in parallel on small machines, and llama.cpp's
  // spinning threads slow to a crawl when they outnumber the cores.
  return startServer({ ...DEFAULT_SERVE_OPTIONS, port: 0, nThreads: 1, shutdownGraceMs: 2_000, ...options }, logger);
}
