// The shape of a `serve --config` TOML file. Keys are snake_case as in the file; unknown keys
// are errors (a typo must not be silently ignored). Cross-key rules (one default cache, unique
// names, n_ctx vs share) are checked here too so every error comes back with a key path.

import { SPECULATION_TYPES, speculationType } from '../engine/speculation/options.js';
import { z } from 'zod';
import { REMOTE_PROTOCOLS, type RemoteProtocol } from '../engine/remote/options.js';
import { FAMILY_IDS } from '../chat/parsers/types.js';

const positiveInt = z.int().positive();
const nonNegativeInt = z.int().nonnegative();

const routeSchema = z.strictObject({
  /** Glob on the requested model name. */
  model: z.string().min(1).optional(),
  /** Header name → glob on its value; `"*"` = the header is present. */
  headers: z.record(z.string().min(1), z.string()).optional(),
  system_contains: z.string().min(1).optional(),
  /** Leading hex digits of the sha256 of the system prompt. */
  system_fingerprint: z
    .string()
    .regex(/^[0-9a-fA-F]+$/, 'expected hex digits')
    .optional(),
});

const cacheSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][\w.-]*$/, 'expected a name of letters, digits, "_", "-", "." (starting with a letter or digit)'),
  /** Conversations this cache holds at once. */
  slots: positiveInt.max(256),
  /** Tokens per slot; 0 = the model's training context, capped to memory. Default: [model].n_ctx. */
  n_ctx: nonNegativeInt.optional(),
  /** Fraction of [model].n_ctx_total for this cache, split evenly across its slots. */
  share: z.number().gt(0).max(1).optional(),
  /** Requests that may wait for one of this cache's slots. Default: [server].queue_size. */
  queue_size: nonNegativeInt.optional(),
  default: z.boolean().optional(),
  route: z.array(routeSchema).optional(),
  /** A remote engine serves this cache (its slots: requests in flight there); the others run in-process. */
  remote: z.string().min(1).optional(),
  remote_protocol: z.enum(REMOTE_PROTOCOLS as [RemoteProtocol, ...RemoteProtocol[]]).optional(),
  remote_timeout: positiveInt.optional(),
  remote_affinity_headers: z.array(z.string()).optional(),
  /** Name of the environment variable holding this remote's API key. */
  remote_api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
    .optional(),
});

const serverSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.int().min(0).max(65535).optional(),
  api_key: z.string().min(1).optional(),
  /** Name of an environment variable holding the key. */
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
    .optional(),
  allow_remote_without_key: z.boolean().optional(),
  cors: z.array(z.string().min(1)).optional(),
  debug: z.boolean().optional(),
  debug_dir: z.string().min(1).optional(),
  /** A request holding an image is a 400 instead of getting a text note in the image's place. */
  reject_images: z.boolean().optional(),
  /** A slot's cached prompt is reused only by requests with the same API key. */
  cache_isolation: z.boolean().optional(),
  /** Save the slots' KV caches here on shutdown and restore them at start (hot restarts). */
  cache_dir: z.string().min(1).optional(),
  /** Seconds without requests after which changed caches are saved too (0: on shutdown only). */
  cache_save_idle: nonNegativeInt.optional(),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).optional(),
  queue_size: nonNegativeInt.optional(),
  shutdown_grace_ms: nonNegativeInt.optional(),
});

