// Hot restarts (--cache-dir): a stopped server writes its slots' KV caches to disk and the next
// one reads them back, so a long conversation's next turn is not processed again. Real
// llama.cpp state files on a fixture model.

import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeRandomModel } from '../fixtures/models.js';
import { startTestServer } from '../helpers/server.js';

const HISTORY = Array.from({ length: 40 }, (_, i) => `Line ${i}: the quick brown fox jumps over the lazy dog.`).join('\n');

async function ask(url: string, messages: OpenAI.ChatCompletionMessageParam[]): Promise<OpenAI.CompletionUsage> {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
  const completion = await client.chat.completions.create({ model: 'm', messages, max_tokens: 4, temperature: 0 });
  return completion.usage!;
}

describe('--cache-dir: slot caches survive a restart', () => {
  it('restores the caches of the last run on the same model, and only there', async () => {
    const template = readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8');
    const model = await makeRandomModel({ shape: 'tiny', vocab: { gguf: vocabPath('qwen2') }, chatTemplate: template });
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'hot-restart-')), 'caches');
    const first: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: `${HISTORY}\nSummarise.` }];
    const next: OpenAI.ChatCompletionMessageParam[] = [...first, { role: 'assistant', content: 'Foxes.' }, { role: 'user', content: 'And dogs?' }];

    // Run 1: one long turn, then stop (saves).
    let server = await startTestServer({ model: model.path, nCtx: 2048, parallel: 2, cacheDir });
    const opening = await ask(server.url, first);
    await server.stop();
    const [folder] = readdirSync(cacheDir);
    const files = readdirSync(join(cacheDir, folder!));
    expect(files).toContain('manifest.json');
    expect(files.filter((file) => file.endsWith('.state'))).toHaveLength(1);

    // Run 2: the next turn reuses the first turn's prompt from the restored cache.
    server = await startTestServer({ model: model.path, nCtx: 2048, parallel: 2, cacheDir });
    const warm = await ask(server.url, next);
    await server.stop();
    expect(warm.prompt_tokens_details?.cached_tokens).toBeGreaterThanOrEqual(opening.prompt_tokens - 1);

    // Control: without the saved caches the same turn starts cold.
    server = await startTestServer({ model: model.path, nCtx: 2048, parallel: 2 });
    const cold = await ask(server.url, next);
    await server.stop();
    expect(cold.prompt_tokens_details?.cached_tokens ?? 0).toBeLessThan(10);

    // Slots of another size do not take a saved state: nothing is restored, nothing breaks.
    server = await startTestServer({ model: model.path, nCtx: 1024, parallel: 2, cacheDir });
    const resized = await ask(server.url, next);
    await server.stop();
    expect(resized.prompt_tokens_details?.cached_tokens ?? 0).toBeLessThan(10);

    // Another model file never sees this model's caches.
    const other = await makeRandomModel({ shape: 'tiny', vocab: { gguf: vocabPath('qwen2') }, chatTemplate: template, seed: 7 });
    server = await startTestServer({ model: other.path, nCtx: 2048, parallel: 2, cacheDir });
    const foreign = await ask(server.url, next);
    await server.stop();
    expect(foreign.prompt_tokens_details?.cached_tokens ?? 0).toBeLessThan(10);
    expect(existsSync(join(cacheDir, folder!, 'manifest.json'))).toBe(true);
  });

  it('also saves after a quiet spell, so a server that dies without stopping loses nothing', async () => {
    const template = readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8');
    const model = await makeRandomModel({ shape: 'tiny', vocab: { gguf: vocabPath('qwen2') }, chatTemplate: template });
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'hot-restart-idle-')), 'caches');
    const first: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: `${HISTORY}\nSummarise.` }];
    const next: OpenAI.ChatCompletionMessageParam[] = [...first, { role: 'assistant', content: 'Foxes.' }, { role: 'user', content: 'And dogs?' }];

    const running = await startTestServer({ model: model.path, nCtx: 2048, parallel: 2, cacheDir, cacheSaveIdle: 1 });
    try {
      const opening = await ask(running.url, first);
      // Still running (as if it were about to be killed): the idle save has written the cache.
      let manifest: string | undefined;
      for (let i = 0; i < 100 && !manifest; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        manifest = existsSync(cacheDir)
          ? readdirSync(cacheDir, { recursive: true })
              .map(String)
              .find((file) => file.endsWith('manifest.json'))
          : undefined;
      }
      expect(manifest).toBeDefined();
      const other = await startTestServer({ model: model.path, nCtx: 2048, parallel: 2, cacheDir, cacheSaveIdle: 0 });
      const warm = await ask(other.url, next);
      await other.stop();
      expect(warm.prompt_tokens_details?.cached_tokens).toBeGreaterThanOrEqual(opening.prompt_tokens - 1);
    } finally {
      await running.stop();
    }
  });
});
