// `llama-bridge serve`: start the HTTP server, then load the model (so /health answers
// 503 while loading), then serve until SIGINT/SIGTERM.

import { Option, type Command } from '@commander-js/extra-typings';
import { ignoredFlagsWarning, loadConfigFile } from '../config/load.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type pino from 'pino';
import { detectFamily } from '../chat/parsers/detect.js';
import { FAMILY_IDS, type FamilyId } from '../chat/parsers/types.js';
import { ChatPipeline } from '../chat/pipeline.js';
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE } from '../chat/template.js';
import { LlamaEngine } from '../engine/llama-engine.js';
import { loadMockScript, MockEngine } from '../engine/mock-engine.js';
import { resolveOrPullModel } from '../hfd/pull.js';
import type { Engine } from '../engine/types.js';
import { DebugTraces } from '../debug/trace.js';
import { FatalError } from '../errors.js';
import { createApp, ServerState } from '../http/app.js';
import { isLoopbackHost } from '../http/security.js';
import type { Logger } from '../log.js';
import { Router } from '../routing/router.js';
import type { CacheSpec } from '../routing/types.js';
import { createLoadProgress } from './load-progress.js';
import { createCliLogger } from './logger.js';
import { intOption, parseGpuLayers } from './parse.js';

export interface ServeOptions {
  model?: string;
  /** Download a Hugging Face `--model` reference (org/repo, org/repo:Q4_K_M, org/repo/file) that is not under models/ yet. */
  pull?: boolean;
  mock?: boolean;
  mockScript?: string;
  host: string;
  port: number;
  apiKey?: string;
  allowRemoteWithoutKey?: boolean;
  cors?: string;
  nCtx: number;
  nBatch: number;
  nUbatch?: number;
  nThreads?: number;
  flashAttn?: boolean;
  nGpuLayers?: number | 'auto' | 'max';
  parallel: number;
  queueSize: number;
  chatTemplateFile?: string;
  /** Output syntax to parse; default: detected from the chat template. */
  chatFormat?: FamilyId;
  reasoningFormat: 'auto' | 'none';
  mmap: boolean;
  logLevel: string;
  shutdownGraceMs: number;
  /** Keep four snapshots per request under `debugDir` and log verbosely. */
  debug?: boolean;
  debugDir?: string;
  /** Save the slots' KV caches here on shutdown and restore them at start. */
  cacheDir?: string;
  /** With cacheDir: also save after this many seconds without requests (0 = on shutdown only). */
  cacheSaveIdle?: number;
  caches?: CacheSpec[];
}

/** The flag defaults, for code (tests, benchmarks) that starts a server without the CLI. */
export const DEFAULT_SERVE_OPTIONS: ServeOptions = {
  host: '127.0.0.1',
  port: 8000,
  nCtx: 0,
  nBatch: 512,
  parallel: 4,
  queueSize: 64,
  reasoningFormat: 'auto',
  mmap: true,
  logLevel: 'info',
  shutdownGraceMs: 10_000,
};

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve a GGUF model over the Anthropic Messages and OpenAI Chat Completions APIs')
    .option('-m, --model <path>', 'GGUF file, folder holding one, a path under models/, or a Hugging Face repo id (org/repo, org/repo:Q4_K_M, org/repo/file.gguf)')
    .option('--pull', 'download a --model repo id into models/ first if it is not there yet')
    .option('--config <file.toml>', 'read server, model and cache settings from a TOML file (see configs/); replaces the model and server flags')
    .option('--mock', 'serve scripted answers without loading a model (for testing clients)')
    .option('--mock-script <file>', 'JSON file of scripted mock responses (with --mock)')
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .addOption(new Option('--port <n>', 'port to listen on').default(8000).argParser(intOption('--port', 0, 65535)))
    .addOption(new Option('--api-key <key>', 'require this key (Authorization: Bearer or x-api-key)').env('LLAMA_BRIDGE_API_KEY'))
    .option('--allow-remote-without-key', 'allow binding a non-loopback address without --api-key')
    .option('--cors <origins>', "comma-separated allowed CORS origins, or '*' (default: CORS off)")
    .addOption(new Option('-c, --n-ctx <n>', 'context tokens per slot; 0 = model training context, capped to memory').default(0).argParser(intOption('--n-ctx', 0)))
    .addOption(new Option('-b, --n-batch <n>', 'logical batch size for prompt processing').default(512).argParser(intOption('--n-batch', 1)))
    .addOption(new Option('--n-ubatch <n>', 'physical batch size (node-llama-cpp decodes with ubatch = batch: the smaller one is used)').argParser(intOption('--n-ubatch', 1)))
    .addOption(new Option('-t, --n-threads <n>', 'CPU threads for generation and prompt processing (default: all math cores)').argParser(intOption('--n-threads', 1)))
    .addOption(new Option('--flash-attn [on|off]', 'flash attention (default: auto)').argParser(parseOnOff))
    .addOption(new Option('--n-gpu-layers <n|auto|max>', 'layers to offload to the GPU (default: auto, all that fit)').argParser(parseGpuLayers))
    .addOption(new Option('--parallel <n>', 'number of slots: requests served at once, each with its own KV cache').default(4).argParser(intOption('--parallel', 1, 256)))
    .addOption(new Option('--queue-size <n>', 'requests that may wait for a free slot before the server answers 503').default(64).argParser(intOption('--queue-size', 0)))
    .option('--chat-template-file <file>', "Jinja chat template to use instead of the model's own")
    .addOption(new Option('--chat-format <family>', 'output syntax to parse (tool calls, thinking); default: detected from the chat template').choices(FAMILY_IDS))
    .addOption(new Option('--reasoning-format <format>', 'auto: split thinking into reasoning_content; none: leave it in the text').choices(['auto', 'none'] as const).default('auto' as const))
    .option('--no-mmap', 'read the whole model into memory instead of memory-mapping it')
    .addOption(new Option('--log-level <level>', 'log level (default: info, debug with --debug)').choices(['trace', 'debug', 'info', 'warn', 'error']))
    .option('--debug', 'keep four snapshots per request (request, prompt, raw output, response) and log verbosely')
    .option('--debug-dir <dir>', 'where --debug writes its snapshots', 'logs')
    .option('--cache-dir <dir>', "save the slots' KV caches here on shutdown and restore them at start (hot restarts)")
    .addOption(new Option('--cache-save-idle <seconds>', 'with --cache-dir, also save changed caches after this long without requests (0: on shutdown only)').default(60).argParser(intOption('--cache-save-idle', 0)))
    .addOption(new Option('--shutdown-grace-ms <ms>', 'on SIGINT/SIGTERM, how long in-flight requests may finish').default(10_000).argParser(intOption('--shutdown-grace-ms', 0)))
    .action(async (options, command) => {
      const resolved = resolveServeOptions(options, command);
      await serve(resolved.options, resolved.warnings);
    });
}

