// A prompt far beyond the context, near the body limit: refused with the context-length error
// after counting only as much of it as it takes, with /health answering meanwhile. Tokenizing
// 30 MiB whole held every client for ~13 s first.

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';

describe('a 24 MiB prompt on a 4 096-token context (qwen2 tokenizer)', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const model = await makeScriptedModel({ vocab: { gguf: vocabPath('qwen2') }, script: 'Hello there.' });
    server = await startTestServer({ model: model.path, nCtx: 4096, parallel: 1 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is refused as too long after counting only its start, and /health answers within 1 s meanwhile', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const request = client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'The quick brown fox jumps over the lazy dog. '.repeat((24 * 2 ** 20) / 45) }],
    });
    const outcome = request.then(
      () => undefined,
      (error: unknown) => error,
    );
    // Poll /health while the server reads and counts the prompt.
    while ((await Promise.race([outcome.then(() => 'done'), new Promise((resolve) => setTimeout(resolve, 100, 'pending'))])) === 'pending') {
      const health = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(1_000) });
      expect(health.status).toBe(200);
    }
    expect(await outcome).toMatchObject({ status: 400, code: 'context_length_exceeded' });
    // Refused after counting a piece or two (a lower bound), not the ~5.6 million tokens of the
    // whole prompt: tokenizing it all took 8.7 s here, the event loop held all along.
    const counted = Number(/resulted in (\d+) tokens/.exec(((await outcome) as Error).message)?.[1]);
    expect(counted).toBeGreaterThan(4096);
    expect(counted).toBeLessThan(1_000_000);
  });
});
