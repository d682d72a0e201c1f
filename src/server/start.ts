// The composition root: from one validated Config to a running server. Starts the HTTP server
// first (so /health answers 503 while the model loads), then loads the engine, the chat
// template and the output parser, and hands the pipeline to the routes. Everything below
// (engine, chat, routing, APIs) is built here and nowhere else.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type pino from 'pino';
import { resolveChatFormat } from '../chat/chat-format.js';
import { ChatPipeline } from '../chat/pipeline.js';
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE } from '../chat/template.js';
import { remoteOfCache, speculationOf, type Config, type RemoteConfig } from '../config/config.js';
import { DebugTraces } from '../debug/trace.js';
import { LlamaEngine } from '../engine/llama-engine.js';
import { loadMockScript, MockEngine } from '../engine/mock-engine.js';
import { RemoteEngine } from '../engine/remote/remote-engine.js';
import { CompositeEngine } from '../engine/composite-engine.js';
import { defaultCacheOf } from '../engine/caches.js';
import type { Engine } from '../engine/types.js';
import { ApiError, FatalError } from '../errors.js';
import { resolveOrPullModel } from '../hub/pull.js';
import type { Logger } from '../log.js';
import { Router } from '../routing/router.js';
import { createApp, ServerState } from './app.js';
import { createLoadProgress } from './load-progress.js';

export interface RunningServer {
  url: string;
  engine: Engine;
  /** Stop accepting, let in-flight requests finish (up to the grace period), free the model. */
  stop(): Promise<void>;
}