interface ServeCliOptions extends Omit<Partial<ServeOptions>, 'logLevel'> {
  config?: string;
  logLevel?: string;
}

/** The flags as ServeOptions, or with --config the file's settings (warning about flags it overrides). */
export function resolveServeOptions(options: ServeCliOptions, command: Pick<Command, 'getOptionValueSource' | 'options'>): { options: ServeOptions; warnings: string[] } {
  if (options.config === undefined) {
    return { options: { ...options, logLevel: options.logLevel ?? (options.debug ? 'debug' : 'info') } as ServeOptions, warnings: [] };
  }
  const fromConfig = loadConfigFile(options.config);
  if (!options.mock && fromConfig.model === undefined) throw new FatalError(`${options.config}: [model] path is missing (or pass --mock to serve without a model).`);
  const warning = ignoredFlagsWarning(
    (name) => command.getOptionValueSource(name) === 'cli',
    (name) => command.options.find((option) => option.attributeName() === name)?.long ?? name,
  );
  return {
    options: {
      ...DEFAULT_SERVE_OPTIONS,
      ...fromConfig,
      ...(options.mock ? { mock: true } : {}),
      ...(options.pull ? { pull: true } : {}),
      ...(options.mockScript !== undefined ? { mockScript: options.mockScript } : {}),
    },
    warnings: warning ? [warning] : [],
  };
}

function parseOnOff(value: string | undefined): boolean {
  if (value === undefined || value === 'on' || value === 'true' || value === '1') return true;
  if (value === 'off' || value === 'false' || value === '0') return false;
  throw new FatalError(`--flash-attn takes on or off, not "${value}"`);
}

export interface RunningServer {
  url: string;
  engine: Engine;
  /** Stop accepting, let in-flight requests finish (up to the grace period), free the model. */
  stop(): Promise<void>;
}

