// The OpenAI Chat Completions API end to end: the real server, real llama.cpp inference on
// generated fixture models (real Qwen2.5 tokenizer and template), and the official client.

import { readFileSync } from 'node:fs';
import { getLlama, type LlamaModel } from 'node-llama-cpp';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/start.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer } from '../helpers/server.js';

const SCRIPT = 'Hello there! How can I help you today?';
const LOOP_SCRIPT = ' alpha beta gamma delta';

let scripted: RunningServer;
let looping: RunningServer;
let scriptedClient: OpenAI;
let loopClient: OpenAI;
let tokenizer: LlamaModel;

beforeAll(async () => {
  const chatTemplate = readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8');
  const vocab = { gguf: vocabPath('qwen2') };
  const [scriptModel, loopModel] = await Promise.all([
    makeScriptedModel({ vocab, chatTemplate, script: SCRIPT }),
    makeScriptedModel({ vocab, chatTemplate, script: LOOP_SCRIPT, loop: true }),
  ]);
  scripted = await startTestServer({ model: scriptModel.path, nCtx: 2048, parallel: 4 });
  looping = await startTestServer({ model: loopModel.path, nCtx: 512, parallel: 4 });
  scriptedClient = new OpenAI({ baseURL: `${scripted.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  loopClient = new OpenAI({ baseURL: `${looping.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  // An independent tokenizer (vocab only) to check the server's token counts.
  const llama = await getLlama({ build: 'never' });
  tokenizer = await llama.loadModel({ modelPath: scriptModel.path, vocabOnly: true });
});

afterAll(async () => {
  await Promise.all([scripted?.stop(), looping?.stop()]);
  await tokenizer?.dispose();
});

/** The prompt Qwen2.5's template renders for one user message without tools or system prompt. */
function qwenPrompt(user: string): string {
  return `<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n`;
}

describe('POST /v1/chat/completions on a scripted model', () => {
  it('answers non-streaming with the scripted text and exact usage', async () => {
    const completion = await scriptedClient.chat.completions.create({
      model: 'anything-the-client-likes',
      messages: [{ role: 'user', content: 'Say hello.' }],
      temperature: 0,
    });
    expect(completion.choices[0]?.message.content).toBe(SCRIPT);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.model).toBe('anything-the-client-likes');
    const expectedPrompt = tokenizer.tokenize(qwenPrompt('Say hello.'), true).length;
    const expectedCompletion = tokenizer.tokenize(SCRIPT).length;
    expect(completion.usage).toMatchObject({
      prompt_tokens: expectedPrompt,
      completion_tokens: expectedCompletion,
      total_tokens: expectedPrompt + expectedCompletion,
    });
  });

  it('streams the scripted text with usage at the end', async () => {
    const stream = await scriptedClient.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Stream please.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let pieces = 0;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        pieces++;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(SCRIPT);
    expect(pieces).toBeGreaterThan(3); // really streamed, not one blob
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(tokenizer.tokenize(SCRIPT).length);
  });

  it('reports the shared prefix of a follow-up request as cached tokens', async () => {
    const history: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You are a careful assistant. '.repeat(20) },
      { role: 'user', content: 'First question about caching?' },
    ];
    const first = await scriptedClient.chat.completions.create({ model: 'm', messages: history });
    const second = await scriptedClient.chat.completions.create({
      model: 'm',
      messages: [...history, { role: 'assistant', content: first.choices[0]!.message.content! }, { role: 'user', content: 'And a second one?' }],
    });
    const cached = second.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    const firstPrompt = first.usage!.prompt_tokens;
    // Everything the first request evaluated (its prompt) is reused.
    expect(cached).toBeGreaterThanOrEqual(firstPrompt - 1);
    expect(cached).toBeLessThan(second.usage!.prompt_tokens);
  });

  it('cuts output at a stop string and never streams part of it', async () => {
    const completion = await scriptedClient.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Stop early.' }],
      stop: ['How can'],
    });
    expect(completion.choices[0]?.message.content).toBe('Hello there! ');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });

  it('stops at max_tokens with finish_reason length', async () => {
    const completion = await scriptedClient.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Short.' }],
      max_tokens: 2,
    });
    expect(completion.usage?.completion_tokens).toBe(2);
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(SCRIPT.startsWith(completion.choices[0]!.message.content!)).toBe(true);
  });
});

describe('response_format', () => {
  it('constrains the output to a JSON schema with a grammar', async () => {
    const completion = await scriptedClient.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Pick a color.' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'pick',
          schema: { type: 'object', properties: { color: { enum: ['red', 'green'] } }, required: ['color'], additionalProperties: false },
        },
      },
      max_tokens: 40,
    });
    // The scripted model "wants" to say hello; the grammar only lets it write the JSON.
    const parsed = JSON.parse(completion.choices[0]!.message.content!) as { color: string };
    expect(['red', 'green']).toContain(parsed.color);
  });

  it('rejects a schema the grammar converter cannot use with a 400', async () => {
    const error = await scriptedClient.chat.completions
      .create({
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        response_format: { type: 'json_schema', json_schema: { name: 'bad', schema: { type: 'no-such-type' } } },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/schema/i);
  });
});

