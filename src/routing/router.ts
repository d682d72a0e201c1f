// Which cache a request goes to. Caches are tried in order; the first cache with a rule that
// matches wins; a request no rule matches goes to the default cache (the one marked `default`,
// else the first). A rule matches when every field it gives matches; a rule with no fields
// matches everything.

import { createHash } from 'node:crypto';
import { FatalError } from '../errors.js';
import { defaultCacheOf, validateCaches } from '../engine/caches.js';
import { globToRegExp } from './glob.js';
import type { RoutedCache, RouteInput, RouteRule } from './types.js';

export interface RouteDecision {
  cache: string;
  /** Why, for logs and traces: the rule that matched (`model claude-*haiku*`), or `default`. */
  rule: string;
}

interface CompiledRule {
  description: string;
  matches(input: RouteInput, fingerprint: () => string): boolean;
}

export class Router {
  readonly defaultCache: string;
  private readonly rules: { cache: string; rule: CompiledRule }[] = [];

  constructor(readonly specs: readonly RoutedCache[]) {
    validateCaches(specs);
    this.defaultCache = defaultCacheOf(specs).name;
    for (const spec of specs) {
      spec.routes.forEach((rule, index) => this.rules.push({ cache: spec.name, rule: compileRule(rule, `cache "${spec.name}" route ${index + 1}`) }));
    }
  }

  route(input: RouteInput): RouteDecision {
    let fingerprint: string | undefined;
    const lazyFingerprint = () => (fingerprint ??= systemFingerprint(input.system));
    for (const { cache, rule } of this.rules) {
      if (rule.matches(input, lazyFingerprint)) return { cache, rule: rule.description };
    }
    return { cache: this.defaultCache, rule: 'default' };
  }
}

/** sha256 (hex) of the system prompt text, as `systemFingerprint` rules match it. */
export function systemFingerprint(system: string): string {
  return createHash('sha256').update(system, 'utf8').digest('hex');
}

function compileRule(rule: RouteRule, where: string): CompiledRule {
  const tests: ((input: RouteInput, fingerprint: () => string) => boolean)[] = [];
  const parts: string[] = [];
  if (rule.model !== undefined) {
    const pattern = globToRegExp(rule.model);
    tests.push((input) => pattern.test(input.model));
    parts.push(`model ${rule.model}`);
  }
  for (const [rawName, value] of Object.entries(rule.headers ?? {})) {
    const name = rawName.toLowerCase();
    if (value === '*') {
      tests.push((input) => input.headers[name] !== undefined);
      parts.push(`header ${name}`);
    } else {
      const pattern = globToRegExp(value);
      tests.push((input) => {
        const actual = input.headers[name];
        return actual !== undefined && pattern.test(actual);
      });
      parts.push(`header ${name}: ${value}`);
    }
  }
  if (rule.systemContains !== undefined) {
    if (rule.systemContains === '') throw new FatalError(`${where}: systemContains is empty (it would match every request; leave it out instead).`);
    const text = rule.systemContains;
    tests.push((input) => input.system.includes(text));
    parts.push(`system contains ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`);
  }
  if (rule.systemFingerprint !== undefined) {
    const prefix = rule.systemFingerprint.toLowerCase();
    if (!/^[0-9a-f]{1,64}$/.test(prefix)) throw new FatalError(`${where}: systemFingerprint must be a hex prefix of a sha256, not "${rule.systemFingerprint}".`);
    tests.push((_input, fingerprint) => fingerprint().startsWith(prefix));
    parts.push(`system fingerprint ${prefix}`);
  }
  return {
    description: parts.length ? parts.join(', ') : 'any request',
    matches: (input, fingerprint) => tests.every((test) => test(input, fingerprint)),
  };
}
