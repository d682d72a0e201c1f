// The installed version of a dependency, for the two we depend on the internals of
// (node-llama-cpp in engine/batch-gathering.ts, @huggingface/jinja in chat/template/).
// Both hide package.json behind `exports`, so it is found from the resolved main entry (also
// how the status page finds the browser files of the libraries it serves).

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
  const folder = installedPackageDir(name);
  if (folder === undefined) return 'unknown';
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}

/** The folder `name` is installed in (the one holding its package.json), or undefined if it is not installed. */
export function installedPackageDir(name: string): string | undefined {
  let folder: string;
  try {
    folder = dirname(createRequire(import.meta.url).resolve(name));
  } catch {
    return undefined;
  }
  for (;;) {
    const file = join(folder, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown };
      if (manifest.name === name) return folder;
    }
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}
