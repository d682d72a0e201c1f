// The one validated Config every part of the server reads, and its defaults, in one place.
// Flags (config/flags.ts) and TOML files (config/load.ts) both map into a ConfigInput;
// `buildConfig` fills in the defaults and checks what spans several settings. `serve`, `cc`,
// the tests and the bench all start from here, so a default changes in one line.

import type { RemoteProtocol } from '../engine/remote/options.js';
import type { SpeculationOptions, SpeculationType } from '../engine/speculation/options.js';
import type { FamilyId } from '../chat/parsers/types.js';
import { singleCache, validateCaches } from '../engine/caches.js';
import { FatalError } from '../errors.js';
import { isLoopbackHost } from '../http/security.js';
import { Router } from '../routing/router.js';
import type { RoutedCache } from '../routing/types.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const REASONING_FORMATS = ['auto', 'none'] as const;
/** `auto`: thinking becomes reasoning (reasoning_content, thinking blocks); `none`: it stays in the text. */
export type ReasoningFormat = (typeof REASONING_FORMATS)[number];

export type GpuLayers = number | 'auto' | 'max';

export interface ServerConfig {
  host: string;
  port: number;
  /** Required on every request but /health and the client probes, when set. */
  apiKey?: string;
  /** Bind a non-loopback address without an API key (refused otherwise). */
  allowRemoteWithoutKey: boolean;
  /** Allowed CORS origins (`*` for any); empty: CORS off. */
  corsOrigins: string[];
  logLevel: LogLevel;
  /** Keep four snapshots per request under `debugDir`. */
  debug: boolean;
  debugDir: string;
  /** Answer a request holding an image with a 400 (`images_not_supported`) instead of putting a text note in its place. */
  rejectImages: boolean;
  /**
   * A slot's cached prompt is reused only by requests with the same API key (the `Authorization`
   * bearer or `x-api-key` they send, hashed): one client cannot learn from `cached_tokens` (or
   * the time to first token) whether another client's prompt began with a given text.
   */
  cacheIsolation: boolean;
  /** Hot restarts: save the slots' KV caches here on shutdown and restore them at start. */
  cacheDir?: string;
  /** With `cacheDir`: also save changed caches after this many seconds without requests (0: on shutdown only). */
  cacheSaveIdleSeconds: number;
  /** On SIGINT/SIGTERM, how long in-flight requests may finish. */
  shutdownGraceMs: number;
}

export interface ModelConfig {
  /** As the user wrote it: a .gguf file, a folder, a path under models/, or a Hugging Face repo id. */
  path?: string;
  /** Download a repo id that is not under models/ yet. */
  pull: boolean;
  /** Most prompt tokens per decode call. */
  batchSize: number;
  /** Physical batch size; node-llama-cpp decodes with ubatch = batch, so the smaller one is used. */
  ubatchSize?: number;
  /** CPU threads; unset: every math core. */
  threads?: number;
  /** Unset: llama.cpp decides (auto). */
  flashAttention?: boolean;
  /** Unset: auto (all layers that fit). */
  gpuLayers?: GpuLayers;
  mmap: boolean;
  /** A Jinja template used instead of the model's own. */
  chatTemplateFile?: string;
  /** Output syntax to parse; unset: detected from the chat template. */
  chatFormat?: FamilyId;
  reasoningFormat: ReasoningFormat;
  /** Sliding-window layers get a cache of the whole context (llama.cpp's `--swa-full`): no checkpoints needed, more memory. */
  swaFull: boolean;
  /** Most prompt-cache checkpoints per slot on sliding-window and recurrent models (llama.cpp's `--ctx-checkpoints`). */
  ctxCheckpoints: number;
  /** Most MiB one slot's checkpoints take, oldest dropped first (one always stays). */
  checkpointMemoryMiB: number;
  /** Speculative decoding: none, prompt lookup (`ngram`), or a draft model (`draft`, with `modelDraft`). */
  specType: SpeculationType;
  /** Most tokens drafted per step; unset: the type's default (DEFAULT_DRAFT_MAX). */
  draftMax?: number;
  /** Drafts shorter than this are not verified. */
  draftMin: number;
  /** The draft model's GGUF (same vocabulary as the model). */
  modelDraft?: string;
  /**
   * A remote engine evaluates and samples (`--remote`): the model file then supplies only the
   * chat template and vocabulary. `apiKey` comes from the environment (REMOTE_API_KEY_ENV).
   */
  remote?: RemoteConfig;
}

