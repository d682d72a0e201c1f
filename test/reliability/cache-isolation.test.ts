// --cache-isolation: one client must not learn from cached_tokens (or from a quick first token)
// that another client's prompt began with the text it guessed. Real inference on a fixture model.

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';

const SECRET = `${'Confidential plan: acquire the lighthouse company before the spring. '.repeat(8)}Summarise.`;

async function cached(server: RunningServer, key: string): Promise<{ prompt: number; cached: number }> {
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
  const completion = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: SECRET }], max_tokens: 4, temperature: 0 });
  return { prompt: completion.usage!.prompt_tokens, cached: completion.usage!.prompt_tokens_details?.cached_tokens ?? 0 };
}

describe.each([
  { isolation: true, shared: false },
  { isolation: false, shared: true },
])('cache isolation $isolation', ({ isolation, shared }) => {
  let server: RunningServer;

  beforeAll(async () => {
    const model = await makeScriptedModel({ script: 'Noted.' });
    server = await startTestServer({ model: model.path, nCtx: 2048, parallel: 2, cacheIsolation: isolation });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(
    shared ? "another key's request reuses the cached prompt (the probe isolation closes)" : 'another key sees nothing of the cached prompt; the same key still reuses it',
    async () => {
      const alice = await cached(server, 'sk-alice');
      const probe = await cached(server, 'sk-mallory');
      if (shared) {
        expect(probe.cached).toBeGreaterThanOrEqual(alice.prompt - 1);
      } else {
        expect(probe.cached).toBe(0);
        expect((await cached(server, 'sk-alice')).cached).toBeGreaterThanOrEqual(alice.prompt - 1);
      }
    },
  );
});