const modelSchema = z.strictObject({
  /** GGUF file, folder holding one, path under models/, or a repository id under models/. */
  path: z.string().min(1).optional(),
  /** Tokens per slot for caches that set neither n_ctx nor share (and without [[cache]]). */
  n_ctx: nonNegativeInt.optional(),
  /** Token budget split between caches that set `share`. */
  n_ctx_total: positiveInt.optional(),
  n_batch: positiveInt.optional(),
  n_ubatch: positiveInt.optional(),
  threads: positiveInt.optional(),
  flash_attn: z.boolean().optional(),
  gpu_layers: z.union([nonNegativeInt, z.enum(['auto', 'max'])]).optional(),
  mmap: z.boolean().optional(),
  chat_template_file: z.string().min(1).optional(),
  chat_format: z.enum(FAMILY_IDS).optional(),
  reasoning_format: z.enum(['auto', 'none']).optional(),
  /** Sliding-window layers get a cache of the whole context (llama.cpp's --swa-full). */
  swa_full: z.boolean().optional(),
  /** Most prompt-cache checkpoints per slot (sliding-window and recurrent models). */
  ctx_checkpoints: positiveInt.optional(),
  /** Most MiB one slot's checkpoints take; unset: no limit but ctx_checkpoints. */
  checkpoint_memory_mib: z.number().positive().optional(),
  /** Speculative decoding: none, ngram (prompt lookup) or draft (needs model_draft); llama-server's spellings too. */
  spec_type: z
    .string()
    .refine((value) => speculationType(value) !== undefined, { message: `one of ${SPECULATION_TYPES.join(', ')}` })
    .transform((value) => speculationType(value)!)
    .optional(),
  /** Most tokens drafted per step. */
  draft_max: positiveInt.optional(),
  /** Drafts shorter than this are not verified. */
  draft_min: nonNegativeInt.optional(),
  /** Draft model GGUF for spec_type = "draft" (same vocabulary as the model). */
  model_draft: z.string().min(1).optional(),
  /** A remote engine's URL: it evaluates and samples; the model file supplies the template and vocabulary. */
  remote: z.string().min(1).optional(),
  /** How to talk to it. */
  remote_protocol: z.enum(REMOTE_PROTOCOLS as [RemoteProtocol, ...RemoteProtocol[]]).optional(),
  /** Seconds without a byte from the remote before a request fails. */
  remote_timeout: positiveInt.optional(),
  /** Headers that carry each conversation's key to prefix-cache-aware routers. */
  remote_affinity_headers: z.array(z.string()).optional(),
});

export const configSchema = z
  .strictObject({
    server: serverSchema.optional(),
    model: modelSchema.optional(),
    cache: z.array(cacheSchema).optional(),
  })
  .superRefine((config, ctx) => {
    const server = config.server ?? {};
    if (server.api_key !== undefined && server.api_key_env !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['server', 'api_key_env'], message: 'give api_key or api_key_env, not both' });
    }
    const caches = config.cache ?? [];
    const names = new Set<string>();
    caches.forEach((cache, index) => {
      if (names.has(cache.name)) ctx.addIssue({ code: 'custom', path: ['cache', index, 'name'], message: `another cache is already named "${cache.name}"` });
      names.add(cache.name);
      if (cache.n_ctx !== undefined && cache.share !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['cache', index, 'share'], message: 'give n_ctx (tokens per slot) or share (of [model].n_ctx_total), not both' });
      }
      if (cache.share !== undefined && config.model?.n_ctx_total === undefined) {
        ctx.addIssue({ code: 'custom', path: ['cache', index, 'share'], message: 'share needs [model].n_ctx_total (the token budget it is a fraction of)' });
      }
      cache.route?.forEach((rule, ruleIndex) => {
        if (Object.keys(rule).length === 0 || (rule.headers && Object.keys(rule).length === 1 && Object.keys(rule.headers).length === 0)) {
          ctx.addIssue({
            code: 'custom',
            path: ['cache', index, 'route', ruleIndex],
            message: 'a route needs at least one of model, headers, system_contains, system_fingerprint',
          });
        }
      });
    });
    const shareTotal = caches.reduce((sum, cache) => sum + (cache.share ?? 0), 0);
    if (shareTotal > 1 + 1e-9) {
      const last = caches.findLastIndex((cache) => cache.share !== undefined);
      ctx.addIssue({ code: 'custom', path: ['cache', last, 'share'], message: `the caches' shares add up to ${+shareTotal.toFixed(4)}, more than 1` });
    }
    const defaults = caches.flatMap((cache, index) => (cache.default ? [index] : []));
    if (caches.length > 1 && defaults.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['cache'], message: 'mark one cache with default = true (it takes requests no route matches)' });
    }
    if (defaults.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['cache', defaults[1]!, 'default'], message: `only one cache may be the default; "${caches[defaults[0]!]!.name}" already is` });
    }
  });

export type ConfigFile = z.infer<typeof configSchema>;