export interface RemoteConfig {
  url: string;
  protocol: RemoteProtocol;
  /** A request with no byte from the remote for this long fails. */
  timeoutSeconds: number;
  /** Headers that carry the conversation key to prefix-cache-aware routers (none: an empty list). */
  affinityHeaders: string[];
  apiKey?: string;
}

/** Where the remote engine's API key is read from (never a flag: flags show in `ps`). */
export const REMOTE_API_KEY_ENV = 'LLAMA_BRIDGE_REMOTE_API_KEY';

export interface Config {
  server: ServerConfig;
  model: ModelConfig;
  /** The KV caches, in order, with the rules that route requests to them; at least one, exactly one default. */
  caches: RoutedCache[];
  /** Serve scripted answers without a model (`--mock`); `script`: a JSON script file. */
  mock?: { script?: string };
  /** Caches served by a remote engine (`[[cache]] remote`), by cache name; the rest run in-process. */
  cacheRemotes?: Record<string, RemoteConfig>;
}

/** Where a cache runs: its remote engine, or undefined for in-process. `--remote` / `[model] remote` covers every cache. */
export function remoteOfCache(config: Config, cache: string): RemoteConfig | undefined {
  return config.cacheRemotes?.[cache] ?? config.model.remote;
}

/** Most tokens drafted per step when not given, by speculation type (docs/benchmarks.md, "Speculative decoding"). */
export const DEFAULT_DRAFT_MAX: Readonly<Record<Exclude<SpeculationType, 'none'>, number>> = { ngram: 64, draft: 8 };

/** Speculative decoding as the engine takes it; undefined for none. */
export function speculationOf(model: ModelConfig): SpeculationOptions | undefined {
  if (model.specType === 'none') return undefined;
  return {
    type: model.specType,
    max: model.draftMax ?? DEFAULT_DRAFT_MAX[model.specType],
    min: model.draftMin,
    ...(model.modelDraft !== undefined ? { draftModel: model.modelDraft } : {}),
  };
}

function checkSpeculation(model: ModelConfig): void {
  if (model.specType === 'draft' && !model.modelDraft) throw new FatalError('--spec-type draft needs a draft model: pass --model-draft <file.gguf> (or [model].model_draft).');
  if (model.modelDraft && model.specType !== 'draft') {
    throw new FatalError(`--model-draft is given but --spec-type is ${model.specType}: drop one of them (a draft model alone turns draft speculation on).`);
  }
  const max = speculationOf(model)?.max;
  if (max !== undefined && model.draftMin > max) throw new FatalError(`--draft-min (${model.draftMin}) is larger than --draft-max (${max}).`);
}

function cacheRemotesOf(remotes: Record<string, Partial<RemoteConfig>> | undefined): { cacheRemotes?: Record<string, RemoteConfig> } {
  if (!remotes || Object.keys(remotes).length === 0) return {};
  const out: Record<string, RemoteConfig> = {};
  for (const [name, remote] of Object.entries(remotes)) {
    const resolved = remoteOf(remote, `[[cache]] "${name}" remote`).remote;
    if (resolved) out[name] = resolved;
  }
  return { cacheRemotes: out };
}

