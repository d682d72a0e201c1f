#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` runs via prepare).
//
// CommonJS on purpose: libuv's thread pool starts with the first asynchronous file read, and an
// ES module entry is itself read that way, before any of its code runs. A CommonJS entry is
// read synchronously, so the line below still comes first. One worker unless the user chose
// otherwise: node-llama-cpp decodes on that pool, and more workers than needed slow decoding
// on few cores. Measured on 2 cores (docs/benchmarks.md, "Where the time goes"): with 4
// workers llama.cpp's two compute threads fall out of step and spin in ggml_barrier, and
// decoding through the server ran at 0.73× llama-server's speed; with 1 worker at 0.95×.
process.env.UV_THREADPOOL_SIZE ??= '1';

const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const compiled = join(__dirname, '..', 'dist', 'cli', 'bin.js');
if (!existsSync(compiled)) {
  process.stderr.write('llama-bridge is not built yet: run `npm run build` (or `npm ci`, which builds it).\n');
  process.exit(1);
}
import(pathToFileURL(compiled).href);
