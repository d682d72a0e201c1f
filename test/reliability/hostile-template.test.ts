// A chat template is code from the model file. One that loops without end, builds a huge list or
// writes without end is stopped by the rendering limits (src/chat/template/budget.ts): at load if
// it does so on every conversation, else on the request that triggers it — a 500 in the API's
// envelope, and the server goes on serving. It used to abort V8 (exit 132) or block every client.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type RunningServer } from '../helpers/server.js';

function templateFile(source: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'hostile-template-')), 'template.jinja');
  writeFileSync(path, source);
  return path;
}

const chatml = '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>assistant\n';

describe('a template that goes over its limits on every conversation', () => {
  it('fails the start with what it did, instead of aborting the process', async () => {
    const start = startTestServer({ mock: true, chatTemplateFile: templateFile(`{% for i in range(1000000000) %}x{% endfor %}${chatml}`) });
    await expect(start).rejects.toThrow(/went over its rendering limits on a plain conversation: range\(\) of 1000000000 items is over the limit of 1000000/);
  });
});

describe('a template that goes over its limits on one conversation', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const hostile = `{% if messages[-1].content == 'spin' %}{% for i in range(1000000) %}{% for j in range(1000000) %}{% endfor %}{% endfor %}{% endif %}${chatml}`;
    server = await startTestServer({ mock: true, chatTemplateFile: templateFile(hostile) });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const ask = (content: string) =>
    fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 8, messages: [{ role: 'user', content }] }),
    });

  it('answers that request with a 500 in its envelope within the time limit, and keeps serving', async () => {
    const response = await ask('spin');
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      type: 'error',
      error: { type: 'api_error', message: expect.stringMatching(/^the chat template went over its rendering limits: rendering took longer than 1000 ms/) as unknown },
    });
    expect((await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(1_000) })).status).toBe(200);
    expect((await ask('hello')).status).toBe(200);
  });
});