function remoteOf(remote: Partial<RemoteConfig> | undefined, what = '--remote'): { remote?: RemoteConfig } {
  if (!remote?.url) {
    if (remote?.protocol !== undefined || remote?.timeoutSeconds !== undefined || remote?.affinityHeaders !== undefined) {
      throw new FatalError('--remote-protocol, --remote-timeout and --remote-affinity-header go with --remote <url>.');
    }
    return {};
  }
  let url: URL;
  try {
    url = new URL(remote.url);
  } catch {
    throw new FatalError(`${what} must be an http(s) URL such as http://gpu-box:8080; not "${remote.url}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FatalError(`${what} must be an http(s) URL; not "${remote.url}".`);
  const apiKey = remote.apiKey ?? (process.env[REMOTE_API_KEY_ENV] || undefined);
  return {
    remote: {
      url: remote.url.replace(/\/+$/, ''),
      protocol: remote.protocol ?? DEFAULTS.remoteProtocol,
      timeoutSeconds: remote.timeoutSeconds ?? DEFAULTS.remoteTimeoutSeconds,
      affinityHeaders: (remote.affinityHeaders ?? DEFAULTS.remoteAffinityHeaders).map((name) => name.trim().toLowerCase()).filter(Boolean),
      ...(apiKey ? { apiKey } : {}),
    },
  };
}

/** Where the API key is read from when neither `--api-key` nor the config file gives one. */
export const API_KEY_ENV = 'LLAMA_BRIDGE_API_KEY';

/** Every default, once. The CLI's help text and the config file's documentation show these. */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8000,
  /** Context tokens per slot; 0 = the model's training context, capped to what memory allows. */
  nCtx: 0,
  /** Slots of the single cache a server without `[[cache]]` entries has. */
  parallel: 4,
  queueSize: 64,
  batchSize: 512,
  mmap: true,
  reasoningFormat: 'auto' as ReasoningFormat,
  swaFull: false,
  /** Checkpoints per slot: llama.cpp's default, as the engine's DEFAULT_CHECKPOINTS. */
  ctxCheckpoints: 32,
  // One checkpoint of a big sliding-window model is large (Gemma 3 27B: its 52 sliding layers'
  // window + batch cells, ~0.6 GiB at f16), a hybrid's much smaller (Qwen3-Next: ~75 MiB of
  // recurrent state): 2 GiB keeps the last turn's few checkpoints on the first, 27 on the second.
  checkpointMemoryMiB: 2048,
  specType: 'none' as SpeculationType,
  draftMin: 0,
  logLevel: 'info' as LogLevel,
  /** The log level `--debug` turns on unless one is given. */
  debugLogLevel: 'debug' as LogLevel,
  debugDir: 'logs',
  cacheSaveIdleSeconds: 60,
  shutdownGraceMs: 10_000,
  remoteProtocol: 'llama-server' as RemoteProtocol,
  /** Seconds without a byte from a remote engine before a request fails (a long prompt's processing sends none). */
  remoteTimeoutSeconds: 600,
  /** vllm-project/router's consistent hashing reads X-Session-ID; SGLang's gateway X-SMG-Routing-Key. */
  remoteAffinityHeaders: ['x-session-id', 'x-smg-routing-key'] as readonly string[],
} as const;

/** What flags or a config file say; anything left out takes its default. */
export interface ConfigInput {
  server?: Partial<ServerConfig>;
  model?: Partial<Omit<ModelConfig, 'remote'>> & { remote?: Partial<RemoteConfig> };
  /** Without `caches`: the one cache's slots, tokens per slot and queue (`--parallel`, `--n-ctx`, `--queue-size`). */
  parallel?: number;
  nCtx?: number;
  queueSize?: number;
  /** Several caches with routing rules (`[[cache]]`); replaces the single cache. */
  caches?: RoutedCache[];
  mock?: { script?: string };
  /** `[[cache]] remote` settings, by cache name. */
  cacheRemotes?: Record<string, Partial<RemoteConfig>>;
}

/** Defaults filled in and cross-setting rules checked; throws a FatalError naming the problem. */
export function buildConfig(input: ConfigInput): Config {
  const server = input.server ?? {};
  const model = input.model ?? {};
  const config: Config = {
    server: {
      host: server.host ?? DEFAULTS.host,
      port: server.port ?? DEFAULTS.port,
      ...(server.apiKey ? { apiKey: server.apiKey } : {}),
      allowRemoteWithoutKey: server.allowRemoteWithoutKey ?? false,
      corsOrigins: server.corsOrigins ?? [],
      logLevel: server.logLevel ?? (server.debug ? DEFAULTS.debugLogLevel : DEFAULTS.logLevel),
      debug: server.debug ?? false,
      debugDir: server.debugDir ?? DEFAULTS.debugDir,
      rejectImages: server.rejectImages ?? false,
      cacheIsolation: server.cacheIsolation ?? false,
      ...(server.cacheDir !== undefined ? { cacheDir: server.cacheDir } : {}),
      cacheSaveIdleSeconds: server.cacheSaveIdleSeconds ?? DEFAULTS.cacheSaveIdleSeconds,
      shutdownGraceMs: server.shutdownGraceMs ?? DEFAULTS.shutdownGraceMs,
    },
    model: {
      ...withoutUndefined({ ...model, remote: undefined }),
      pull: model.pull ?? false,
      batchSize: model.batchSize ?? DEFAULTS.batchSize,
      mmap: model.mmap ?? DEFAULTS.mmap,
      reasoningFormat: model.reasoningFormat ?? DEFAULTS.reasoningFormat,
      swaFull: model.swaFull ?? DEFAULTS.swaFull,
      ctxCheckpoints: model.ctxCheckpoints ?? DEFAULTS.ctxCheckpoints,
      checkpointMemoryMiB: model.checkpointMemoryMiB ?? DEFAULTS.checkpointMemoryMiB,
      // A draft model alone means draft speculation, as llama-server's -md does.
      specType: model.specType ?? (model.modelDraft ? 'draft' : DEFAULTS.specType),
      draftMin: model.draftMin ?? DEFAULTS.draftMin,
      ...remoteOf(model.remote),
    },
    caches: input.caches?.length
      ? input.caches
      : [{ ...singleCache(input.parallel ?? DEFAULTS.parallel, input.nCtx ?? DEFAULTS.nCtx, input.queueSize ?? DEFAULTS.queueSize), routes: [] }],
    ...(input.mock ? { mock: input.mock } : {}),
    ...cacheRemotesOf(input.cacheRemotes),
  };
  validateCaches(config.caches);
  checkSpeculation(config.model);
  for (const name of Object.keys(config.cacheRemotes ?? {})) {
    if (!config.caches.some((cache) => cache.name === name)) throw new FatalError(`A remote engine is configured for cache "${name}", which does not exist.`);
  }
  if (config.model.remote && config.model.specType !== 'none')
    throw new FatalError('Speculative decoding runs in-process: it cannot be combined with --remote (set it up on the remote server).');
  // Compiles every routing rule: a bad glob or fingerprint fails here, before anything loads.
  new Router(config.caches);
  if (!config.mock && !config.model.path) throw new FatalError('Pass --model <file.gguf> (or --mock to serve without a model).');
  const { host, apiKey, allowRemoteWithoutKey } = config.server;
  if (!isLoopbackHost(host) && !apiKey && !allowRemoteWithoutKey) {
    throw new FatalError(
      `Refusing to listen on ${host} without an API key: anyone on the network could use the model. Pass --api-key <key>, or --allow-remote-without-key if that is what you want.`,
    );
  }
  return config;
}

/** Slots over all caches. */
export function totalSlots(config: Pick<Config, 'caches'>): number {
  return config.caches.reduce((sum, cache) => sum + cache.slots, 0);
}

/** The fields that are set: flags and TOML keys that were not given must not override defaults. */
export function withoutUndefined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
