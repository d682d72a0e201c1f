// Speculative decoding through the whole server: an agent's edit (a file shown, written back
// with three lines changed, then a tool call) through the official OpenAI and Anthropic SDKs
// with `--spec-type ngram`, and what it reports: /metrics, the debug trace's 2-prompt.txt.

import Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDITED, ORIGINAL, SCRIPT } from '../fixtures/edit-script.js';
import { templatePath } from '../fixtures/llama-cpp-source.js';
import { makeContextScriptedModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';

const FILE = `${EDITED.join('\n')}\n`;
const ASK = `Rewrite this file:\n${ORIGINAL.join('\n')}\n`;
const SAVE = { name: 'save', description: 'Save the file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } };

describe('speculative decoding through the server', () => {
  let server: RunningServer;
  let logs: string;

  beforeAll(async () => {
    const model = await makeContextScriptedModel({
      script: SCRIPT,
      memory: 4,
      spelling: 'canonical',
      chatTemplate: readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8'),
    });
    logs = join(mkdtempSync(join(tmpdir(), 'speculation-')), 'logs');
    server = await startTestServer({ model: model.path, nCtx: 2048, parallel: 2, specType: 'ngram', debug: true, debugDir: logs });
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('streams the edit and the tool call through the OpenAI SDK', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'local',
      messages: [{ role: 'user', content: ASK }],
      tools: [{ type: 'function', function: SAVE }],
      temperature: 0,
      max_tokens: 400,
      stream: true,
    });
    let content = '';
    let name = '';
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      content += choice?.delta.content ?? '';
      for (const call of choice?.delta.tool_calls ?? []) {
        name += call.function?.name ?? '';
        args += call.function?.arguments ?? '';
      }
      finish = choice?.finish_reason ?? finish;
    }
    expect(content).toBe(FILE);
    expect(name).toBe('save');
    expect(JSON.parse(args)).toEqual({ path: 'notes.txt' });
    expect(finish).toBe('tool_calls');
  });

  it('answers the Anthropic SDK with the same text and tool_use', async () => {
    const client = new Anthropic({ baseURL: server.url, apiKey: 'none', maxRetries: 0 });
    const message = await client.messages.create({
      model: 'local',
      max_tokens: 400,
      messages: [{ role: 'user', content: ASK }],
      tools: [{ name: SAVE.name, description: SAVE.description, input_schema: { type: 'object', properties: SAVE.parameters.properties, required: ['path'] } }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: FILE });
    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'save', input: { path: 'notes.txt' } });
    expect(message.stop_reason).toBe('tool_use');
  });

  it('says in /props how it decodes', async () => {
    const props = (await (await fetch(`${server.url}/props`)).json()) as { speculative?: unknown };
    expect(props.speculative).toEqual({ type: 'ngram', draft_max: 64, draft_min: 0, caches: ['default'] });
  });

  it('reports drafted and accepted tokens in /metrics and in the debug trace', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const value = (name: string) => Number(metrics.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'))?.[1]);
    const drafted = value('llama_bridge_draft_tokens_total');
    const accepted = value('llama_bridge_draft_accepted_tokens_total');
    expect(drafted).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(drafted);
    expect(value('llama_bridge_draft_acceptance_ratio')).toBeCloseTo(accepted / drafted, 5);

    const traces = readdirSync(logs).map((name) => readFileSync(join(logs, name, '2-prompt.txt'), 'utf8'));
    expect(traces).toHaveLength(2);
    for (const trace of traces) {
      const count = (key: string) => Number(trace.match(new RegExp(`^# ${key}: (\\d+)$`, 'm'))?.[1]);
      expect(count('acceptedDraftTokens')).toBeGreaterThan(0);
      expect(count('draftedTokens')).toBeGreaterThanOrEqual(count('acceptedDraftTokens'));
      expect(trace).toMatch(/^# draftAcceptance: 0\.\d{3}|^# draftAcceptance: 1\.000/m);
    }
  });
});
