// `serve`'s command-line flags as a Config: the flags map onto ConfigInput here, and with
// `--config <file.toml>` the file replaces them (flags it overrides are named in one warning).

import type { FamilyId } from '../chat/parsers/types.js';
import { FatalError } from '../errors.js';
import { buildConfig, withoutUndefined, type Config, type ConfigInput, type GpuLayers, type LogLevel, type ReasoningFormat } from './config.js';
import { loadConfigFile } from './load.js';
import type { RemoteProtocol } from '../engine/remote/options.js';
import type { SpeculationType } from '../engine/speculation/options.js';

/** The values `serve`'s flags produce (commander's option names). */
export interface ServeFlags {
  model?: string;
  pull?: boolean;
  config?: string;
  mock?: boolean;
  mockScript?: string;
  host?: string;
  port?: number;
  apiKey?: string;
  allowRemoteWithoutKey?: boolean;
  /** Comma-separated origins, or `*`. */
  cors?: string;
  nCtx?: number;
  nBatch?: number;
  nUbatch?: number;
  nThreads?: number;
  flashAttn?: boolean;
  nGpuLayers?: GpuLayers;
  parallel?: number;
  queueSize?: number;
  chatTemplateFile?: string;
  chatFormat?: FamilyId;
  reasoningFormat?: ReasoningFormat;
  mmap?: boolean;
  swaFull?: boolean;
  ctxCheckpoints?: number;
  /** MiB per slot. */
  checkpointMemory?: number;
  logLevel?: LogLevel;
  debug?: boolean;
  debugDir?: string;
  rejectImages?: boolean;
  cacheIsolation?: boolean;
  cacheDir?: string;
  /** Seconds. */
  cacheSaveIdle?: number;
  shutdownGraceMs?: number;
  specType?: SpeculationType;
  draftMax?: number;
  draftMin?: number;
  modelDraft?: string;
  remote?: string;
  remoteProtocol?: RemoteProtocol;
  /** Seconds. */
  remoteTimeout?: number;
  /** Comma-separated header names; empty: none. */
  remoteAffinityHeader?: string;
}

/** The flags as ConfigInput (no defaults applied: `buildConfig` does that). */
export function flagsToInput(flags: ServeFlags): ConfigInput {
  return {
    server: withoutUndefined({
      host: flags.host,
      port: flags.port,
      apiKey: flags.apiKey || undefined,
      allowRemoteWithoutKey: flags.allowRemoteWithoutKey,
      corsOrigins: flags.cors
        ?.split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
      logLevel: flags.logLevel,
      debug: flags.debug,
      debugDir: flags.debugDir,
      rejectImages: flags.rejectImages,
      cacheIsolation: flags.cacheIsolation,
      cacheDir: flags.cacheDir,
      cacheSaveIdleSeconds: flags.cacheSaveIdle,
      shutdownGraceMs: flags.shutdownGraceMs,
    }),
    model: withoutUndefined({
      path: flags.model,
      pull: flags.pull,
      batchSize: flags.nBatch,
      ubatchSize: flags.nUbatch,
      threads: flags.nThreads,
      flashAttention: flags.flashAttn,
      gpuLayers: flags.nGpuLayers,
      mmap: flags.mmap,
      chatTemplateFile: flags.chatTemplateFile,
      chatFormat: flags.chatFormat,
      reasoningFormat: flags.reasoningFormat,
      swaFull: flags.swaFull,
      ctxCheckpoints: flags.ctxCheckpoints,
      checkpointMemoryMiB: flags.checkpointMemory,
      specType: flags.specType,
      draftMax: flags.draftMax,
      draftMin: flags.draftMin,
      modelDraft: flags.modelDraft,
      ...(flags.remote !== undefined || flags.remoteProtocol !== undefined || flags.remoteTimeout !== undefined || flags.remoteAffinityHeader !== undefined
        ? {
            remote: withoutUndefined({
              url: flags.remote,
              protocol: flags.remoteProtocol,
              timeoutSeconds: flags.remoteTimeout,
              affinityHeaders: flags.remoteAffinityHeader?.split(','),
            }),
          }
        : {}),
    }),
    ...withoutUndefined({ parallel: flags.parallel, nCtx: flags.nCtx, queueSize: flags.queueSize }),
    ...mockOf(flags),
  };
}

export function configFromFlags(flags: ServeFlags): Config {
  return buildConfig(flagsToInput(flags));
}

/** Flags that a config file replaces: given on the command line next to --config, they are ignored. */
export const CONFIG_REPLACES = [
  'model',
  'host',
  'port',
  'apiKey',
  'allowRemoteWithoutKey',
  'cors',
  'nCtx',
  'nBatch',
  'nUbatch',
  'nThreads',
  'flashAttn',
  'nGpuLayers',
  'parallel',
  'queueSize',
  'chatTemplateFile',
  'chatFormat',
  'reasoningFormat',
  'mmap',
  'swaFull',
  'ctxCheckpoints',
  'checkpointMemory',
  'logLevel',
  'debug',
  'debugDir',
  'rejectImages',
  'cacheIsolation',
  'cacheDir',
  'cacheSaveIdle',
  'shutdownGraceMs',
  'specType',
  'draftMax',
  'draftMin',
  'modelDraft',
  'remote',
  'remoteProtocol',
  'remoteTimeout',
  'remoteAffinityHeader',
] as const satisfies readonly (keyof ServeFlags)[];

/** The one warning for command-line flags that --config overrides, or undefined when there are none. */
export function ignoredFlagsWarning(isFromCli: (option: string) => boolean, flagOf: (option: string) => string): string | undefined {
  const ignored = CONFIG_REPLACES.filter((option) => isFromCli(option)).map(flagOf);
  if (ignored.length === 0) return undefined;
  return `--config given: ignoring ${ignored.join(', ')} from the command line (set ${ignored.length === 1 ? 'it' : 'them'} in the config file instead)`;
}

export interface FlagSources {
  /** Whether the user typed this option (rather than it taking its default). */
  isFromCli(option: string): boolean;
  /** How the user spells the option, for messages (`--n-ctx`). */
  flagOf(option: string): string;
}

/** The Config `serve` runs with: the flags, or with --config the file (plus --mock, --mock-script and --pull). */
export function resolveServeConfig(flags: ServeFlags, sources: FlagSources): { config: Config; warnings: string[] } {
  if (flags.config === undefined) return { config: configFromFlags(flags), warnings: [] };
  const input = loadConfigFile(flags.config);
  if (!flags.mock && input.model?.path === undefined) throw new FatalError(`${flags.config}: [model] path is missing (or pass --mock to serve without a model).`);
  const warning = ignoredFlagsWarning(sources.isFromCli, sources.flagOf);
  const config = buildConfig({
    ...input,
    model: { ...input.model, ...withoutUndefined({ pull: flags.pull }) },
    ...mockOf(flags),
  });
  return { config, warnings: warning ? [warning] : [] };
}

/** `--mock` (with its script, if any): given next to --config too. */
function mockOf(flags: ServeFlags): Pick<ConfigInput, 'mock'> {
  return flags.mock ? { mock: withoutUndefined({ script: flags.mockScript }) } : {};
}