describe('concurrency, cancellation and limits', () => {
  it('serves 4 concurrent streams together, overlapping in time', async () => {
    const timeline = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const stream = await loopClient.chat.completions.create({
          model: 'm',
          messages: [{ role: 'user', content: `Concurrent stream number ${i}` }],
          stream: true,
          max_tokens: 48,
        });
        let first = 0;
        let last = 0;
        let text = '';
        for await (const chunk of stream) {
          const piece = chunk.choices[0]?.delta.content;
          if (!piece) continue;
          text += piece;
          first ||= performance.now();
          last = performance.now();
        }
        return { first, last, text };
      }),
    );
    for (const stream of timeline) expect(stream.text.startsWith(LOOP_SCRIPT)).toBe(true);
    // Every stream produced its first token before any stream finished: they ran together.
    const firstFinish = Math.min(...timeline.map((s) => s.last));
    for (const stream of timeline) expect(stream.first).toBeLessThan(firstFinish);
  });

  it('frees the slot of an aborted stream and keeps its cache', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'A long answer that the client will abandon.' }];
    const controller = new AbortController();
    const stream = await loopClient.chat.completions.create({ model: 'm', messages, stream: true, max_tokens: 400 }, { signal: controller.signal });
    let pieces = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content && ++pieces === 5) controller.abort();
      }
    } catch {
      // The SDK may or may not raise on its own abort; either way the connection is gone.
    }
    expect(pieces).toBe(5);
    // The server notices the disconnect and releases the slot promptly.
    await waitFor(() => looping.engine.slots().every((slot) => !slot.busy), 5_000);
    const next = await loopClient.chat.completions.create({ model: 'm', messages, max_tokens: 4 });
    expect(next.usage?.prompt_tokens_details?.cached_tokens).toBe(next.usage!.prompt_tokens - 1);
  });

  it('rejects a prompt longer than the context with a 400 that names the counts', async () => {
    const error = await loopClient.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'word '.repeat(1000) }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiError.code).toBe('context_length_exceeded');
    expect(apiError.message).toMatch(/\d{3,} tokens/);
    expect(apiError.message).toContain('512');
  });
});

describe('images (no model served has vision)', () => {
  /** A valid 1×1 PNG (70 bytes) as a data: URL. */
  const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
  const content: OpenAI.ChatCompletionContentPart[] = [
    { type: 'text', text: 'What is in these?' },
    { type: 'image_url', image_url: { url: png } },
    { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
  ];

  it('become a note in their place: the request succeeds and the prompt holds the notes', async () => {
    const completion = await scriptedClient.chat.completions.create({ model: 'm', messages: [{ role: 'user', content }] });
    expect(completion.choices[0]?.message.content).toBe(SCRIPT);
    const user = [
      'What is in these?',
      '[image: image/png, 70 bytes — not shown, this model has no vision support]',
      '[image: example.com — not shown, this model has no vision support]',
    ].join('\n');
    expect(completion.usage?.prompt_tokens).toBe(tokenizer.tokenize(qwenPrompt(user), true).length);
  });

  describe('with --reject-images', () => {
    let strict: RunningServer;
    beforeAll(async () => {
      strict = await startTestServer({ mock: true, rejectImages: true });
    });
    afterAll(() => strict?.stop());

    it('answers the 400 images_not_supported naming the part', async () => {
      const client = new OpenAI({ baseURL: `${strict.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const refused = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content }] }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      expect(refused).toMatchObject({ status: 400, code: 'images_not_supported', param: 'messages[0].content[1]', type: 'invalid_request_error' });
      expect((refused as Error).message).toContain('this model does not accept images');
    });
  });
});

describe('request validation', () => {
  const post = (body: string) => fetch(`${scripted.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('answers malformed JSON with a 400 in the OpenAI envelope', async () => {
    const response = await post('{"model": "m", "messages": [');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/JSON/i);
  });

  it('names the field of a wrong type', async () => {
    const response = await post(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 'hot' }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe('temperature');
  });

  it('rejects an unknown role naming the message', async () => {
    const response = await post(
      JSON.stringify({
        model: 'm',
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'wizard', content: 'x' },
        ],
      }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe('messages[1].role');
  });

  it('lists the loaded model', async () => {
    const models = await scriptedClient.models.list();
    expect(models.data.map((m) => m.id)).toHaveLength(1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
