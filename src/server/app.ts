// Assembles the HTTP server: Fastify with our body limit and logging, the security hooks
// (API key, DNS-rebinding guard, CORS), health, status endpoints and the API route plugins.
// The composition root's half that speaks HTTP (start.ts builds what it serves).

import { basename } from 'node:path';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { isAnthropicPath, toAnthropicError } from '../api/anthropic/errors.js';
import { anthropicRoutes } from '../api/anthropic/routes.js';
import { toOpenAIError } from '../api/openai/errors.js';
import { openaiRoutes } from '../api/openai/routes.js';
import { chatFormatProps } from '../chat/chat-format.js';
import type { ChatService, ChatServiceInfo } from '../chat/service.js';
import type { ChatRequest, GenerationEvent } from '../chat/types.js';
import { installDebugTraces } from '../debug/http.js';
import type { DebugTraces } from '../debug/trace.js';
import type { Engine, ModelInfo, ModelMemory } from '../engine/types.js';
import { ApiError } from '../errors.js';
import { modelsRoutes } from '../api/models.js';
import { errorHandlerFor } from '../http/fastify-errors.js';
import { Metrics } from '../http/metrics.js';
import { checkApiKey, isLoopbackHost, hostAllowed } from '../http/security.js';
import { RedactingLogController } from '../http/request-log.js';
import { registerSlots } from '../http/slots.js';
import { Activity, type ApiName } from '../ui/activity.js';
import { isPagePath, sendPage, statusPageRoutes, wantsPage } from '../ui/page.js';

export const BODY_LIMIT = 32 * 1024 * 1024;

export type ServerStatus = 'loading' | 'ready' | 'failed';

/** Lets the server answer (503 on /health, clear errors on the API) while the model loads. */
export class ServerState implements ChatService {
  status: ServerStatus = 'loading';
  /** The loaded engine, for status endpoints (/slots); set once the model is loaded. */
  engine: Engine | undefined;
  private chat: ChatService | undefined;

  ready(chat: ChatService): void {
    this.chat = chat;
    this.status = 'ready';
  }

  get info(): ChatServiceInfo {
    return this.chat?.info ?? { modelName: 'loading', loadedAt: 0, slotContextSize: 0 };
  }

  generate(request: ChatRequest, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    if (!this.chat) throw new ApiError('unavailable', 'The model is still loading; retry shortly.', { retryAfter: 5 });
    return this.chat.generate(request, signal);
  }

  countTokens(request: ChatRequest): number {
    if (!this.chat) throw new ApiError('unavailable', 'The model is still loading; retry shortly.', { retryAfter: 5 });
    return this.chat.countTokens(request);
  }
}

export interface AppOptions {
  state: ServerState;
  /** The address the server binds to; a loopback bind turns on the Host-header check. */
  host: string;
  apiKey?: string;
  /** Allowed CORS origins ('*' for any); CORS is off when empty. */
  corsOrigins?: string[];
  logger: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance'];
  /** `--debug`: four snapshots per API request. */
  debugTraces?: DebugTraces;
  bodyLimit?: number;
  /** `--reject-images`: a request holding an image is a 400 instead of getting a text note in its place. */
  rejectImages?: boolean;
  /** `--cache-isolation`: requests reuse cached prompts only within their API key's scope. */
  cacheIsolation?: boolean;
  /** What the status page shows (recent requests, plots); one is made when not given. */
  activity?: Activity;
}

