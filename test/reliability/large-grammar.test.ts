// A schema too large to enforce as a grammar: a tool whose parameter lists 100 000 enum values
// blocked every client for 48 s while its grammar was built, and kept its slot busy ~80 s after
// the client left. Now such an enum is not put in a grammar: the tool's arguments are generated
// free and validated afterwards, and the same enum in response_format is a 400 naming it.

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';

const enumOf = (n: number) => ({ type: 'object', properties: { code: { type: 'string', enum: Array.from({ length: n }, (_, i) => `c${i}`) } }, required: ['code'] });
const hugeEnum = enumOf(100_000);

describe('a 100 000-value enum (real inference)', () => {
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    const model = await makeScriptedModel({ script: 'Hello there.' });
    server = await startTestServer({ model: model.path, nCtx: 16_384, parallel: 1 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('in a tool: answered without a grammar for it, /health answering within 1 s meanwhile', async () => {
    // 2 000 values: over the grammar's limit, and its prompt (the template lists the tool) fits the context.
    const answer = client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: enumOf(2_000) } }],
      temperature: 0,
      max_tokens: 8,
    });
    const health = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(1_000) });
    expect(health.status).toBe(200);
    expect((await answer).choices[0]!.message.content).toBe('Hello there.');
  });

  it('in a tool whose prompt cannot fit: the context-length 400', async () => {
    const request = client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: hugeEnum } }],
    });
    await expect(request).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded' });
  });

  it('in response_format: a 400 naming the enum', async () => {
    const request = client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'r', schema: hugeEnum } },
    });
    await expect(request).rejects.toMatchObject({
      status: 400,
      param: 'response_format',
      message: expect.stringContaining('the enum at /properties/code lists 100000 values, more than the 1024 a grammar can enforce') as unknown,
    });
  });
});
