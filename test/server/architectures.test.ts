// The architectures people run agents on keep their prompt cache: a mixture-of-experts model
// (qwen3moe), a sliding-window one (gemma3, window 32) and a hybrid recurrent one (lfm2), each a
// tiny random-weight fixture with the real Qwen3.5 vocab and template, through the real server
// and llama.cpp. The template drops the previous turn's empty think block, so every next turn
// diverges inside the history, just after the previous generation prompt began.
//
// A wrong reuse shows as output that differs from a cold server's at temperature 0 (the
// fixtures' weights are large enough that it does: a direct cut of the sliding window changed
// turn 3's text before the cut went through a checkpoint), and a missing one as cached_tokens.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_ARCHITECTURES, makeArchModel, type ArchModel } from '../fixtures/arch-models.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';

const HISTORY = Array.from({ length: 30 }, (_, i) => `Line ${i}: the quick brown fox jumps over the lazy dog.`).join('\n');
/** Small batches and long enough answers that the sliding window (32) is crossed many times over. */
const SERVER = { nCtx: 4096, parallel: 1, nBatch: 32 } as const;
const ANSWER_TOKENS = 60;
/** What the next turn re-renders differently: `<|im_start|>assistant\n` plus the dropped think block, in this vocab. */
const GENERATION_PROMPT_TOKENS = 9;

type Message = OpenAI.ChatCompletionMessageParam;

const EXPECTED_MEMORY: Record<string, Record<string, unknown>> = {
  qwen3moe: { recurrent: false, rollback: 'any', cache_strategy: 'full-cache' },
  gemma3: { sliding_window: 32, recurrent: false, rollback: 'window', cache_strategy: 'checkpoints', max_checkpoints: 32, checkpoint_memory_bytes: 2 ** 31 },
  lfm2: { recurrent: true, rollback: 'checkpoints', cache_strategy: 'checkpoints', max_checkpoints: 32, checkpoint_memory_bytes: 2 ** 31 },
};

interface Turn {
  text: string;
  prompt: number;
  cached: number;
  completion: number;
}

async function ask(server: RunningServer, messages: Message[]): Promise<Turn> {
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
  const body = { model: 'm', messages, max_tokens: ANSWER_TOKENS, temperature: 0, chat_template_kwargs: { enable_thinking: false } };
  const completion = await client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming);
  const usage = completion.usage!;
  return {
    text: completion.choices[0]!.message.content ?? '',
    prompt: usage.prompt_tokens,
    cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
    completion: usage.completion_tokens,
  };
}

/** A fresh server with the same settings (`flags`) answering the same conversation. */
async function coldAnswer(model: ArchModel, messages: Message[], flags: { swaFull?: boolean } = {}): Promise<string> {
  return coldAnswerOn(model.path, messages, flags);
}

async function coldAnswerOn(path: string, messages: Message[], flags: { swaFull?: boolean } = {}): Promise<string> {
  const cold = await startTestServer({ model: path, ...SERVER, ...flags });
  try {
    return (await ask(cold, messages)).text;
  } finally {
    await cold.stop();
  }
}

