// Bad input through the whole server (flags → config → routes → chat pipeline → template):
// each request gets the exact status and error envelope of its API, and the server keeps
// answering /health meanwhile. The mock engine serves: these cases are about what happens
// before a model runs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({ mock: true });
});
afterAll(async () => {
  await server?.stop();
});

async function post(path: string, body: string | Uint8Array, contentType = 'application/json'): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, json: await response.json() };
}

/** /health answers within a second (the server is not stuck). */
async function expectHealthy(): Promise<void> {
  const response = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(1_000) });
  expect(response.status).toBe(200);
}

// JSON text nested `levels` deep, written as text: JSON.stringify would overflow first.
const nestedSchema = (levels: number) => `${'{"type":"object","properties":{"a":'.repeat(levels)}{"type":"string"}${'}}'.repeat(levels)}`;
const nestedObject = (levels: number) => `${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`;

describe('JSON nested 3 000 levels deep (was a 500: the template renderer overflowed the stack)', () => {
  const user = '{"role":"user","content":"hi"}';

  it('Anthropic: a tool input_schema and a tool_use input are 400 invalid_request_error naming the field', async () => {
    const schema = await post('/v1/messages', `{"model":"m","max_tokens":8,"messages":[${user}],"tools":[{"name":"t","input_schema":${nestedSchema(3000)}}]}`);
    expect(schema).toEqual({
      status: 400,
      json: { type: 'error', error: { type: 'invalid_request_error', message: 'tools.0.input_schema.properties.a.properties…: nested more than 128 levels deep' } },
    });
    const toolUse = `{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"t","input":${nestedObject(3000)}}]}`;
    const input = await post('/v1/messages/count_tokens', `{"model":"m","messages":[${user},${toolUse}]}`);
    expect(input.status).toBe(400);
    expect(input.json).toMatchObject({ error: { type: 'invalid_request_error', message: 'messages.1.content.0.input.a…: nested more than 128 levels deep' } });
    await expectHealthy();
  });

  it('OpenAI: tool parameters, response_format schema and call arguments are 400 invalid_request_error with the param', async () => {
    const parameters = await post(
      '/v1/chat/completions',
      `{"model":"m","messages":[${user}],"tools":[{"type":"function","function":{"name":"t","parameters":${nestedSchema(3000)}}}]}`,
    );
    expect(parameters).toEqual({
      status: 400,
      json: {
        error: {
          message: 'tools[0].function.parameters.properties.a…: nested more than 128 levels deep',
          type: 'invalid_request_error',
          param: 'tools[0].function.parameters.properties.a…',
          code: null,
        },
      },
    });
    const format = await post(
      '/v1/chat/completions',
      `{"model":"m","messages":[${user}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${nestedSchema(3000)}}}}`,
    );
    expect(format.status).toBe(400);
    expect(format.json).toMatchObject({ error: { type: 'invalid_request_error', param: 'response_format.json_schema.schema.properties.a.properties…' } });
    const call = `{"id":"c","type":"function","function":{"name":"t","arguments":${JSON.stringify(nestedObject(3000))}}}`;
    const args = await post(
      '/v1/chat/completions',
      `{"model":"m","messages":[${user},{"role":"assistant","tool_calls":[${call}]},{"role":"tool","tool_call_id":"c","content":"x"}]}`,
    );
    expect(args.status).toBe(400);
    expect(args.json).toMatchObject({ error: { type: 'invalid_request_error', param: 'messages[1].tool_calls[0].function.arguments…' } });
    await expectHealthy();
  });

  it('100 levels still render and generate', async () => {
    const ok = await post('/v1/messages', `{"model":"m","max_tokens":8,"messages":[${user}],"tools":[{"name":"t","input_schema":${nestedSchema(50)}}]}`);
    expect(ok.status).toBe(200);
  });
});

const anthropicError = (message: string, type = 'invalid_request_error') => ({ type: 'error', error: { type, message } });
const openaiError = (message: string, param: string | null = null, type = 'invalid_request_error') => ({ error: { message, type, param, code: null } });