export async function createApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(isLoggerInstance(options.logger) ? { loggerInstance: options.logger } : { logger: options.logger ?? false }),
    bodyLimit: options.bodyLimit ?? BODY_LIMIT,
    genReqId: () => `req_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
    // Keep-alive clients must not hold shutdown open.
    forceCloseConnections: 'idle',
    // Fastify's request log lines, with secrets taken out of the URL.
    logController: new RedactingLogController([options.apiKey]),
  });

  // Each API answers in its own envelope, also for errors raised outside its plugin (404s, and a
  // refused key or Host on /metrics, /slots, /props). Set first: a Fastify route keeps the error
  // handler in place when it was declared, and the routes below fell back to Fastify's own shape.
  app.setErrorHandler(errorHandlerFor((error, url) => (isAnthropicPath(url) ? toAnthropicError(error) : toOpenAIError(error)), 'request failed'));

  const guardHost = isLoopbackHost(options.host);
  app.addHook('onRequest', async (request) => {
    if (guardHost && !hostAllowed(request.headers.host, options.host)) {
      // A page on another site that resolved its name to 127.0.0.1 (DNS rebinding) lands here.
      throw new ApiError('permission', `Host "${request.headers.host ?? ''}" is not allowed: this server only answers to loopback names.`);
    }
    if (options.apiKey && !isOpenPath(request.url) && !checkApiKey(request.headers, options.apiKey)) {
      throw new ApiError('authentication', 'Invalid or missing API key. Send it as "Authorization: Bearer <key>" or "x-api-key: <key>".');
    }
  });

  if (options.corsOrigins?.length) {
    const any = options.corsOrigins.includes('*');
    await app.register(cors, { origin: any ? true : options.corsOrigins, allowedHeaders: ['authorization', 'x-api-key', 'content-type', 'anthropic-version', 'anthropic-beta'] });
  }

  if (options.debugTraces) installDebugTraces(app, options.debugTraces);

  // GET /metrics (Prometheus); the API routes get the metered service so token counts are seen once for both APIs.
  const metrics = new Metrics({
    queueDepths: () => {
      const engine = options.state.engine;
      return engine ? Object.fromEntries(engine.info.caches.map((cache) => [cache.name, engine.queueDepth(cache.name)])) : {};
    },
  });
  metrics.install(app);
  const chat = metrics.meter(options.state);
  const activity = options.activity ?? new Activity({ engine: () => options.state.engine });
  activity.start();
  app.addHook('onClose', async () => activity.stop());
  installRefusedRequests(app, activity);

  app.head('/', async (_request, reply) => reply.code(200).send());
  // A browser gets the status page; API clients and Claude Code's probes get what they always did.
  app.get('/', async (request, reply) => (wantsPage(request) ? sendPage(reply) : { name: 'llama-bridge', status: options.state.status }));
  await app.register(statusPageRoutes({ state: options.state, activity, ...(options.debugTraces ? { traceDir: options.debugTraces.dir } : {}) }));
  app.get('/health', async (_request, reply) => {
    const { status } = options.state;
    if (status !== 'ready') return reply.code(503).send({ status, error: status === 'loading' ? 'model is loading' : 'model failed to load' });
    return { status: 'ok' };
  });
  // The part of llama-server's /props that clients read: `llama-bridge cc` sizes Claude Code's
  // auto-compaction from n_ctx (context tokens per slot of the default cache, where the main
  // conversation goes); `caches` lists every cache's slots and size. Ours: the GGUF
  // `architecture` and the model's `memory` (how the prompt cache is kept), once known.
  app.get('/props', async () => {
    const { modelName, slotContextSize } = options.state.info;
    const engine = options.state.engine?.info;
    const caches = engine?.caches.map(({ name, slots, contextSize, remote }) => ({ name, slots, n_ctx: contextSize, ...(remote ? { remote } : {}) })) ?? [];
    return {
      model: modelName,
      n_ctx: slotContextSize,
      default_generation_settings: { n_ctx: slotContextSize },
      caches,
      ...(engine?.architecture !== undefined ? { architecture: engine.architecture } : {}),
      ...(engine?.memory ? { memory: memoryProps(engine.memory) } : {}),
      ...(engine?.speculation ? { speculative: speculationProps(engine.speculation) } : {}),
      ...(engine?.remote ? { remote: engine.remote } : {}),
      ...(options.state.info.chatFormat ? { chat_format: chatFormatProps(options.state.info.chatFormat) } : {}),
    };
  });

  registerSlots(app, () => options.state.engine);

  const rejectImages = options.rejectImages === true;
  const cacheIsolation = options.cacheIsolation === true;
  await app.register(openaiRoutes({ chat: activity.observe(chat, 'openai'), newId: () => randomUUID().replaceAll('-', '').slice(0, 24), rejectImages, cacheIsolation }));
  await app.register(anthropicRoutes({ chat: activity.observe(chat, 'anthropic'), rejectImages, cacheIsolation }));
  await app.register(modelsRoutes({ chat }));

  app.setNotFoundHandler(async (request) => {
    throw new ApiError('not_found', `Not found: ${request.method} ${request.url.split('?')[0]}`);
  });
  return app;
}

/** ModelMemory as /props shows it: snake_case, unset fields left out. */
export function memoryProps(memory: ModelMemory): Record<string, string | number | boolean> {
  return {
    ...(memory.slidingWindow !== undefined ? { sliding_window: memory.slidingWindow } : {}),
    recurrent: memory.recurrent,
    rollback: memory.rollback,
    cache_strategy: memory.cacheStrategy,
    ...(memory.maxCheckpoints !== undefined ? { max_checkpoints: memory.maxCheckpoints } : {}),
    ...(memory.checkpointMemoryBytes !== undefined ? { checkpoint_memory_bytes: memory.checkpointMemoryBytes } : {}),
  };
}

/** Speculative decoding as /props shows it (llama-server's spellings where it has them). */
function speculationProps(speculation: NonNullable<ModelInfo['speculation']>): Record<string, unknown> {
  return {
    type: speculation.type,
    draft_max: speculation.draftMax,
    draft_min: speculation.draftMin,
    ...(speculation.draftModel !== undefined ? { draft_model: basename(speculation.draftModel) } : {}),
    caches: speculation.caches,
  };
}

/**
 * Health and the client probes stay reachable without a key, as with llama-server's /health;
 * so do the status page and its static assets (the data they show is behind the key).
 */
function isOpenPath(url: string): boolean {
  const path = url.split('?')[0]!;
  return path === '/health' || path === '/' || isPagePath(path);
}

/** Generation endpoints, whose refusals (a 400 before any generation, a 401) the status page lists. */
const GENERATION_ROUTES: Record<string, ApiName> = { '/v1/messages': 'anthropic', '/v1/chat/completions': 'openai' };

/** Lists API requests refused before they reached generation, with their error. */
function installRefusedRequests(app: FastifyInstance, activity: Activity): void {
  const errors = new WeakMap<object, unknown>();
  app.addHook('onError', async (request, _reply, error) => {
    errors.set(request, error);
  });
  app.addHook('onResponse', async (request, reply) => {
    const api = request.method === 'POST' ? GENERATION_ROUTES[request.url.split('?')[0]!] : undefined;
    if (!api || reply.statusCode < 400) return;
    const body = request.body as { model?: unknown } | undefined;
    activity.refused({
      id: request.id,
      api,
      model: typeof body?.model === 'string' ? body.model : '',
      startedAt: Date.now() - reply.elapsedTime,
      status: reply.statusCode,
      error: errors.get(request) ?? `HTTP ${reply.statusCode}`,
      ...(request.trace ? { trace: basename(request.trace.folder) } : {}),
    });
  });
}

function isLoggerInstance(logger: AppOptions['logger']): logger is NonNullable<FastifyServerOptions['loggerInstance']> {
  return typeof logger === 'object' && logger !== null && typeof (logger as { child?: unknown }).child === 'function';
}
