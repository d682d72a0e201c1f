// The @huggingface/jinja version our interpreter was measured against, checked when a
// ChatTemplate is created.
//
// CompatInterpreter (interpreter.ts) subclasses the library's Interpreter and relies on its
// internals: node shapes (ast.ts), value classes (jinja.ts), the private evaluateBlock it
// replaces. A release may change any of them without a major version, so package.json pins the
// library exactly and a different installed version fails loudly at startup instead of
// rendering prompts subtly wrong.
//
// Before an upgrade: install the new version, set MEASURED_JINJA_VERSION to it, and re-run
//   npx vitest run src/chat/template.test.ts   (70 real templates against Python Jinja2's
//                                               output in src/chat/template/golden/jinja2-golden.json)
//   npx vitest run test/conformance/           (our rendering and parsing against llama.cpp's)
// Keep the upgrade only if both pass; then pin the new version exactly in package.json.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FatalError } from '../../errors.js';

const PACKAGE = '@huggingface/jinja';

/** The version CompatInterpreter was last verified against (see the header for how). */
export const MEASURED_JINJA_VERSION = '0.5.11';

let installedVersion: string | undefined;

/** The version of @huggingface/jinja this process loads, from its package.json ('unknown' if not found). */
export function installedJinjaVersion(): string {
  installedVersion ??= readInstalledVersion();
  return installedVersion;
}

function readInstalledVersion(): string {
  const require = createRequire(import.meta.url);
  try {
    return (require(`${PACKAGE}/package.json`) as { version: string }).version;
  } catch {
    // Its `exports` hide package.json: look it up from the resolved main entry.
  }
  let folder = dirname(require.resolve(PACKAGE));
  for (;;) {
    const file = join(folder, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === PACKAGE && typeof manifest.version === 'string') return manifest.version;
    }
    const parent = dirname(folder);
    if (parent === folder) return 'unknown';
    folder = parent;
  }
}

/** Throws unless `installed` (by default the version this process loads) is the measured one. */
export function checkJinjaVersion(installed: string = installedJinjaVersion()): void {
  if (installed === MEASURED_JINJA_VERSION) return;
  throw new FatalError(
    `${PACKAGE} ${installed} is installed, but the chat template interpreter (src/chat/template/interpreter.ts) subclasses its internals ` +
      `and was measured against ${MEASURED_JINJA_VERSION}. Install ${PACKAGE}@${MEASURED_JINJA_VERSION} (pinned in package.json), or, to upgrade, ` +
      `set MEASURED_JINJA_VERSION in src/chat/template/jinja-version.ts to ${installed} and re-run ` +
      `\`npx vitest run src/chat/template.test.ts\` (the Jinja2 golden file src/chat/template/golden/jinja2-golden.json) and \`npx vitest run test/conformance/\`.`,
  );
}
