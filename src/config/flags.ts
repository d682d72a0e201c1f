// `serve`'s command-line flags as a Config: the flags map onto ConfigInput here, and with
// `--config <file.toml>` the file replaces them (flags it overrides are named in one warning).

import type { FamilyId } from '../chat/parsers/types.js';
import { FatalError } from '../errors.js';
import { buildConfig, type Config, type ConfigInput, type GpuLayers, type LogLevel, type ReasoningFormat } from './config.js';
import { loadConfigFile } from './load.js';

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
  logLevel?: LogLevel;
  debug?: boolean;
  debugDir?: string;
  cacheDir?: string;
  /** Seconds. */
  cacheSaveIdle?: number;
  shutdownGraceMs?: number;
}

/** The flags as ConfigInput (no defaults applied: `buildConfig` does that). */
export function flagsToInput(flags: ServeFlags): ConfigInput {
  return {
    server: {
      ...defined('host', flags.host),
      ...defined('port', flags.port),
      ...defined('apiKey', flags.apiKey || undefined),
      ...defined('allowRemoteWithoutKey', flags.allowRemoteWithoutKey),
      ...defined(
        'corsOrigins',
        flags.cors
          ?.split(',')
          .map((origin) => origin.trim())
          .filter(Boolean),
      ),
      ...defined('logLevel', flags.logLevel),
      ...defined('debug', flags.debug),
      ...defined('debugDir', flags.debugDir),
      ...defined('cacheDir', flags.cacheDir),
      ...defined('cacheSaveIdleSeconds', flags.cacheSaveIdle),
      ...defined('shutdownGraceMs', flags.shutdownGraceMs),
    },
    model: {
      ...defined('path', flags.model),
      ...defined('pull', flags.pull),
      ...defined('batchSize', flags.nBatch),
      ...defined('ubatchSize', flags.nUbatch),
      ...defined('threads', flags.nThreads),
      ...defined('flashAttention', flags.flashAttn),
      ...defined('gpuLayers', flags.nGpuLayers),
      ...defined('mmap', flags.mmap),
      ...defined('chatTemplateFile', flags.chatTemplateFile),
      ...defined('chatFormat', flags.chatFormat),
      ...defined('reasoningFormat', flags.reasoningFormat),
    },
    ...defined('parallel', flags.parallel),
    ...defined('nCtx', flags.nCtx),
    ...defined('queueSize', flags.queueSize),
    ...(flags.mock ? { mock: { ...defined('script', flags.mockScript) } } : {}),
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
  'logLevel',
  'debug',
  'debugDir',
  'cacheDir',
  'cacheSaveIdle',
  'shutdownGraceMs',
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
    model: { ...input.model, ...defined('pull', flags.pull) },
    ...(flags.mock ? { mock: { ...defined('script', flags.mockScript) } } : {}),
  });
  return { config, warnings: warning ? [warning] : [] };
}

/** `{ key: value }` when the value is set, else nothing (exactOptionalPropertyTypes-friendly spreading). */
function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
