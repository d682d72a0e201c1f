// Multi-cache routing: several KV caches (each its own slots and queue), and rules that send
// each request to one of them, so an agent's main conversation, its subagents and its
// background requests do not evict each other's cached prompts.

import type { CacheSpec } from '../engine/types.js';

/** When a request goes to a cache. Every field given must match; a rule with none matches all. */
export interface RouteRule {
  /** Glob on the requested model name, e.g. `claude-*haiku*` (`*` matches anything, `?` one character). */
  model?: string;
  /** Request headers (lower-case names) and globs their value must match; `"*"` = the header is present. */
  headers?: Record<string, string>;
  /** Matches when the system prompt contains this text (e.g. a subagent's or a title request's own prompt). */
  systemContains?: string;
  /** Matches when the sha256 (hex) of the system prompt starts with this. */
  systemFingerprint?: string;
}

/** A cache as configured: the engine's cache, and the rules that send requests to it. */
export interface RoutedCache extends CacheSpec {
  /** Requests matching any rule come here; the first cache (in order) with a matching rule wins. */
  routes: RouteRule[];
}

/** What routing looks at. */
export interface RouteInput {
  model: string;
  headers: Record<string, string | undefined>;
  system: string;
}
