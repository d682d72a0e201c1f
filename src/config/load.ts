// `serve --config <file.toml>`: read the file, validate it (errors name the key and its line),
// and turn it into a ConfigInput (config.ts fills in the defaults). Relative paths resolve
// against the config file's folder.
//
// Context sizes: a cache's `n_ctx` is tokens per slot (as --n-ctx). A cache may instead give
// `share`, a fraction of `[model].n_ctx_total`, split evenly across its slots:
// n_ctx = floor(n_ctx_total × share / slots). A cache with neither takes `[model].n_ctx`
// (default 0: the model's training context, capped to memory).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { FatalError } from '../errors.js';
import type { RoutedCache, RouteRule } from '../routing/types.js';
import { API_KEY_ENV, DEFAULTS, withoutUndefined, type ConfigInput } from './config.js';
import { formatKeyPath, KeyLines } from './locate.js';
import { configSchema, type ConfigFile } from './schema.js';

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): ConfigInput {
  const path = resolve(file);
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FatalError(`Could not read config file ${file}: ${(error as Error).message}`);
  }
  return configToInput(parseConfig(source, file), dirname(path), env, file);
}

/** Parse and validate TOML text; `file` is only used in messages. */
export function parseConfig(source: string, file = 'config'): ConfigFile {
  let raw: unknown;
  try {
    raw = parse(source);
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
      throw new FatalError(`${file}:${error.line}:${error.column}: invalid TOML: ${reason}\n${error.codeblock}`);
    }
    throw error;
  }
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = new KeyLines(source);
  const messages = result.error.issues.flatMap((issue) => describeIssue(issue, lines, file));
  throw new FatalError(`Invalid config file ${file}:\n${messages.map((message) => `  ${message}`).join('\n')}`);
}

