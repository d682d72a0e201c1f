// The status page in a real headless Chromium, on a server with real inference (a scripted
// GLM-4.7-Flash model: reasoning, then a tool call, when asked for the weather in Paris), an API
// key, and --debug. Requests go through the official SDKs; the page must list them, move its
// plots, open their traces, chat with the model, render hostile text as text, show nothing
// without the key, and never receive a secret.

import Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glmWeatherModel, GLM_REASONING } from '../fixtures/glm-weather.js';
import { launchBrowser } from '../helpers/browser.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';
import { WEATHER_TOOL } from '../helpers/tools.js';

const KEY = 'sk-status-page-test-key-0123456789';
const HF_SECRET = 'hf_statuspagesecretvalue0123456789';
const HOSTILE_MODEL = '<img src=x onerror="window.__xss=1">';
const HOSTILE_PROMPT = '<script>window.__xss=2</script><img src=x onerror="window.__xss=3"> what is this?';

describe('the status page in headless Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let previousToken: string | undefined;

  beforeAll(async () => {
    previousToken = process.env.HF_TOKEN;
    process.env.HF_TOKEN = HF_SECRET;
    const model = await glmWeatherModel();
    const debugDir = join(mkdtempSync(join(tmpdir(), 'status-page-')), 'logs');
    server = await startTestServer({ model: model.path, nCtx: 4096, parallel: 2, debug: true, debugDir, apiKey: KEY });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    // Stops with the page's event stream still open: the server must not wait for it.
    await server?.stop();
    if (previousToken === undefined) delete process.env.HF_TOKEN;
    else process.env.HF_TOKEN = previousToken;
  });

  const anthropic = () => new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
  const openai = () => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });

  it('serves the page to a browser and answers API clients as before', async () => {
    const html = await fetch(`${server.url}/`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await html.text()).toContain('/ui/assets/app.js');
    const json = await fetch(`${server.url}/`);
    expect(await json.json()).toEqual({ name: 'llama-bridge', status: 'ready' });
    expect((await fetch(`${server.url}/`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${server.url}/ui`)).headers.get('content-type')).toMatch(/^text\/html/);
    // The data is behind the key; the page's static files are not (they hold none).
    expect((await fetch(`${server.url}/ui/api/state`)).status).toBe(401);
    expect((await fetch(`${server.url}/ui/assets/app.js`)).status).toBe(200);
    expect((await fetch(`${server.url}/ui/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });

  it('shows nothing without the key, refuses a wrong one, and opens with the right one', async () => {
    await page.goto(`${server.url}/`);
    await page.getByTestId('key-form').waitFor();
    expect(await page.getByTestId('model').count()).toBe(0);
    expect(await page.getByTestId('requests').count()).toBe(0);
    await page.getByTestId('key-input').fill('sk-wrong');
    await page.getByTestId('key-input').press('Enter');
    await page.getByTestId('key-error').waitFor();
    expect(await page.getByTestId('model').count()).toBe(0);

    await page.getByTestId('key-input').fill(KEY);
    await page.getByTestId('key-input').press('Enter');
    await page.getByTestId('model').waitFor();
    expect(await page.getByTestId('model-family').textContent()).toContain('glm45');
    expect(page.url()).not.toContain(KEY);
    expect(await page.getByTestId('slot-row').count()).toBe(2);
  });

  it('lists requests from both APIs as they come, moves the plots, and opens their traces', async () => {
    const pointsBefore = Number(await page.getByTestId('chart-throughput').getAttribute('data-points'));
    const ask = { model: 'claude-sonnet-test', max_tokens: 8, messages: [{ role: 'user' as const, content: 'Say something about lighthouses, please.' }] };
    await anthropic().messages.create(ask);
    // The same conversation again: its prompt comes from the cache.
    await anthropic().messages.create(ask);
    await openai().chat.completions.create({ model: 'gpt-test', max_tokens: 8, messages: [{ role: 'user', content: 'Hello there' }] });

    const rows = page.getByTestId('request-row');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const models = await page.getByTestId('request-model').allTextContents();
    expect(models.slice(0, 3)).toEqual(['gpt-test', 'claude-sonnet-test', 'claude-sonnet-test']);
    const first = rows.first();
    expect(await first.textContent()).toContain('openai');
    await expect.poll(async () => (await rows.nth(1).textContent()) ?? '', { timeout: 5_000 }).toContain('max_tokens');

    // The plots take a point a second and count the tokens of requests shorter than that.
    await expect.poll(async () => Number(await page.getByTestId('chart-throughput').getAttribute('data-peak')), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(Number(await page.getByTestId('chart-throughput').getAttribute('data-points'))).toBeGreaterThan(pointsBefore);

    // The second Anthropic request: its trace marks the reused part of the prompt.
    await rows.nth(1).click();
    await page.getByTestId('trace').waitFor();
    await page.getByTestId('tab-raw').click();
    await page.getByTestId('trace-raw').waitFor();
    await page.getByTestId('tab-prompt').click();
    const prompt = (await page.getByTestId('trace-prompt').textContent()) ?? '';
    expect(prompt).toContain('Say something about lighthouses, please.');
    const reused = (await page.getByTestId('trace-reused').textContent()) ?? '';
    expect(reused.length).toBeGreaterThan(10);
    expect(prompt.startsWith(reused)).toBe(true);
    await page.getByTestId('tab-response').click();
    expect(await page.getByTestId('trace-response').textContent()).toContain('"type": "message"');
    await page.getByTestId('tab-request').click();
    expect(await page.getByTestId('trace-request').textContent()).toContain('claude-sonnet-test');
  });

  it('renders hostile model names and prompts as text', async () => {
    await openai().chat.completions.create({ model: HOSTILE_MODEL, max_tokens: 4, messages: [{ role: 'user', content: HOSTILE_PROMPT }] });
    const row = page.getByTestId('request-row').filter({ hasText: 'onerror' }).first();
    await row.waitFor();
    expect(await row.getByTestId('request-model').textContent()).toBe(HOSTILE_MODEL);
    expect(await page.locator('[data-testid=requests] img').count()).toBe(0);
    await row.click();
    await page.getByTestId('tab-prompt').click();
    await expect.poll(async () => (await page.getByTestId('trace-prompt').textContent()) ?? '').toContain(HOSTILE_PROMPT);
    expect(await page.locator('[data-testid=trace] script, [data-testid=trace] img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('chats with the model: reasoning and the tool call are shown as such', async () => {
    await page.getByText('System prompt and tools').click();
    await page.getByTestId('chat-tools').fill(JSON.stringify([WEATHER_TOOL]));
    await page.getByTestId('chat-temperature').fill('0');
    await page.getByTestId('chat-input').fill('What is the weather in Paris?');
    await page.getByTestId('chat-send').click();
    const call = page.getByTestId('chat-tool-call');
    await call.waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await call.textContent()) ?? '').toContain('"Paris"');
    expect(await call.textContent()).toContain('get_weather');
    expect(await page.getByTestId('chat-reasoning').textContent()).toBe(GLM_REASONING);
    // The chat box's request is listed like any other.
    await expect.poll(async () => (await page.getByTestId('request-model').allTextContents()).includes('status-page-chat')).toBe(true);

    // Its trace shows the model's raw output with GLM's markup marked.
    await page.getByTestId('request-row').filter({ hasText: 'status-page-chat' }).first().click();
    await page.getByTestId('tab-raw').click();
    await expect.poll(async () => (await page.getByTestId('trace-raw').textContent()) ?? '').toContain('<arg_key>city</arg_key>');
    expect(await page.locator('[data-testid=trace-raw] mark.markup').allTextContents()).toEqual(expect.arrayContaining(['</think>', '<tool_call>', '<arg_key>']));
    // `LLAMA_BRIDGE_SCREENSHOT=docs/status-page.png npx vitest run test/ui` refreshes the README's picture.
    if (process.env.LLAMA_BRIDGE_SCREENSHOT) await page.screenshot({ path: process.env.LLAMA_BRIDGE_SCREENSHOT, fullPage: true });
  });

  it('never receives the API key or HF_TOKEN from the server', async () => {
    const headers = { authorization: `Bearer ${KEY}` };
    const state = await (await fetch(`${server.url}/ui/api/state`, { headers })).text();
    const traces = (JSON.parse(state) as { requests: { trace?: string }[] }).requests.map((record) => record.trace).filter((name): name is string => !!name);
    expect(traces.length).toBeGreaterThan(3);
    const bodies = [state];
    for (const name of traces) bodies.push(await (await fetch(`${server.url}/ui/api/traces/${name}`, { headers })).text());
    for (const asset of ['/', '/ui/assets/app.js', '/ui/assets/style.css']) bodies.push(await (await fetch(`${server.url}${asset}`)).text());
    const events = await fetch(`${server.url}/ui/api/events`, { headers });
    const reader = events.body!.getReader();
    bodies.push(new TextDecoder().decode((await reader.read()).value));
    await reader.cancel();
    for (const body of bodies) {
      expect(body).not.toContain(KEY);
      expect(body).not.toContain(HF_SECRET);
    }
  });
});