/** Start a server; resolves once the model is loaded and requests are served. */
export async function startServer(config: Config, logger: pino.Logger): Promise<RunningServer> {
  const { server, model } = config;
  // Read everything that can fail cheaply before binding the port.
  const modelPath = config.mock ? undefined : await resolveOrPullModel(model.path!, model.pull);
  const templateOverride = model.chatTemplateFile ? readTemplateFile(model.chatTemplateFile) : undefined;
  const mockScript = config.mock?.script ? loadMockScript(config.mock.script) : undefined;
  // With one cache and no rules there is nothing to decide: requests go to the engine's default cache.
  const routed = config.caches.length > 1 || config.caches.some((cache) => cache.routes.length > 0);
  const router = routed ? new Router(config.caches) : undefined;

  // node-llama-cpp decodes on libuv's pool; its size is fixed when the process starts (see bin/llama-bridge.cjs).
  logger.debug({ workers: Number(process.env.UV_THREADPOOL_SIZE ?? 4) }, `libuv workers: ${process.env.UV_THREADPOOL_SIZE ?? 4}`);
  const state = new ServerState();
  const debugDir = resolve(server.debugDir);
  const app = await createApp({
    state,
    host: server.host,
    ...(server.apiKey ? { apiKey: server.apiKey } : {}),
    ...(server.corsOrigins.length ? { corsOrigins: server.corsOrigins } : {}),
    ...(server.debug ? { debugTraces: new DebugTraces(debugDir, [server.apiKey, process.env.HF_TOKEN]) } : {}),
    rejectImages: server.rejectImages,
    cacheIsolation: server.cacheIsolation,
    logger,
  });
  if (server.debug) logger.info({ dir: debugDir }, 'debug: keeping four snapshots per request');
  try {
    await app.listen({ host: server.host, port: server.port });
  } catch (error) {
    throw new FatalError(`Could not listen on ${server.host}:${server.port}: ${(error as Error).message}`);
  }

  const shutdown = new AbortController();
  let engine: Engine;
  try {
    engine = modelPath ? await loadEngine(modelPath, config, logger) : new MockEngine({ caches: config.caches, ...(mockScript ? { script: mockScript } : {}) });
    state.engine = engine;
    const template = createTemplate(templateOverride ?? engine.info.chatTemplate, engine, logger);
    const chatFormat = resolveChatFormat(template, model.chatFormat, logger);
    state.ready(
      new ChatPipeline({
        engine,
        template,
        logger,
        family: chatFormat.family,
        chatFormat,
        reasoningFormat: model.reasoningFormat,
        shutdownSignal: shutdown.signal,
        ...(router ? { router } : {}),
      }),
    );
  } catch (error) {
    state.status = 'failed';
    await app.close();
    throw error;
  }
  const { port } = app.server.address() as { port: number };
  const url = `http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // After the grace period, end what is still running: each open stream then writes its
      // API's error event and ends. Connections still open a moment later (a client that never
      // sent a request, or one that stopped reading) are dropped.
      let drop: NodeJS.Timeout | undefined;
      const grace = setTimeout(() => {
        shutdown.abort(shuttingDown());
        drop = setTimeout(() => app.server.closeAllConnections(), DROP_AFTER_ABORT_MS);
      }, server.shutdownGraceMs);
      await app.close();
      clearTimeout(grace);
      clearTimeout(drop);
      shutdown.abort(shuttingDown());
      await engine.close();
    })());
  return { url, engine, stop };
}

/** How long streams get, once their generation is aborted, to write their error event before connections are dropped. */
const DROP_AFTER_ABORT_MS = 1_000;

/** What a generation cut by shutdown ends with: a deliberate 503 (Anthropic: overloaded), not a failure to log with a stack. */
function shuttingDown(): ApiError {
  return new ApiError('unavailable', 'The server is shutting down; retry against it once it is back.', { code: 'server_shutting_down' });
}

/**
 * The engines that serve the caches: in-process llama.cpp for the local ones, a remote engine
 * for each remote (caches sharing one remote share its engine), one engine in front of them all
 * when there are several. A remote must free what started before it when one fails to start.
 */
async function loadEngine(modelPath: string, config: Config, logger: Logger): Promise<Engine> {
  const remotes = new Map<string, { remote: RemoteConfig; caches: typeof config.caches }>();
  const local: typeof config.caches = [];
  for (const cache of config.caches) {
    const remote = remoteOfCache(config, cache.name);
    if (!remote) {
      local.push(cache);
      continue;
    }
    const key = `${remote.protocol} ${remote.url}`;
    const group = remotes.get(key) ?? { remote, caches: [] };
    group.caches.push(cache);
    remotes.set(key, group);
  }
  const engines: Engine[] = [];
  try {
    for (const { remote, caches } of remotes.values()) engines.push(await loadRemoteEngine(modelPath, remote, caches, logger));
    if (local.length > 0) engines.push(await loadLocalEngine(modelPath, config, local, logger));
  } catch (error) {
    for (const engine of engines) await engine.close().catch(() => undefined);
    throw error;
  }
  if (engines.length === 1) return engines[0]!;
  return new CompositeEngine(
    engines,
    config.caches.map((cache) => cache.name),
    defaultCacheOf(config.caches).name,
  );
}

async function loadRemoteEngine(modelPath: string, remote: RemoteConfig, caches: Config['caches'], logger: Logger): Promise<Engine> {
  const { url, protocol, apiKey, timeoutSeconds, affinityHeaders } = remote;
  const engine = await RemoteEngine.load({ modelPath, url, protocol, caches, timeoutMs: timeoutSeconds * 1000, affinityHeaders, logger, ...(apiKey ? { apiKey } : {}) });
  logger.info(`serving ${engine.info.name} through ${url} (${layoutOf(engine)})`);
  return engine;
}

function layoutOf(engine: Engine): string {
  return engine.info.caches.map((cache) => `${engine.info.caches.length > 1 ? `${cache.name}: ` : ''}${cache.slots} slots × ${cache.contextSize} tokens`).join(', ');
}

async function loadLocalEngine(modelPath: string, config: Config, caches: Config['caches'], logger: Logger): Promise<Engine> {
  const { model, server } = config;
  const speculation = speculationOf(model);
  const progress = createLoadProgress(modelPath);
  const started = performance.now();
  try {
    const engine = await LlamaEngine.load({
      modelPath,
      caches,
      batchSize: model.batchSize,
      ...(server.cacheDir ? { cacheDir: server.cacheDir, cacheSaveIdleMs: server.cacheSaveIdleSeconds * 1000 } : {}),
      useMmap: model.mmap,
      logger,
      onLoadProgress: progress.update,
      ...(model.ubatchSize !== undefined ? { ubatchSize: model.ubatchSize } : {}),
      ...(model.threads !== undefined ? { threads: model.threads } : {}),
      ...(model.flashAttention !== undefined ? { flashAttention: model.flashAttention } : {}),
      ...(model.gpuLayers !== undefined ? { gpuLayers: model.gpuLayers } : {}),
      swaFull: model.swaFull,
      checkpoints: { max: model.ctxCheckpoints, maxBytes: Math.round(model.checkpointMemoryMiB * 2 ** 20) },
      ...(speculation ? { speculation } : {}),
    });
    progress.done(`loaded ${engine.info.name} in ${((performance.now() - started) / 1000).toFixed(1)} s (${layoutOf(engine)})`);
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