function describeIssue(issue: z.core.$ZodIssue, lines: KeyLines, file: string): string[] {
  const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
  const at = (keyPath: (string | number)[]) => {
    const line = lines.lineOf(keyPath);
    return `${file}${line !== undefined ? `:${line}` : ''}: ${formatKeyPath(keyPath) || '(top level)'}`;
  };
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${at([...path, key])}: unknown key${suggestSection(path, key)}`);
  }
  const missing = issue.code === 'invalid_type' && / received undefined$/.test(issue.message);
  return [`${at(path)}: ${missing ? 'required' : issue.message}`];
}

function suggestSection(path: (string | number)[], key: string): string {
  if (path.length > 0) return '';
  return ['server', 'model', 'cache'].includes(key) ? '' : ' (top-level sections are [server], [model] and [[cache]])';
}

export function configToInput(config: ConfigFile, configDir: string, env: NodeJS.ProcessEnv = process.env, file = 'config'): ConfigInput {
  const server = config.server ?? {};
  const model = config.model ?? {};
  const relative = (path: string | undefined) => (path === undefined ? undefined : isAbsolute(path) ? path : resolve(configDir, path));
  const input: ConfigInput = {
    server: withoutUndefined({
      host: server.host,
      port: server.port,
      apiKey: apiKeyOf(server, env, file),
      allowRemoteWithoutKey: server.allow_remote_without_key,
      corsOrigins: server.cors,
      logLevel: server.log_level,
      debug: server.debug,
      debugDir: relative(server.debug_dir),
      rejectImages: server.reject_images,
      cacheIsolation: server.cache_isolation,
      cacheDir: relative(server.cache_dir),
      cacheSaveIdleSeconds: server.cache_save_idle,
      shutdownGraceMs: server.shutdown_grace_ms,
    }),
    model: withoutUndefined({
      path: model.path === undefined ? undefined : modelPathOf(model.path, configDir),
      batchSize: model.n_batch,
      ubatchSize: model.n_ubatch,
      threads: model.threads,
      flashAttention: model.flash_attn,
      gpuLayers: model.gpu_layers,
      mmap: model.mmap,
      chatTemplateFile: relative(model.chat_template_file),
      chatFormat: model.chat_format,
      reasoningFormat: model.reasoning_format,
      swaFull: model.swa_full,
      ctxCheckpoints: model.ctx_checkpoints,
      checkpointMemoryMiB: model.checkpoint_memory_mib,
      specType: model.spec_type,
      draftMax: model.draft_max,
      draftMin: model.draft_min,
      modelDraft: relative(model.model_draft),
      ...(model.remote !== undefined || model.remote_protocol !== undefined || model.remote_timeout !== undefined || model.remote_affinity_headers !== undefined
        ? {
            remote: withoutUndefined({
              url: model.remote,
              protocol: model.remote_protocol,
              timeoutSeconds: model.remote_timeout,
              affinityHeaders: model.remote_affinity_headers,
            }),
          }
        : {}),
    }),
    ...withoutUndefined({ nCtx: model.n_ctx, queueSize: server.queue_size }),
  };
  if (config.cache && config.cache.length > 0) {
    input.caches = cachesOf(config);
    const remotes = Object.fromEntries(
      config.cache
        .filter((cache) => cache.remote !== undefined || cache.remote_protocol !== undefined || cache.remote_timeout !== undefined || cache.remote_api_key_env !== undefined)
        .map((cache) => [
          cache.name,
          withoutUndefined({
            url: cache.remote,
            protocol: cache.remote_protocol,
            timeoutSeconds: cache.remote_timeout,
            affinityHeaders: cache.remote_affinity_headers,
            apiKey: remoteApiKeyOf(cache.remote_api_key_env, `cache "${cache.name}"`, env, file),
          }),
        ]),
    );
    if (Object.keys(remotes).length > 0) input.cacheRemotes = remotes;
  }
  return input;
}

/**
 * `./x`, `../x` and absolute paths are files; a bare path is taken beside the config file when it
 * exists there, else looked up as on the command line (working directory, then the models
 * folder), so `owner/repo` ids of downloaded models keep working.
 */
function modelPathOf(path: string, configDir: string): string {
  if (isAbsolute(path)) return path;
  const beside = resolve(configDir, path);
  if (/^\.\.?[\\/]/.test(path) || existsSync(beside)) return beside;
  return path;
}

/** A remote's API key from the named environment variable; a named variable that is not set is an error (a typo must not go unnoticed). */
function remoteApiKeyOf(name: string | undefined, where: string, env: NodeJS.ProcessEnv, file: string): string | undefined {
  if (name === undefined) return undefined;
  const key = env[name];
  if (!key) throw new FatalError(`${file}: ${where}: remote_api_key_env: environment variable ${name} is not set (or empty)`);
  return key;
}

function apiKeyOf(server: NonNullable<ConfigFile['server']>, env: NodeJS.ProcessEnv, file: string): string | undefined {
  if (server.api_key !== undefined) return server.api_key;
  if (server.api_key_env !== undefined) {
    const key = env[server.api_key_env];
    if (!key) throw new FatalError(`${file}: server.api_key_env: environment variable ${server.api_key_env} is not set (or empty)`);
    return key;
  }
  return env[API_KEY_ENV] || undefined;
}

function cachesOf(config: ConfigFile): RoutedCache[] {
  const entries = config.cache ?? [];
  const model = config.model ?? {};
  const queueSize = config.server?.queue_size ?? DEFAULTS.queueSize;
  return entries.map((cache): RoutedCache => {
    // A remote cache without its own n_ctx takes the remote's (0), not the local model's.
    const fallback = cache.remote !== undefined ? 0 : (model.n_ctx ?? DEFAULTS.nCtx);
    const contextSize = cache.n_ctx ?? (cache.share !== undefined ? Math.floor((model.n_ctx_total! * cache.share) / cache.slots) : fallback);
    return {
      name: cache.name,
      slots: cache.slots,
      contextSize,
      queueSize: cache.queue_size ?? queueSize,
      routes: (cache.route ?? []).map(routeOf),
      // A lone cache is the default without saying so.
      ...(cache.default || entries.length === 1 ? { default: true } : {}),
    };
  });
}

function routeOf(rule: NonNullable<NonNullable<ConfigFile['cache']>[number]['route']>[number]): RouteRule {
  return {
    ...(rule.model !== undefined ? { model: rule.model } : {}),
    ...(rule.headers !== undefined ? { headers: Object.fromEntries(Object.entries(rule.headers).map(([name, glob]) => [name.toLowerCase(), glob])) } : {}),
    ...(rule.system_contains !== undefined ? { systemContains: rule.system_contains } : {}),
    ...(rule.system_fingerprint !== undefined ? { systemFingerprint: rule.system_fingerprint.toLowerCase() } : {}),
  };
}
