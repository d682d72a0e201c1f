import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { pumpSse, SseWriter, type PumpSseOptions, type StreamConverter, watchClientDisconnect } from './sse.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

async function serve(handler: Handler): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A raw HTTP request whose response the test reads (or does not read) by hand. */
function rawRequest(port: number, body = '') {
  return new Promise<{ req: http.ClientRequest; res: IncomingMessage }>((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers: { 'content-type': 'text/plain' } });
    req.on('response', (res) => resolve({ req, res }));
    req.on('error', reject);
    req.end(body);
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk;
  return text;
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('SseWriter', () => {
  it('writes SSE headers and frames', async () => {
    const port = await serve(async (_req, res) => {
      const sse = new SseWriter(res);
      sse.open(200, { 'X-Extra': 'yes' });
      await sse.writeEvent({ a: 1 });
      await sse.writeEvent({ type: 'ping' }, 'ping');
      await sse.writeEvent('line1\nline2');
      await sse.writeComment('hello');
      await sse.writeRaw('data: [DONE]\n\n');
      sse.close();
    });
    const { res } = await rawRequest(port);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['connection']).toBe('keep-alive');
    expect(res.headers['x-accel-buffering']).toBe('no');
    expect(res.headers['x-extra']).toBe('yes');
    expect(await readAll(res)).toBe('data: {"a":1}\n\n' + 'event: ping\ndata: {"type":"ping"}\n\n' + 'data: line1\ndata: line2\n\n' + ': hello\n\n' + 'data: [DONE]\n\n');
  });

  it('does not fire the signal when the request body has been read, nor on a normal close', async () => {
    let sse: SseWriter | undefined;
    const port = await serve(async (req, res) => {
      sse = new SseWriter(res);
      for await (const _ of req); // read the body: req 'close' fires here
      await new Promise((r) => setTimeout(r, 20));
      expect(sse.signal.aborted).toBe(false);
      await sse.writeEvent({ ok: true });
      sse.close();
    });
    const { res } = await rawRequest(port, 'some body');
    await readAll(res);
    await new Promise((r) => setTimeout(r, 20));
    expect(sse?.signal.aborted).toBe(false);
  });

  it('fires the signal when the client goes away, and later writes resolve false without throwing', async () => {
    let sse: SseWriter | undefined;
    const port = await serve((_req, res) => {
      sse = new SseWriter(res);
      sse.open();
      sse.startPings(5);
    });
    const { req, res } = await rawRequest(port);
    res.resume();
    await waitFor(() => sse !== undefined);
    req.destroy();
    await waitFor(() => sse!.signal.aborted);
    expect((sse!.signal.reason as DOMException).name).toBe('AbortError');
    expect(sse!.closed).toBe(true);
    await expect(sse!.writeEvent({ late: true })).resolves.toBe(false);
    await expect(sse!.writeRaw('data: x\n\n')).resolves.toBe(false);
    expect(() => sse!.close()).not.toThrow();
  });

  it('waits for drain when the client reads slowly, and resolves false if it leaves meanwhile', async () => {
    let sse: SseWriter | undefined;
    let firstWrite: Promise<boolean> | undefined;
    let settled = false;
    const big = 'x'.repeat(4 * 1024 * 1024);
    const port = await serve((_req, res) => {
      sse = new SseWriter(res);
      sse.open();
      firstWrite = sse.writeEvent(big);
      void firstWrite.then(() => (settled = true));
    });
    const { req, res } = await rawRequest(port);
    await waitFor(() => firstWrite !== undefined);
    await new Promise((r) => setTimeout(r, 50));
    // The client has not read anything: the socket buffer is full and the write waits.
    expect(settled).toBe(false);
    req.destroy();
    res.destroy();
    await expect(firstWrite).resolves.toBe(false);
  });

  it('resumes after drain when the client reads', async () => {
    const big = 'y'.repeat(2 * 1024 * 1024);
    const results: boolean[] = [];
    const port = await serve(async (_req, res) => {
      const sse = new SseWriter(res);
      sse.open();
      results.push(await sse.writeEvent(big));
      results.push(await sse.writeEvent('end'));
      sse.close();
    });
    const { res } = await rawRequest(port);
    const text = await readAll(res);
    expect(results).toEqual([true, true]);
    expect(text.length).toBe(big.length + 'data: \n\n'.length * 2 + 'end'.length);
  });

  it('sends pings until closed', async () => {
    const port = await serve(async (_req, res) => {
      const sse = new SseWriter(res);
      sse.open();
      sse.startPings(10);
      await new Promise((r) => setTimeout(r, 60));
      sse.close();
    });
    const { res } = await rawRequest(port);
    const text = await readAll(res);
    expect(text.split(': ping\n\n').length - 1).toBeGreaterThanOrEqual(2);
  });

  it('pings with a custom function', async () => {
    const port = await serve(async (_req, res) => {
      const sse = new SseWriter(res);
      sse.open();
      sse.startPings(10, (w) => w.writeEvent({ type: 'ping' }, 'ping'));
      await new Promise((r) => setTimeout(r, 35));
      sse.stopPings();
      await sse.writeEvent('bye');
      sse.close();
    });
    const text = await readAll((await rawRequest(port)).res);
    expect(text).toMatch(/^event: ping\ndata: \{"type":"ping"\}\n\n/);
    expect(text.endsWith('data: bye\n\n')).toBe(true);
  });

  it('takes over a Fastify reply, keeping headers already set on it', async () => {
    const app = Fastify({ logger: false });
    app.get('/events', async (_request, reply) => {
      reply.header('access-control-allow-origin', '*');
      const sse = new SseWriter(reply);
      await sse.writeEvent({ n: 1 });
      await sse.writeEvent('[DONE]');
      sse.close();
      return reply;
    });
    const res = await app.inject({ method: 'GET', url: '/events' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.body).toBe('data: {"n":1}\n\ndata: [DONE]\n\n');
    await app.close();
  });
});

describe('watchClientDisconnect', () => {
  it('aborts only when the response closes before it finished', async () => {
    const watches: Array<ReturnType<typeof watchClientDisconnect>> = [];
    const port = await serve((req, res) => {
      const watch = watchClientDisconnect(res);
      watches.push(watch);
      if (req.headers['x-mode'] === 'finish') res.end('done');
    });
    const finished = await new Promise<IncomingMessage>((resolve) => http.get({ port, host: '127.0.0.1', headers: { 'x-mode': 'finish' } }, resolve));
    await readAll(finished);
    await new Promise((r) => setTimeout(r, 20));
    expect(watches[0]?.signal.aborted).toBe(false);

    const req = http.get({ port, host: '127.0.0.1' });
    req.on('error', () => {});
    await waitFor(() => watches.length === 2);
    req.destroy();
    await waitFor(() => watches[1]!.signal.aborted);
  });

  it('can be disposed', async () => {
    let watch: ReturnType<typeof watchClientDisconnect> | undefined;
    const port = await serve((_req, res) => {
      watch = watchClientDisconnect(res);
      watch.dispose();
    });
    const req = http.get({ port, host: '127.0.0.1' });
    req.on('error', () => {});
    await waitFor(() => watch !== undefined);
    req.destroy();
    await new Promise((r) => setTimeout(r, 30));
    expect(watch!.signal.aborted).toBe(false);
  });
});

/** Strings in, `{type, text}` out; the event 'stop' finishes it. Records what it was fed. */
class FakeConverter implements StreamConverter<string, { type: string; text?: string }> {
  readonly pushed: string[] = [];
  finished = false;

  push(event: string): { type: string; text?: string }[] {
    this.pushed.push(event);
    if (this.finished) return [];
    if (event === 'stop') {
      this.finished = true;
      return [{ type: 'end' }];
    }
    return [{ type: 'text', text: event }];
  }
}

/** An iterator over `source` that records every next() and return() the pump makes. */
function tracked(source: AsyncGenerator<string>, calls: string[]): AsyncIterator<string> {
  return {
    next: () => {
      calls.push('next');
      return source.next();
    },
    return: (value?: unknown) => {
      calls.push('return');
      return source.return(value);
    },
  };
}

interface PumpRun {
  port: number;
  /** Settles when the pump returned (rejects if it threw). */
  pumped: Promise<void>;
  converter: FakeConverter;
  calls: string[];
  logs: unknown[][];
  errors: unknown[];
}

/**
 * A server whose one response is written by `pumpSse` over a real SseWriter, with a fake
 * converter, a recording logger, OpenAI-like `[END]` after the last event and an `error` event.
 * `produce` gets the writer (for its signal); `first` defaults to the producer's first next().
 */
async function pumpServer(
  produce: (sse: SseWriter) => AsyncGenerator<string>,
  options: { first?: (events: AsyncIterator<string>) => IteratorResult<string> | Promise<IteratorResult<string>> } & Partial<
    Omit<PumpSseOptions<string, { type: string; text?: string }>, 'first'>
  > = {},
): Promise<PumpRun> {
  const converter = new FakeConverter();
  const logs: unknown[][] = [];
  const errors: unknown[] = [];
  let resolvePumped!: (p: Promise<void>) => void;
  const pumped = new Promise<Promise<void>>((resolve) => (resolvePumped = resolve)).then((p) => p);
  const calls: string[] = [];
  const port = await serve((_req, res) => {
    const sse = new SseWriter(res);
    const events = tracked(produce(sse), calls);
    const { first = (it) => it.next(), ...rest } = options;
    resolvePumped(
      pumpSse(sse, {
        events,
        first: first(events),
        converter,
        writeEvent: (writer, wire) => writer.writeEvent(wire, wire.type),
        writeEnd: (writer) => writer.writeEvent('[END]'),
        writeError: (writer, err) => {
          errors.push(err);
          return writer.writeEvent({ error: (err as Error).message }, 'error');
        },
        pingIntervalMs: 0,
        log: {
          info: (msg) => logs.push(['info', msg]),
          warn: (obj, msg) => logs.push(['warn', msg, (obj as { err: Error }).err.message]),
        },
        names: { stream: 'test stream', work: 'test work' },
        ...rest,
      }),
    );
  });
  return { port, pumped, converter, calls, logs, errors };
}

/** Let the pump's deferred `return()` run. */
const settle = () => new Promise((r) => setTimeout(r, 10));

const text = (t: string) => `event: text\ndata: {"type":"text","text":"${t}"}\n\n`;
const END = 'event: end\ndata: {"type":"end"}\n\n' + 'data: [END]\n\n';
const error = (message: string) => `event: error\ndata: {"error":"${message}"}\n\n`;

describe('pumpSse', () => {
  it('writes every event, then the end, and closes; the producer finishes on its own', async () => {
    const run = await pumpServer(async function* () {
      yield 'a';
      yield 'b';
      yield 'stop';
    });
    const { res } = await rawRequest(run.port);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(await readAll(res)).toBe(text('a') + text('b') + END);
    await run.pumped;
    await settle();
    expect(run.converter.pushed).toEqual(['a', 'b', 'stop']);
    expect(run.calls).toEqual(['next', 'next', 'next', 'next']);
    expect(run.logs).toEqual([]);
    expect(run.errors).toEqual([]);
  });

  it('turns a producer failure before the end into the error event, and calls return()', async () => {
    const boom = new Error('boom');
    const run = await pumpServer(async function* () {
      yield 'a';
      throw boom;
    });
    expect(await readAll((await rawRequest(run.port)).res)).toBe(text('a') + error('boom'));
    await run.pumped;
    await settle();
    expect(run.errors).toEqual([boom]);
    expect(run.calls).toEqual(['next', 'next', 'return']);
    expect(run.logs).toEqual([]);
  });

  it('logs (and does not write) a producer failure after the converter finished', async () => {
    const run = await pumpServer(async function* () {
      yield 'stop';
      throw new Error('late boom');
    });
    expect(await readAll((await rawRequest(run.port)).res)).toBe(END);
    await run.pumped;
    await settle();
    expect(run.errors).toEqual([]);
    expect(run.logs).toEqual([['warn', 'test work failed after its stream was complete', 'late boom']]);
    expect(run.calls).toEqual(['next', 'next', 'return']);
  });

  it('reports a producer that ends without finishing the converter as an internal error', async () => {
    const run = await pumpServer(async function* () {
      yield 'a';
    });
    expect(await readAll((await rawRequest(run.port)).res)).toBe(text('a') + error('The generation ended without a result'));
    await run.pumped;
    await settle();
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toBeInstanceOf(ApiError);
    expect((run.errors[0] as ApiError).kind).toBe('internal');
    expect(run.calls).toEqual(['next', 'next']);
  });

  it('pings while the first result is pending, then writes the stream', async () => {
    let resolveFirst!: (result: IteratorResult<string>) => void;
    const run = await pumpServer(
      async function* () {
        yield 'b';
        yield 'stop';
      },
      {
        first: () => new Promise((resolve) => (resolveFirst = resolve)),
        pingIntervalMs: 10,
        ping: (writer) => writer.writeEvent({ type: 'ping' }, 'ping'),
      },
    );
    const { res } = await rawRequest(run.port);
    res.setEncoding('utf8');
    let body = '';
    res.on('data', (chunk: string) => (body += chunk));
    await waitFor(() => body.includes('event: ping'));
    resolveFirst({ done: false, value: 'a' });
    await once(res, 'end');
    const PING = 'event: ping\ndata: {"type":"ping"}\n\n';
    expect(body.startsWith(PING)).toBe(true);
    expect(body.split(PING).join('')).toBe(text('a') + text('b') + END);
    await run.pumped;
    await settle();
    expect(run.converter.pushed).toEqual(['a', 'b', 'stop']);
    expect(run.calls).toEqual(['next', 'next', 'next']);
  });

  it('turns a pending first result that rejects into the error event, and calls return()', async () => {
    let rejectFirst!: (err: Error) => void;
    const run = await pumpServer(
      async function* () {
        yield 'never';
      },
      { first: () => new Promise((_resolve, reject) => (rejectFirst = reject)) },
    );
    const { res } = await rawRequest(run.port);
    expect(res.statusCode).toBe(200);
    rejectFirst(new Error('queue full'));
    expect(await readAll(res)).toBe(error('queue full'));
    await run.pumped;
    await settle();
    expect(run.converter.pushed).toEqual([]);
    expect(run.calls).toEqual(['return']);
  });

  it('stops pulling when the client leaves mid-stream: return() is called and the producer stops', async () => {
    let produced = 0;
    let stopped = false;
    const run = await pumpServer(async function* () {
      // Ignores the signal on purpose: only return() can stop it.
      try {
        for (;;) {
          yield `t${produced++}`;
          await new Promise((r) => setTimeout(r, 2));
        }
      } finally {
        stopped = true;
      }
    });
    const { req, res } = await rawRequest(run.port);
    res.setEncoding('utf8');
    let body = '';
    res.on('data', (chunk: string) => (body += chunk));
    await waitFor(() => body.includes('"t2"'));
    req.destroy();
    await run.pumped;
    await settle();
    expect(stopped).toBe(true);
    const after = produced;
    await new Promise((r) => setTimeout(r, 30));
    expect(produced).toBe(after);
    expect(run.calls.at(-1)).toBe('return');
    expect(run.calls.filter((c) => c === 'return')).toHaveLength(1);
    expect(run.calls.filter((c) => c === 'next')).toHaveLength(produced);
    expect(run.converter.finished).toBe(false);
    expect(run.errors).toEqual([]);
    expect(run.logs).toEqual([]);
  });

  it('logs a producer that fails because the client left, and writes no error event', async () => {
    const run = await pumpServer(async function* (sse) {
      yield 'a';
      await new Promise((_resolve, reject) => sse.signal.addEventListener('abort', () => reject(sse.signal.reason as Error), { once: true }));
    });
    const { req, res } = await rawRequest(run.port);
    res.setEncoding('utf8');
    let body = '';
    res.on('data', (chunk: string) => (body += chunk));
    await waitFor(() => body === text('a'));
    req.destroy();
    await run.pumped;
    await settle();
    expect(run.errors).toEqual([]);
    expect(run.logs).toEqual([['info', 'client disconnected during a test stream']]);
    expect(run.calls).toEqual(['next', 'next', 'return']);
  });

  it('closes the response as soon as the converter finishes, and still drains the producer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let drained = false;
    const run = await pumpServer(async function* () {
      yield 'a';
      yield 'stop';
      await gate;
      yield 'x';
      yield 'y';
      drained = true;
    });
    // The whole body arrives (the response ended) while the producer is still held at the gate.
    expect(await readAll((await rawRequest(run.port)).res)).toBe(text('a') + END);
    expect(drained).toBe(false);
    release();
    await run.pumped;
    await settle();
    expect(drained).toBe(true);
    expect(run.converter.pushed).toEqual(['a', 'stop']);
    expect(run.calls).toEqual(['next', 'next', 'next', 'next', 'next']);
    expect(run.logs).toEqual([]);
    expect(run.errors).toEqual([]);
  });
});
