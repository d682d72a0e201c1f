// The installed version of a dependency, for the two we depend on the internals of
// (node-llama-cpp in engine/batch-gathering.ts, @huggingface/jinja in chat/template/).
// Both hide package.json behind `exports`, so it is found from the resolved main entry.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const found = new Map<string, string>();

/** The version of `name` this process loads, from its package.json ('unknown' if not found). */
export function installedPackageVersion(name: string): string {
  let version = found.get(name);
  if (version === undefined) {
    version = readVersion(name);
    found.set(name, version);
  }
  return version;
}

function readVersion(name: string): string {
  let folder: string;
  try {
    folder = dirname(createRequire(import.meta.url).resolve(name));
  } catch {
    return 'unknown';
  }
  for (;;) {
    const file = join(folder, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === name && typeof manifest.version === 'string') return manifest.version;
    }
    const parent = dirname(folder);
    if (parent === folder) return 'unknown';
    folder = parent;
  }
}
