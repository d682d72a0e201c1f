// --cache-dir does not trust its files: state files are private, a manifest cannot point outside
// the folder, and a state file that is not the one written (bytes flipped, grown) is discarded
// instead of being handed to llama.cpp. Real state files on a fixture model.

import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeRandomModel } from '../fixtures/models.js';
import { startTestServer } from '../helpers/server.js';

const HISTORY = Array.from({ length: 40 }, (_, i) => `Line ${i}: the quick brown fox jumps over the lazy dog.`).join('\n');
const FIRST: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: `${HISTORY}\nSummarise.` }];
const NEXT: OpenAI.ChatCompletionMessageParam[] = [...FIRST, { role: 'assistant', content: 'Foxes.' }, { role: 'user', content: 'And dogs?' }];

let model: { path: string };

beforeAll(async () => {
  model = await makeRandomModel({ shape: 'tiny', vocab: { gguf: vocabPath('qwen2') }, chatTemplate: readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8') });
});

async function turn(cacheDir: string, messages: OpenAI.ChatCompletionMessageParam[]): Promise<OpenAI.CompletionUsage> {
  const server = await startTestServer({ model: model.path, nCtx: 2048, parallel: 1, cacheDir });
  try {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
    return (await client.chat.completions.create({ model: 'm', messages, max_tokens: 4, temperature: 0 })).usage!;
  } finally {
    await server.stop();
  }
}

/** One run that saves a slot; returns the model's folder and its state file. */
async function saved(): Promise<{ cacheDir: string; folder: string; state: string; opening: OpenAI.CompletionUsage }> {
  const cacheDir = join(mkdtempSync(join(tmpdir(), 'cache-files-')), 'caches');
  const opening = await turn(cacheDir, FIRST);
  const folder = join(cacheDir, readdirSync(cacheDir)[0]!);
  const state = join(
    folder,
    readdirSync(folder).find((file) => file.endsWith('.state'))!,
  );
  return { cacheDir, folder, state, opening };
}

describe('--cache-dir files', () => {
  it('are private, and an untouched one is restored', async () => {
    const { folder, state, cacheDir, opening } = await saved();
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(state).mode & 0o777).toBe(0o600);
    expect(statSync(join(folder, 'manifest.json')).mode & 0o777).toBe(0o600);
    expect((await turn(cacheDir, NEXT)).prompt_tokens_details?.cached_tokens).toBeGreaterThanOrEqual(opening.prompt_tokens - 1);
  });

  it('a state file with flipped bytes is discarded, not restored', async () => {
    const { cacheDir, state } = await saved();
    const bytes = readFileSync(state);
    for (let i = bytes.length - 64; i < bytes.length - 32; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(state, bytes);
    expect((await turn(cacheDir, NEXT)).prompt_tokens_details?.cached_tokens ?? 0).toBeLessThan(10);
  });

  it('a state file that grew is discarded, not restored', async () => {
    const { cacheDir, state } = await saved();
    appendFileSync(state, Buffer.alloc(4096, 7));
    expect((await turn(cacheDir, NEXT)).prompt_tokens_details?.cached_tokens ?? 0).toBeLessThan(10);
  });

  it('a manifest entry naming a file outside the folder is ignored, and that file is never touched', async () => {
    const { cacheDir, folder, state } = await saved();
    // Without its state file the slot cannot load, and a failed load discards the entry's file.
    rmSync(state);
    const victim = join(dirname(cacheDir), 'victim.txt');
    writeFileSync(victim, 'keep me');
    const manifestPath = join(folder, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { slots: { file: string }[] };
    manifest.slots[0]!.file = '../../victim.txt';
    writeFileSync(manifestPath, JSON.stringify(manifest));
    expect((await turn(cacheDir, NEXT)).prompt_tokens_details?.cached_tokens ?? 0).toBeLessThan(10);
    expect(existsSync(victim)).toBe(true);
  });
});