describe.each(FIXTURE_ARCHITECTURES)('%s', (arch) => {
  let model: ArchModel;
  let server: RunningServer;
  const opening: Message[] = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: `${HISTORY}\nSummarise.` },
  ];

  beforeAll(async () => {
    model = await makeArchModel({ arch });
    server = await startTestServer({ model: model.path, ...SERVER });
  }, 120_000);
  afterAll(async () => server?.stop());

  it('reuses the history on every turn (append and divergence) and answers exactly as a cold server', async () => {
    const messages = [...opening];
    const turns: Turn[] = [];
    for (let t = 0; t < 3; t++) {
      const turn = await ask(server, messages);
      expect(turn.completion).toBeGreaterThan(0);
      turns.push(turn);
      messages.push({ role: 'assistant', content: turn.text }, { role: 'user', content: `Question ${t + 1}: and then?` });
    }
    expect(turns[0]!.cached).toBe(0);
    for (const [i, turn] of turns.entries()) {
      if (i === 0) continue;
      const previous = turns[i - 1]!;
      // Everything up to where the previous generation prompt began is kept; a model that can
      // drop any suffix keeps up to the exact divergence, the others up to the checkpoint at its start.
      expect(turn.cached).toBeGreaterThanOrEqual(previous.prompt - GENERATION_PROMPT_TOKENS - 3);
      expect(turn.cached).toBeLessThanOrEqual(previous.prompt);
    }
    messages.splice(-2);
    expect(await coldAnswer(model, messages)).toBe(turns[2]!.text);

    // What the server says about it: the architecture and strategy in /props, the checkpoints in /slots.
    const props = (await (await fetch(`${server.url}/props`)).json()) as { architecture?: string; memory?: Record<string, unknown> };
    const slots = (await (await fetch(`${server.url}/slots`)).json()) as { caches: { slots: { n_checkpoints?: number; checkpoint_bytes?: number }[] }[] };
    const slot = slots.caches[0]!.slots[0]!;
    expect(props.architecture).toBe(arch);
    expect(props.memory).toMatchObject(EXPECTED_MEMORY[arch]!);
    if (arch === 'qwen3moe') expect(slot.n_checkpoints).toBeUndefined();
    else {
      expect(slot.n_checkpoints).toBeGreaterThan(0);
      expect(slot.checkpoint_bytes).toBeGreaterThan(0);
    }
  }, 180_000);

  it('appends to what the slot holds when the next prompt extends it (Qwen2.5 template: the history re-renders as sent)', async () => {
    const chatml = await makeArchModel({ arch, vocab: { gguf: vocabPath('qwen2') }, chatTemplate: readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8') });
    const appending = await startTestServer({ model: chatml.path, ...SERVER });
    try {
      // One token: the slot then holds exactly the first prompt, which the second one extends.
      const client = new OpenAI({ baseURL: `${appending.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const first = await client.chat.completions.create({ model: 'm', messages: opening, max_tokens: 1, temperature: 0 });
      const next: Message[] = [...opening, { role: 'assistant', content: 'Fine.' }, { role: 'user', content: 'And then?' }];
      const second = await ask(appending, next);
      expect(second.cached).toBe(first.usage!.prompt_tokens);
      expect(await coldAnswerOn(chatml.path, next)).toBe(second.text);
    } finally {
      await appending.stop();
    }
  }, 180_000);

  it('reuses up to an edited last message, and answers as a cold server', async () => {
    const first = await ask(server, [...opening]);
    const history: Message[] = [...opening, { role: 'assistant', content: first.text }];
    const asked = await ask(server, [...history, { role: 'user', content: 'What about the dog?' }]);
    const edited: Message[] = [...history, { role: 'user', content: 'What about the fox, then?' }];
    const retried = await ask(server, edited);
    // The edited message starts where the asked one did: everything before it is kept.
    expect(retried.cached).toBeGreaterThanOrEqual(asked.prompt - 20);
    expect(retried.cached).toBeLessThan(retried.prompt);
    expect(await coldAnswer(model, edited)).toBe(retried.text);
  }, 180_000);

  it('keeps the conversation over a hot restart (--cache-dir), and answers as a cold server', async () => {
    const cacheDir = join(mkdtempSync(join(tmpdir(), `hot-${arch}-`)), 'caches');
    let restarted = await startTestServer({ model: model.path, ...SERVER, cacheDir });
    const first = await ask(restarted, [...opening]);
    await restarted.stop();
    const next: Message[] = [...opening, { role: 'assistant', content: first.text }, { role: 'user', content: 'And then?' }];
    restarted = await startTestServer({ model: model.path, ...SERVER, cacheDir });
    try {
      const after = await ask(restarted, next);
      expect(after.cached).toBeGreaterThanOrEqual(first.prompt - GENERATION_PROMPT_TOKENS - 3);
      expect(await coldAnswer(model, next)).toBe(after.text);
    } finally {
      await restarted.stop();
    }
  }, 180_000);
});

describe('gemma3 with --swa-full', () => {
  it('caches every token of the sliding-window layers: keeps up to the exact divergence without checkpoints, as a cold server answers', async () => {
    const model = await makeArchModel({ arch: 'gemma3' });
    const server = await startTestServer({ model: model.path, ...SERVER, swaFull: true });
    try {
      const props = (await (await fetch(`${server.url}/props`)).json()) as { memory?: { rollback?: string; cache_strategy?: string } };
      expect(props.memory).toMatchObject({ rollback: 'any', cache_strategy: 'full-cache' });
      const messages: Message[] = [{ role: 'user', content: `${HISTORY}\nSummarise.` }];
      const first = await ask(server, messages);
      messages.push({ role: 'assistant', content: first.text }, { role: 'user', content: 'And then?' });
      const second = await ask(server, messages);
      // Up to the generation prompt's `<|im_start|>assistant\n`: the first token the next turn renders differently.
      expect(second.cached).toBe(first.prompt - GENERATION_PROMPT_TOKENS + 3);
      expect(await coldAnswer(model, messages, { swaFull: true })).toBe(second.text);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