/** Each bad request, through both APIs where it applies: the exact status and envelope. */
const CASES: { name: string; path: string; body: string; contentType?: string; status: number; json: unknown }[] = [
  { name: 'invalid JSON', path: '/v1/messages', body: '{bad', status: 400, json: anthropicError('Invalid JSON in request body') },
  { name: 'invalid JSON', path: '/v1/chat/completions', body: '{bad', status: 400, json: openaiError('Invalid JSON in request body') },
  { name: 'empty body', path: '/v1/messages', body: '', status: 400, json: anthropicError('Request body is empty; expected a JSON object') },
  { name: 'empty body', path: '/v1/chat/completions', body: '', status: 400, json: openaiError('Request body is empty; expected a JSON object') },
  { name: 'text/plain body', path: '/v1/messages', body: 'hello', contentType: 'text/plain', status: 400, json: anthropicError('Request body must be a JSON object') },
  { name: 'a JSON array', path: '/v1/messages', body: '[1, 2]', status: 400, json: anthropicError('Request body must be a JSON object') },
  {
    name: 'an unknown role',
    path: '/v1/messages',
    body: '{"model":"m","max_tokens":5,"messages":[{"role":"robot","content":"x"}]}',
    status: 400,
    json: anthropicError('messages.0.role: Invalid option: expected one of "user"|"assistant"|"system"'),
  },
  {
    name: 'an unknown role',
    path: '/v1/chat/completions',
    body: '{"model":"m","messages":[{"role":"robot","content":"x"}]}',
    status: 400,
    json: openaiError('messages[0].role: Invalid option: expected one of "system"|"developer"|"user"|"assistant"|"tool"', 'messages[0].role'),
  },
  {
    name: 'a number as a string',
    path: '/v1/messages',
    body: '{"model":"m","max_tokens":"five","messages":[{"role":"user","content":"x"}]}',
    status: 400,
    json: anthropicError('max_tokens: Invalid input: expected number, received string'),
  },
  {
    name: 'a negative max_tokens',
    path: '/v1/chat/completions',
    body: '{"model":"m","max_tokens":-1,"messages":[{"role":"user","content":"x"}]}',
    status: 400,
    json: openaiError('max_tokens: Too small: expected number to be >=1', 'max_tokens'),
  },
  {
    name: 'a temperature out of range',
    path: '/v1/messages',
    body: '{"model":"m","max_tokens":5,"temperature":-1,"messages":[{"role":"user","content":"x"}]}',
    status: 400,
    json: anthropicError('temperature: Too small: expected number to be >=0'),
  },
  {
    name: 'no messages',
    path: '/v1/chat/completions',
    body: '{"model":"m","messages":[]}',
    status: 400,
    json: openaiError('messages: Too small: expected array to have >=1 items', 'messages'),
  },
  { name: 'an unknown route', path: '/v2/nothing', body: '{}', status: 404, json: openaiError('Not found: POST /v2/nothing') },
];

describe('bad requests: exact status and envelope, and the server keeps answering', () => {
  it.each(CASES.map((c) => [`${c.path}: ${c.name}`, c] as const))('%s', async (_name, c) => {
    expect(await post(c.path, c.body, c.contentType)).toEqual({ status: c.status, json: c.json });
    await expectHealthy();
  });

  it('a body over 32 MiB: 413 in the API envelope', async () => {
    const big = `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"${'a'.repeat(33 * 2 ** 20)}"}]}`;
    expect(await post('/v1/messages', big)).toEqual({ status: 413, json: anthropicError('Request exceeds the maximum allowed number of bytes.', 'request_too_large') });
    await expectHealthy();
  });

  it('invalid UTF-8 in a message is read with replacement characters, not a failure', async () => {
    const body = Buffer.concat([Buffer.from('{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]);
    expect((await post('/v1/messages', body)).status).toBe(200);
    await expectHealthy();
  });
});
