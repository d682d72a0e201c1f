// How deep a request's JSON may nest. Everything recursive downstream — zod's JSON schemas, the
// Jinja interpreter's `tojson`, the JSON-schema → grammar converter — runs on the JS stack, and a
// few thousand levels of `{"a":{"a":…}}` overflowed it: the request failed with a 500 "Maximum
// call stack size exceeded" instead of a 400 naming the field (issue 15). Real requests nest a
// few levels (Claude Code's deepest tool schema: 8); 128 leaves room for any honest document.

import type { Path } from './zod-issues.js';

export const MAX_JSON_DEPTH = 128;

/**
 * The path of the first object or array that sits `limit` containers deep (so the value nests
 * more than `limit` levels: `{}` is one level, `{"a": []}` two), or undefined when none does.
 * Iterative, so it never overflows the stack it protects.
 */
export function tooDeepAt(value: unknown, limit = MAX_JSON_DEPTH): Path | undefined {
  const stack: { value: unknown; path: Path }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (path.length >= limit) return path;
    const entries: [PropertyKey, unknown][] = Array.isArray(current) ? current.map((item, index) => [index, item]) : Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], path: [...path, entries[i]![0]] });
  }
  return undefined;
}

/** How much of a too-deep path errors show: enough to name the request field, not 128 keys. */
export const SHOWN_PATH_KEYS = 6;

/** The field a too-deep path names in an error: its first keys, then `…` (each API formats paths its own way). */
export function tooDeepParam(path: Path, formatPath: (path: Path) => string): string {
  return path.length > SHOWN_PATH_KEYS ? `${formatPath(path.slice(0, SHOWN_PATH_KEYS))}…` : formatPath(path);
}

/** The message both APIs give for a value nested too deep. */
export function tooDeepMessage(param: string, limit = MAX_JSON_DEPTH): string {
  return `${param}: nested more than ${limit} levels deep`;
}
