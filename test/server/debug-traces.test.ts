// `--debug`: four snapshots per request, for a streamed tool call through both APIs, with
// private permissions and no secret anywhere under the folder.

import Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/start.js';
import { startTestServer } from '../helpers/server.js';

const API_KEY = 'sk-test-secret-4f9a8b7c';
const TOOLS: OpenAI.ChatCompletionFunctionTool[] = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
];

describe('--debug snapshots', () => {
  let server: RunningServer;
  let logs: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'debug-traces-'));
    logs = join(dir, 'logs');
    const script = join(dir, 'script.json');
    writeFileSync(
      script,
      JSON.stringify({
        responses: [
          { match: 'broken', output: '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Par\n</tool_call>' },
          { output: 'Let me look.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>' },
        ],
      }),
    );
    server = await startTestServer({ mock: true, mockScript: script, apiKey: API_KEY, debug: true, debugDir: logs });
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** The trace folder written for the request whose body contains `marker`. */
  function traceFor(marker: string): string {
    const folders = readdirSync(logs).filter((name) => readFileSync(join(logs, name, '1-request.json'), 'utf8').includes(marker));
    expect(folders).toHaveLength(1);
    return join(logs, folders[0]!);
  }

  async function waitForFile(path: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      try {
        statSync(path);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  it('writes all four files for a streamed OpenAI tool call', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
    const stream = client.chat.completions.stream({ model: 'm', messages: [{ role: 'user', content: 'weather in Paris? openai-trace' }], tools: TOOLS });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message.tool_calls).toHaveLength(1);

    const folder = traceFor('openai-trace');
    await waitForFile(join(folder, '4-response.json'));
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    for (const file of ['1-request.json', '2-prompt.txt', '3-raw-output.txt', '4-response.json']) {
      expect(statSync(join(folder, file)).mode & 0o777).toBe(0o600);
    }

    const request = JSON.parse(readFileSync(join(folder, '1-request.json'), 'utf8'));
    expect(request.body.messages[0].content).toContain('openai-trace');
    expect(request.headers.authorization).toBeUndefined();

    const prompt = readFileSync(join(folder, '2-prompt.txt'), 'utf8');
    expect(prompt).toMatch(/# promptTokens: \d+/);
    expect(prompt).toMatch(/# reusedTokens: \d+/);
    expect(prompt).toMatch(/# route: slot \d+/);
    expect(prompt).toContain('<|im_start|>user\nweather in Paris? openai-trace<|im_end|>');
    expect(prompt).toContain('"name": "get_weather"');

    expect(readFileSync(join(folder, '3-raw-output.txt'), 'utf8')).toBe('Let me look.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>');

    const response = JSON.parse(readFileSync(join(folder, '4-response.json'), 'utf8'));
    expect(response.status).toBe(200);
    expect(response.contentType).toMatch(/^text\/event-stream/);
    const argumentsText = response.events
      .flatMap((event: { data: { choices?: { delta: { tool_calls?: { function?: { arguments?: string } }[] } }[] } }) => event.data.choices ?? [])
      .flatMap((choice: { delta: { tool_calls?: { function?: { arguments?: string } }[] } }) => choice.delta.tool_calls ?? [])
      .map((call: { function?: { arguments?: string } }) => call.function?.arguments ?? '')
      .join('');
    expect(JSON.parse(argumentsText)).toEqual({ city: 'Paris' });
    expect(response.events.at(-1).data).toBe('[DONE]');
  });

  it('writes all four files for a streamed Anthropic tool_use', async () => {
    const client = new Anthropic({ baseURL: server.url, apiKey: API_KEY, maxRetries: 0 });
    const message = await client.messages
      .stream({
        model: 'claude-local',
        max_tokens: 200,
        messages: [{ role: 'user', content: 'weather in Paris? anthropic-trace' }],
        tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      })
      .finalMessage();
    expect(message.stop_reason).toBe('tool_use');

    const folder = traceFor('anthropic-trace');
    await waitForFile(join(folder, '4-response.json'));
    const request = JSON.parse(readFileSync(join(folder, '1-request.json'), 'utf8'));
    expect(request.url).toBe('/v1/messages');
    expect(request.headers['x-api-key']).toBeUndefined();
    expect(readFileSync(join(folder, '3-raw-output.txt'), 'utf8')).toContain('<tool_call>');
    const response = JSON.parse(readFileSync(join(folder, '4-response.json'), 'utf8'));
    const names = response.events.map((event: { event?: string }) => event.event);
    expect(names[0]).toBe('message_start');
    expect(names).toContain('content_block_start');
    expect(names.at(-1)).toBe('message_stop');
    const json = response.events
      .filter((event: { data: { delta?: { type?: string } } }) => event.data.delta?.type === 'input_json_delta')
      .map((event: { data: { delta: { partial_json: string } } }) => event.data.delta.partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ city: 'Paris' });
  });

  it('shows an unparseable tool call in the raw output notes', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'broken call please' }], tools: TOOLS });
    expect(completion.choices[0]!.message.tool_calls ?? []).toHaveLength(0);
    const folder = traceFor('broken call please');
    await waitForFile(join(folder, '4-response.json'));
    const raw = readFileSync(join(folder, '3-raw-output.txt'), 'utf8');
    expect(raw).toContain('"city": "Par\n');
    expect(raw).toMatch(/# ---- parser notes ----\n# .*get_weather/);
  });

  it('never writes a secret', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
    // A client that pastes the key into its message: scrubbed too.
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `my key is ${API_KEY}` }] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const folder of readdirSync(logs)) {
      for (const file of readdirSync(join(logs, folder))) {
        expect(readFileSync(join(logs, folder, file), 'utf8')).not.toContain(API_KEY);
      }
    }
  });

  it("shows the note that took an image's place in 2-prompt.txt, never the image data", async () => {
    const client = new Anthropic({ baseURL: server.url, apiKey: API_KEY, maxRetries: 0 });
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex').toString('base64');
    await client.messages.create({
      model: 'claude-local',
      max_tokens: 50,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
            { type: 'text', text: 'what is this? image-trace' },
          ],
        },
      ],
    });
    const folder = traceFor('image-trace');
    await waitForFile(join(folder, '2-prompt.txt'));
    const prompt = readFileSync(join(folder, '2-prompt.txt'), 'utf8');
    expect(prompt).toMatch(/\[image: image\/png, \d+ bytes — not shown, this model has no vision support\]/);
    expect(prompt).not.toContain(png);
  });
});

// A key holding `"` or `\` is written JSON-escaped in 1-request.json and 4-response.json; the
// scrubber looked for the raw form only (issue 15).
describe('--debug with a key that JSON escapes', () => {
  const key = 'sk-"quoted"\\slash-key';
  let server: RunningServer;
  let logs: string;

  beforeAll(async () => {
    logs = join(mkdtempSync(join(tmpdir(), 'debug-escaped-')), 'logs');
    server = await startTestServer({ mock: true, apiKey: key, debug: true, debugDir: logs });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('writes no spelling of it', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `my key is ${key}, in a URL ${encodeURIComponent(key)}` }] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const written = readdirSync(logs).flatMap((folder) => readdirSync(join(logs, folder)).map((file) => readFileSync(join(logs, folder, file), 'utf8')));
    expect(written.length).toBeGreaterThanOrEqual(4);
    for (const text of written) {
      for (const spelling of [key, JSON.stringify(key).slice(1, -1), encodeURIComponent(key), 'quoted']) expect(text).not.toContain(spelling);
    }
  });
});
