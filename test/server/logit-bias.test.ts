// OpenAI's logit_bias on a real model (it used to be accepted and ignored): a bias of -100 on the
// token the model would write next takes it out, an id outside the vocabulary is a 400 naming
// logit_bias (llama.cpp's sampler would index past its logits).

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeScriptedModel, type ScriptedModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';

describe('logit_bias (real inference)', () => {
  let model: ScriptedModel;
  let server: RunningServer;
  let client: OpenAI;
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello.' }];

  beforeAll(async () => {
    // The scripted token leads every other by a logit of 40 (the fixture's default).
    model = await makeScriptedModel({ script: 'Hello there.' });
    server = await startTestServer({ model: model.path, nCtx: 512, parallel: 1 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('follows the script without a bias, and leaves the biased-out first token', async () => {
    const plain = await client.chat.completions.create({ model: 'm', messages, temperature: 0, max_tokens: 8 });
    expect(plain.choices[0]!.message.content).toBe('Hello there.');
    const first = model.scriptTokens[0]!;
    const biased = await client.chat.completions.create({ model: 'm', messages, temperature: 0, max_tokens: 8, logit_bias: { [first]: -100 } });
    expect(biased.choices[0]!.message.content).not.toMatch(/^Hello/);
    // A bias that does not overcome the lead changes nothing.
    const mild = await client.chat.completions.create({ model: 'm', messages, temperature: 0, max_tokens: 8, logit_bias: { [first]: -5 } });
    expect(mild.choices[0]!.message.content).toBe('Hello there.');
  });

  it('rejects a token id outside the vocabulary and keys that are not ids', async () => {
    const outside = client.chat.completions.create({ model: 'm', messages, logit_bias: { '99999999': 5 } });
    await expect(outside).rejects.toMatchObject({ status: 400, param: 'logit_bias', message: expect.stringContaining("not in the model's vocabulary") as unknown });
    const word = client.chat.completions.create({ model: 'm', messages, logit_bias: { hello: 5 } });
    await expect(word).rejects.toMatchObject({ status: 400, param: 'logit_bias.hello' });
    const tooStrong = client.chat.completions.create({ model: 'm', messages, logit_bias: { '1': 101 } });
    await expect(tooStrong).rejects.toMatchObject({ status: 400 });
    // The slot is free again: a normal request still answers.
    expect((await client.chat.completions.create({ model: 'm', messages, temperature: 0, max_tokens: 8 })).choices[0]!.message.content).toBe('Hello there.');
  });
});
