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

import { FatalError } from '../../errors.js';
import { installedPackageVersion } from '../../package-version.js';

const PACKAGE = '@huggingface/jinja';

/** The version CompatInterpreter was last verified against (see the header for how). */
export const MEASURED_JINJA_VERSION = '0.5.11';

/** The version of @huggingface/jinja this process loads ('unknown' if not found). */
export function installedJinjaVersion(): string {
  return installedPackageVersion(PACKAGE);
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
