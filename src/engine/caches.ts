// Checks a list of cache specs and names the default one. Used by the engines (which cache
// serves a request that names none), the router and the config (which check the same list).

import { FatalError } from '../errors.js';
import type { CacheSpec } from './types.js';

/** The cache the server has when none are configured: today's `--parallel` / `--n-ctx` / `--queue-size`. */
export const DEFAULT_CACHE_NAME = 'default';

export function singleCache(slots: number, contextSize: number, queueSize: number): CacheSpec {
  return { name: DEFAULT_CACHE_NAME, slots, contextSize, queueSize, default: true };
}

/**
 * Throws a FatalError naming the problem: no caches, an empty or repeated name, a bad size, or
 * more than one cache marked `default`. When no cache says `default`, the first one is the
 * default (so a config listing only a main cache and rules for others needs no flag).
 */
export function validateCaches(specs: readonly CacheSpec[]): void {
  if (specs.length === 0) throw new FatalError('At least one cache must be configured.');
  const seen = new Set<string>();
  for (const spec of specs) {
    if (!spec.name || !/^[\w.-]+$/.test(spec.name)) {
      throw new FatalError(`Cache name "${spec.name}" is not valid: use letters, digits, "_", "-" or ".".`);
    }
    if (seen.has(spec.name)) throw new FatalError(`Cache "${spec.name}" is configured twice: cache names must be unique.`);
    seen.add(spec.name);
    if (!Number.isInteger(spec.slots) || spec.slots < 1) throw new FatalError(`Cache "${spec.name}": slots must be a whole number ≥ 1, not ${spec.slots}.`);
    if (!Number.isInteger(spec.contextSize) || spec.contextSize < 0) {
      throw new FatalError(`Cache "${spec.name}": contextSize must be a whole number ≥ 0 (0 = the model's training context), not ${spec.contextSize}.`);
    }
    if (!Number.isInteger(spec.queueSize) || spec.queueSize < 0) throw new FatalError(`Cache "${spec.name}": queueSize must be a whole number ≥ 0, not ${spec.queueSize}.`);
  }
  const defaults = specs.filter((spec) => spec.default);
  if (defaults.length > 1) {
    throw new FatalError(`Only one cache can be the default, but ${defaults.map((spec) => `"${spec.name}"`).join(' and ')} both say default.`);
  }
}

/** The default cache: the one marked `default`, else the first. Assumes `validateCaches` passed. */
export function defaultCacheOf<T extends CacheSpec>(specs: readonly T[]): T {
  return specs.find((spec) => spec.default) ?? specs[0]!;
}
