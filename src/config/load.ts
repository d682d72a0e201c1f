// `serve --config <file.toml>`: read the file, validate it (errors name the key and its line),
// and turn it into ServeOptions. Relative paths resolve against the config file's folder.
//
// Context sizes: a cache's `n_ctx` is tokens per slot (as --n-ctx). A cache may instead give
// `share`, a fraction of `[model].n_ctx_total`, split evenly across its slots:
// n_ctx = floor(n_ctx_total × share / slots). A cache with neither takes `[model].n_ctx`
// (default 0: the model's training context, capped to memory).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import type { z } from 'zod';
import type { ServeOptions } from '../cli/serve.js';
import { FatalError } from '../errors.js';
import type { CacheSpec, RouteRule } from '../routing/types.js';
import { formatKeyPath, KeyLines } from './locate.js';
import { configSchema, type ConfigFile } from './schema.js';

/** The ServeOptions a config file sets; the caller fills the rest from DEFAULT_SERVE_OPTIONS. */
export type ConfigServeOptions = Partial<Omit<ServeOptions, 'mock' | 'mockScript'>> & Pick<ServeOptions, 'logLevel'>;

/** The API key's environment variable when the file names none (as the --api-key flag). */
export const DEFAULT_API_KEY_ENV = 'LLAMA_BRIDGE_API_KEY';

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): ConfigServeOptions {
  const path = resolve(file);
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FatalError(`Could not read config file ${file}: ${(error as Error).message}`);
  }
  return configToServeOptions(parseConfig(source, file), dirname(path), env, file);
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

export function configToServeOptions(config: ConfigFile, configDir: string, env: NodeJS.ProcessEnv = process.env, file = 'config'): ConfigServeOptions {
  const server = config.server ?? {};
  const model = config.model ?? {};
  const relative = (path: string) => (isAbsolute(path) ? path : resolve(configDir, path));
  const options: ConfigServeOptions = {
    logLevel: server.log_level ?? (server.debug ? 'debug' : 'info'),
  };
  const set = <K extends keyof ConfigServeOptions>(key: K, value: ConfigServeOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };

  set('host', server.host);
  set('port', server.port);
  set('apiKey', apiKeyOf(server, env, file));
  set('allowRemoteWithoutKey', server.allow_remote_without_key);
  set('cors', server.cors?.join(','));
  set('debug', server.debug);
  set('debugDir', server.debug_dir !== undefined ? relative(server.debug_dir) : undefined);
  set('cacheDir', server.cache_dir !== undefined ? relative(server.cache_dir) : undefined);
  set('cacheSaveIdle', server.cache_save_idle);
  set('queueSize', server.queue_size);
  set('shutdownGraceMs', server.shutdown_grace_ms);

  if (model.path !== undefined) set('model', modelPathOf(model.path, configDir));
  set('nCtx', model.n_ctx);
  set('nBatch', model.n_batch);
  set('nUbatch', model.n_ubatch);
  set('nThreads', model.threads);
  set('flashAttn', model.flash_attn);
  set('nGpuLayers', model.gpu_layers);
  set('mmap', model.mmap);
  set('chatTemplateFile', model.chat_template_file !== undefined ? relative(model.chat_template_file) : undefined);
  set('chatFormat', model.chat_format);
  set('reasoningFormat', model.reasoning_format);

  if (config.cache && config.cache.length > 0) {
    const caches = cachesOf(config);
    options.caches = caches;
    options.parallel = caches.reduce((sum, cache) => sum + cache.slots, 0);
  }
  return options;
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

function apiKeyOf(server: NonNullable<ConfigFile['server']>, env: NodeJS.ProcessEnv, file: string): string | undefined {
  if (server.api_key !== undefined) return server.api_key;
  if (server.api_key_env !== undefined) {
    const key = env[server.api_key_env];
    if (!key) throw new FatalError(`${file}: server.api_key_env: environment variable ${server.api_key_env} is not set (or empty)`);
    return key;
  }
  return env[DEFAULT_API_KEY_ENV] || undefined;
}

function cachesOf(config: ConfigFile): CacheSpec[] {
  const entries = config.cache ?? [];
  const model = config.model ?? {};
  const queueSize = config.server?.queue_size ?? 64;
  return entries.map((cache): CacheSpec => {
    const contextSize =
      cache.n_ctx ?? (cache.share !== undefined ? Math.floor((model.n_ctx_total! * cache.share) / cache.slots) : (model.n_ctx ?? 0));
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

/** Serve options that a config file replaces: passing them on the command line with --config is ignored. */
export const CONFIG_REPLACES = [
  'model', 'host', 'port', 'apiKey', 'allowRemoteWithoutKey', 'cors', 'nCtx', 'nBatch', 'nUbatch', 'nThreads', 'flashAttn',
  'nGpuLayers', 'parallel', 'queueSize', 'chatTemplateFile', 'chatFormat', 'reasoningFormat', 'mmap', 'logLevel', 'debug',
  'debugDir', 'cacheDir', 'cacheSaveIdle', 'shutdownGraceMs',
] as const;

/** The one warning for command-line flags that --config overrides, or undefined when there are none. */
export function ignoredFlagsWarning(isFromCli: (option: string) => boolean, flagOf: (option: string) => string): string | undefined {
  const ignored = CONFIG_REPLACES.filter((option) => isFromCli(option)).map(flagOf);
  if (ignored.length === 0) return undefined;
  return `--config given: ignoring ${ignored.join(', ')} from the command line (set ${ignored.length === 1 ? 'it' : 'them'} in the config file instead)`;
}
