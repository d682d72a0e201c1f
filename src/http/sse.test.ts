import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { SseWriter, watchClientDisconnect } from './sse.js';

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
    expect(await readAll(res)).toBe(
      'data: {"a":1}\n\n' +
        'event: ping\ndata: {"type":"ping"}\n\n' +
        'data: line1\ndata: line2\n\n' +
        ': hello\n\n' +
        'data: [DONE]\n\n',
    );
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
    const finished = await new Promise<IncomingMessage>((resolve) =>
      http.get({ port, host: '127.0.0.1', headers: { 'x-mode': 'finish' } }, resolve),
    );
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