/** Start a server from CLI options; resolves once the model is loaded and requests are served. */
export async function startServer(options: ServeOptions, logger: pino.Logger = createCliLogger(options.logLevel)): Promise<RunningServer> {
  if (!options.mock && !options.model) throw new FatalError('Pass --model <file.gguf> (or --mock to serve without a model).');
  if (!isLoopbackHost(options.host) && !options.apiKey && !options.allowRemoteWithoutKey) {
    throw new FatalError(
      `Refusing to listen on ${options.host} without an API key: anyone on the network could use the model. Pass --api-key <key>, or --allow-remote-without-key if that is what you want.`,
    );
  }
  // Read everything that can fail cheaply before binding the port.
  const modelPath = options.mock ? undefined : await resolveOrPullModel(options.model!, options.pull);
  const templateOverride = options.chatTemplateFile ? readTemplateFile(options.chatTemplateFile) : undefined;
  const mockScript = options.mockScript ? loadMockScript(options.mockScript) : undefined;
  // Configured caches: checked (names, sizes, one default, rules) before anything loads.
  const caches = options.caches?.length ? options.caches : undefined;
  const router = caches ? new Router(caches) : undefined;

  // node-llama-cpp decodes on libuv's pool; its size is fixed when the process starts (see bin/llama-bridge.cjs).
  logger.debug({ workers: Number(process.env.UV_THREADPOOL_SIZE ?? 4) }, `libuv workers: ${process.env.UV_THREADPOOL_SIZE ?? 4}`);
  const state = new ServerState();
  const app = await createApp({
    state,
    host: options.host,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.cors ? { corsOrigins: options.cors.split(',').map((origin) => origin.trim()) } : {}),
    ...(options.debug ? { debugTraces: new DebugTraces(resolve(options.debugDir ?? 'logs'), [options.apiKey, process.env.HF_TOKEN]) } : {}),
    logger,
  });
  if (options.debug) logger.info({ dir: resolve(options.debugDir ?? 'logs') }, 'debug: keeping four snapshots per request');
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    throw new FatalError(`Could not listen on ${options.host}:${options.port}: ${(error as Error).message}`);
  }

  const shutdown = new AbortController();
  let engine: Engine;
  try {
    engine = modelPath
      ? await loadEngine(modelPath, options, logger)
      : new MockEngine({ slots: options.parallel, maxQueue: options.queueSize, ...(mockScript ? { script: mockScript } : {}), ...(caches ? { caches } : {}) });
    state.engine = engine;
    const templateSource = templateOverride ?? engine.info.chatTemplate;
    const template = createTemplate(templateSource, engine, logger);
    const family = options.chatFormat ?? detectFamily(template.source);
    if (family === 'generic' && !options.chatFormat) {
      logger.warn('the chat template matches no known model family: tool calls are parsed only in the Hermes <tool_call> style; pass --chat-format to choose one');
    } else {
      logger.info({ family, source: options.chatFormat ? '--chat-format' : 'template' }, 'output parser');
    }
    state.ready(new ChatPipeline({ engine, template, logger, family, reasoningFormat: options.reasoningFormat, shutdownSignal: shutdown.signal, ...(router ? { router } : {}) }));
  } catch (error) {
    state.status = 'failed';
    await app.close();
    throw error;
  }
  const { port } = app.server.address() as { port: number };
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // After the grace period, end what is still running and drop connections that never sent a request.
      const grace = setTimeout(() => {
        shutdown.abort(new Error('server shutting down'));
        app.server.closeAllConnections();
      }, options.shutdownGraceMs);
      await app.close();
      clearTimeout(grace);
      shutdown.abort(new Error('server shutting down'));
      await engine.close();
    })());
  return { url, engine, stop };
}

export async function serve(options: ServeOptions, warnings: readonly string[] = []): Promise<void> {
  const logger = createCliLogger(options.logLevel);
  for (const warning of warnings) logger.warn(warning);
  const server = await startServer(options, logger);
  process.stderr.write(`llama-bridge serving ${server.engine.info.name} at ${server.url} (Anthropic and OpenAI APIs under ${server.url}/v1)\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      logger.info({ signal }, 'shutting down: no new requests, letting in-flight requests finish');
      server.stop().then(resolve, (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        resolve();
      });
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

async function loadEngine(modelPath: string, options: ServeOptions, logger: Logger): Promise<Engine> {
  const progress = createLoadProgress(modelPath);
  const started = performance.now();
  try {
    const engine = await LlamaEngine.load({
      modelPath,
      contextSize: options.nCtx,
      parallel: options.parallel,
      batchSize: options.nBatch,
      maxQueue: options.queueSize,
      ...(options.caches?.length ? { caches: options.caches } : {}),
      ...(options.cacheDir ? { cacheDir: options.cacheDir, cacheSaveIdleMs: (options.cacheSaveIdle ?? 60) * 1000 } : {}),
      useMmap: options.mmap,
      logger,
      onLoadProgress: progress.update,
      ...(options.nUbatch !== undefined ? { ubatchSize: options.nUbatch } : {}),
      ...(options.nThreads !== undefined ? { threads: options.nThreads } : {}),
      ...(options.flashAttn !== undefined ? { flashAttention: options.flashAttn } : {}),
      ...(options.nGpuLayers !== undefined ? { gpuLayers: options.nGpuLayers } : {}),
    });
    const layout = engine.info.caches.map((cache) => `${engine.info.caches.length > 1 ? `${cache.name}: ` : ''}${cache.slots} slots × ${cache.contextSize} tokens`).join(', ');
    progress.done(`loaded ${engine.info.name} in ${((performance.now() - started) / 1000).toFixed(1)} s (${layout})`);
    return engine;
  } catch (error) {
    progress.done();
    throw error;
  }
}

function readTemplateFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new FatalError(`Could not read chat template file ${path}: ${(error as Error).message}`);
  }
}

function createTemplate(source: string | undefined, engine: Engine, logger: Logger): ChatTemplate {
  if (source === undefined) logger.warn('the model has no chat template: using ChatML; pass --chat-template-file to use another');
  const tokens = {
    ...(engine.info.bosToken !== undefined ? { bosToken: engine.info.bosToken } : {}),
    ...(engine.info.eosToken !== undefined ? { eosToken: engine.info.eosToken } : {}),
  };
  try {
    return new ChatTemplate(source ?? DEFAULT_CHAT_TEMPLATE, tokens);
  } catch (error) {
    throw new FatalError(`The chat template does not compile: ${(error as Error).message}`);
  }
}
