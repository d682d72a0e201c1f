// Clients that stop reading or leave in the middle: a stream nobody reads holds its own slot
// only, and a client that leaves while its prompt is being processed frees the slot within a
// batch — the server keeps answering /health and other requests throughout.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeRandomModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';

async function expectHealthy(server: RunningServer): Promise<void> {
  expect((await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(1_000) })).status).toBe(200);
}

describe('a stream nobody reads', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const script = join(mkdtempSync(join(tmpdir(), 'slow-reader-')), 'script.json');
    // Far more output than socket buffers hold: the writer must wait for the reader.
    writeFileSync(script, JSON.stringify({ tokenDelayMs: 0, responses: [{ output: 'lorem ipsum dolor sit amet '.repeat(40_000) }] }));
    server = await startTestServer({ mock: true, mockScript: script, parallel: 2 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('holds only its own slot; others are served meanwhile, and leaving frees it', async () => {
    let stalled: ClientRequest | undefined;
    const opened = new Promise<void>((resolve) => {
      stalled = httpRequest(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
        response.pause(); // never read
        resolve();
      });
      stalled.end(JSON.stringify({ model: 'm', stream: true, max_tokens: 200_000, messages: [{ role: 'user', content: 'hi' }] }));
    });
    await opened;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expectHealthy(server);
    const other = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      signal: AbortSignal.timeout(5_000),
    });
    expect(other.status).toBe(200);
    stalled!.destroy();
    // Its slot is free again: two at once are both served.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const both = await Promise.all(
      [0, 1].map(() =>
        fetch(`${server.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
          signal: AbortSignal.timeout(5_000),
        }),
      ),
    );
    expect(both.map((response) => response.status)).toEqual([200, 200]);
  });
});

describe('a client that leaves while its prompt is processed (real inference)', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const model = await makeRandomModel({ shape: 'tiny', vocab: { gguf: vocabPath('qwen2') }, chatTemplate: readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8') });
    server = await startTestServer({ model: model.path, nCtx: 16_384, parallel: 1, nBatch: 64 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('stops reading the prompt and frees the slot, and the next request is served', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const long = Array.from({ length: 900 }, (_, i) => `Line ${i}: the quick brown fox jumps over the lazy dog.`).join('\n');
    const controller = new AbortController();
    const leaving = client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: long }], max_tokens: 4 }, { signal: controller.signal })
      .catch(() => undefined);
    // Wait until the slot is taken: the prompt (~12 000 tokens, 64 a batch) is being read.
    let processing = false;
    for (let i = 0; i < 50 && !processing; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const report = (await (await fetch(`${server.url}/slots`)).json()) as { caches: { slots: { is_processing: boolean; n_cached_tokens: number }[] }[] };
      processing = report.caches[0]!.slots[0]!.is_processing;
    }
    expect(processing).toBe(true);
    controller.abort();
    await leaving;
    // The slot stops where the prompt was when the client left: it holds a part of the ~12 000
    // tokens, not all of them (reading the whole prompt takes ~5 s here).
    let slot = { is_processing: true, n_cached_tokens: 0 };
    while (slot.is_processing) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const report = (await (await fetch(`${server.url}/slots`)).json()) as { caches: { slots: (typeof slot)[] }[] };
      slot = report.caches[0]!.slots[0]!;
    }
    expect(slot.n_cached_tokens).toBeLessThan(6_000);
    await expectHealthy(server);
    const next = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Short question.' }], max_tokens: 4 });
    expect(next.choices[0]!.finish_reason).toBeDefined();
  });
});
