// Load beyond what the server holds: with every slot busy and the queue full, a request is
// refused at once — Anthropic 529 overloaded_error, OpenAI 503 — with Retry-After; a client
// that leaves while queued or while generating gives its place and its slot back. /health
// answers within 1 s throughout.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;

beforeAll(async () => {
  const script = join(mkdtempSync(join(tmpdir(), 'overload-')), 'script.json');
  writeFileSync(script, JSON.stringify({ tokenDelayMs: 40, responses: [{ output: 'word '.repeat(50) }] }));
  server = await startTestServer({ mock: true, mockScript: script, parallel: 1, queueSize: 1 });
});
afterAll(async () => {
  await server?.stop();
});

const body = (stream = false) => JSON.stringify({ model: 'm', max_tokens: 50, stream, messages: [{ role: 'user', content: 'hi' }] });
const send = (path: string, signal?: AbortSignal) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(), ...(signal ? { signal } : {}) });

async function expectHealthy(): Promise<void> {
  expect((await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(1_000) })).status).toBe(200);
}

describe('one slot, a queue of one', () => {
  it('refuses the third request at once in each API, with Retry-After', async () => {
    const running = send('/v1/messages');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const queued = send('/v1/messages');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const anthropic = await send('/v1/messages');
    const openai = await send('/v1/chat/completions');
    expect(anthropic.status).toBe(529);
    expect(((await anthropic.json()) as { error: { type: string } }).error.type).toBe('overloaded_error');
    expect(anthropic.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(openai.status).toBe(503);
    expect(((await openai.json()) as { error: { type: string } }).error.type).toBe('server_error');
    await expectHealthy();

    expect((await running).status).toBe(200);
    expect((await queued).status).toBe(200);
  });

  it('a client that leaves while queued, and one that leaves while generating, give their place back', async () => {
    const generating = new AbortController();
    const running = send('/v1/chat/completions', generating.signal).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const waiting = new AbortController();
    const queued = send('/v1/chat/completions', waiting.signal).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    waiting.abort();
    generating.abort();
    await Promise.all([running, queued]);
    await expectHealthy();
    // Both places are free again: two requests in a row are served, not refused.
    const [a, b] = await Promise.all([send('/v1/chat/completions'), send('/v1/messages')]);
    expect([a.status, b.status]).toEqual([200, 200]);
  });
});
