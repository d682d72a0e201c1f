// The status page: a browser page (`GET /` from a browser, and `/ui`) showing the model, every
// cache and slot, plots of the last minutes, the recent requests and, under `--debug`, their
// traces; plus a chat box that talks to the server's own OpenAI API.
//
// The page and its assets are static files from the package (web/, and the charting and UI
// libraries from node_modules; nothing from a CDN), so they are served without the API key:
// they hold no data. Everything the page shows comes from /ui/api/*, behind the key like the
// rest of the API (the page asks for it and sends it in a header, never in a URL). Every page
// response carries a strict Content-Security-Policy: scripts, styles and connections only from
// this server, no inline script, no framing.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { chatFormatProps } from '../chat/chat-format.js';
import type { ChatServiceInfo } from '../chat/service.js';
import { thinkingMarkers } from '../chat/thinking-markers.js';
import type { Engine } from '../engine/types.js';
import { ApiError } from '../errors.js';
import { installedPackageDir } from '../package-version.js';
import type { Activity, ActivityUpdate } from './activity.js';
import { readTrace } from './trace-view.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What the page needs to know about the server (the composition root's ServerState fits it). */
export interface PageState {
  readonly status: string;
  readonly info: ChatServiceInfo;
  readonly engine: Engine | undefined;
}

export interface StatusPageOptions {
  state: PageState;
  activity: Activity;
  /** `--debug`: the folder the traces are written to. */
  traceDir?: string;
}

interface Asset {
  path: string;
  type: string;
}

const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** Every file the page may load, by its URL under /ui/assets/. Nothing else is served from disk. */
function assets(): Map<string, Asset> {
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  return new Map([
    ['app.js', { path: join(WEB_DIR, 'app.js'), type: js }],
    ['style.css', { path: join(WEB_DIR, 'style.css'), type: css }],
    ['vendor/preact-htm.js', { path: packageFile('htm', 'preact/standalone.module.js'), type: js }],
    ['vendor/uplot.js', { path: packageFile('uplot', 'dist/uPlot.iife.min.js'), type: js }],
    ['vendor/uplot.css', { path: packageFile('uplot', 'dist/uPlot.min.css'), type: css }],
  ]);
}

/** A file inside an installed package (its `exports` may not list it). */
function packageFile(name: string, file: string): string {
  const folder = installedPackageDir(name);
  if (folder === undefined) throw new Error(`the status page needs the package ${name}; run npm ci`);
  return join(folder, file);
}

/** Browsers ask for HTML; API clients and Claude Code's probes do not. */
export function wantsPage(request: FastifyRequest): boolean {
  return /\btext\/html\b/.test(request.headers.accept ?? '');
}

/** Paths that serve the page or its static assets: open without the API key, as they hold no data. */
export function isPagePath(path: string): boolean {
  return path === '/ui' || path === '/ui/' || path.startsWith('/ui/assets/');
}

export function sendPage(reply: FastifyReply): FastifyReply {
  return secure(reply)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .send(readFileSync(join(WEB_DIR, 'index.html')));
}

function secure(reply: FastifyReply): FastifyReply {
  return reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
}

export function statusPageRoutes(options: StatusPageOptions) {
  return async function routes(app: FastifyInstance): Promise<void> {
    const files = assets();
    for (const [name, asset] of files) {
      if (!existsSync(asset.path)) throw new Error(`status page asset ${name} is missing: ${asset.path}`);
    }
    const cache = new Map<string, Buffer>();
    // Open event streams end when the server closes; otherwise they would hold it open.
    const streams = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const close of streams) close();
    });

    app.get('/ui', async (_request, reply) => sendPage(reply));
    app.get('/ui/', async (_request, reply) => sendPage(reply));
    app.get<{ Params: { '*': string } }>('/ui/assets/*', async (request, reply) => {
      const name = request.params['*'];
      const asset = files.get(name);
      if (!asset) throw new ApiError('not_found', `Not found: ${request.url.split('?')[0]}`);
      let body = cache.get(name);
      if (!body) {
        body = readFileSync(asset.path);
        cache.set(name, body);
      }
      return secure(reply).type(asset.type).header('cache-control', 'no-cache').send(body);
    });

    app.get('/ui/api/state', async () => ({ ...describe(options), ...options.activity.snapshot() }));

    // Server-sent events: the state once, then what changed after every sample. A reader that
    // falls 1 MiB behind is dropped (the page reconnects) rather than buffered without end.
    app.get('/ui/api/events', (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
        'x-accel-buffering': 'no',
      });
      const send = (event: string, data: unknown) => {
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        if (res.writableLength > 2 ** 20) close();
      };
      const unsubscribe = options.activity.subscribe((update: ActivityUpdate) => send('update', { status: options.state.status, ...update }));
      const close = () => {
        unsubscribe();
        streams.delete(close);
        if (!res.writableEnded) res.end();
      };
      streams.add(close);
      res.on('close', close);
      send('state', { ...describe(options), ...options.activity.snapshot() });
      request.log.debug('status page connected');
    });

    app.get<{ Params: { name: string } }>('/ui/api/traces/:name', async (request) => {
      if (options.traceDir === undefined) throw new ApiError('not_found', 'Traces are kept only under --debug.');
      const trace = readTrace(options.traceDir, request.params.name);
      if (!trace) throw new ApiError('not_found', `No trace named "${request.params.name}".`);
      return { ...trace, markup: markupOf(options.state) };
    });
  };
}

/** The model and server as the page's header and model panel show them. */
function describe({ state, traceDir, activity }: StatusPageOptions) {
  const engine = state.engine?.info;
  const format = state.info.chatFormat;
  return {
    server: { version, status: state.status, debug: traceDir !== undefined, intervalMs: activity.intervalMs },
    model: engine
      ? {
          name: engine.name,
          file: basename(engine.path),
          path: engine.path,
          architecture: engine.architecture ?? null,
          chatFormat: format ? chatFormatProps(format) : null,
          slotContextSize: engine.slotContextSize,
          trainContextSize: engine.trainContextSize ?? null,
          remote: engine.remote ?? null,
          threads: engine.threads ?? null,
          gpu: engine.gpu ?? null,
          memory: engine.memory ?? null,
          speculation: engine.speculation ? { ...engine.speculation, draftModel: engine.speculation.draftModel ? basename(engine.speculation.draftModel) : undefined } : null,
          defaultCache: engine.defaultCache,
          caches: engine.caches,
        }
      : null,
  };
}

/** Literal markup of the model's family that the raw-output view highlights (besides special-token shapes). */
function markupOf(state: PageState): string[] {
  const format = state.info.chatFormat;
  const thinking = format ? thinkingMarkers(format.family, '', true, format.derived) : undefined;
  const markers = [thinking?.open, thinking?.close, ...(state.engine?.info.eogTokens ?? [])];
  return [...new Set(markers.filter((marker): marker is string => typeof marker === 'string' && marker.trim().length > 0))];
}
