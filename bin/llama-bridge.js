#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` runs via prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/cli/bin.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write('llama-bridge is not built yet: run `npm run build` (or `npm ci`, which builds it).\n');
  process.exit(1);
}
await import(compiled.href);
