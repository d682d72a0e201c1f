// Stopping the server while streams are open (SIGTERM runs the same stop()): after the grace
// period every open stream gets its API's error event — Anthropic `event: error`, OpenAI an
// error chunk — before the connection closes, instead of being cut mid-stream.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.js';

function slowScript(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'shutdown-')), 'script.json');
  writeFileSync(path, JSON.stringify({ tokenDelayMs: 50, responses: [{ output: 'word '.repeat(400) }] }));
  return path;
}

/** Reads a streamed response to its end, as text; resolves when the server closes it. */
async function readAll(response: Response): Promise<string> {
  let text = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body!) text += decoder.decode(chunk as Uint8Array, { stream: true });
  } catch {
    // A cut connection: what arrived is what the client saw.
  }
  return text;
}

describe('stop() with streams open', () => {
  it('ends each stream with its API error event, then closes', async () => {
    const server = await startTestServer({ mock: true, mockScript: slowScript(), shutdownGraceMs: 300 });
    const anthropic = fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const openai = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const [a, o] = await Promise.all([anthropic, openai]);
    const texts = Promise.all([readAll(a), readAll(o)]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.stop();
    const [anthropicText, openaiText] = await texts;

    const anthropicError = /event: error\ndata: (.*)\n/.exec(anthropicText)?.[1];
    expect(anthropicError, anthropicText.slice(-300)).toBeDefined();
    expect(JSON.parse(anthropicError!)).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'The server is shutting down; retry against it once it is back.' } });
    expect(anthropicText).not.toContain('event: message_stop');

    const openaiChunks = openaiText.split('\n\n').filter((chunk) => chunk.startsWith('data: ') && chunk !== 'data: [DONE]');
    const last = JSON.parse(openaiChunks.at(-1)!.slice('data: '.length)) as unknown;
    expect(last).toEqual({
      error: { message: 'The server is shutting down; retry against it once it is back.', type: 'service_unavailable_error', param: null, code: 'server_shutting_down' },
    });
  });
});
