// The engine stepping into generation, on real inference with scripted models:
// - a lazy grammar: free text until a trigger, then the grammar decides (it can overrule what
//   the model was about to write);
// - a thinking budget: the end of thinking is written in for the model when it runs out.

import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { singleCache } from '../../src/engine/caches.js';
import { LlamaEngine } from '../../src/engine/llama-engine.js';
import type { CompletionEvent, CompletionRequest } from '../../src/engine/types.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../fixtures/models.js';

const logger = pino({ level: 'warn' }, pino.destination(2));
const PROMPT_END = '<|im_start|>assistant\n';

async function run(engine: LlamaEngine, request: Partial<CompletionRequest>): Promise<{ text: string; events: CompletionEvent[] }> {
  const events: CompletionEvent[] = [];
  for await (const event of engine.complete({ id: 't', prompt: `<|im_start|>user\nHi<|im_end|>\n${PROMPT_END}`, sampling: { temperature: 0 }, maxTokens: 60, ...request })) {
    events.push(event);
  }
  return { text: events.map((event) => (event.type === 'text' ? event.text : '')).join(''), events };
}

async function loadScripted(script: string): Promise<LlamaEngine> {
  const model = await makeScriptedModel({
    vocab: { gguf: vocabPath('qwen2') },
    chatTemplate: readFileSync(templatePath('Qwen-Qwen3-0.6B'), 'utf8'),
    script,
    startAfter: PROMPT_END,
    memory: 2,
  });
  return LlamaEngine.load({ modelPath: model.path, caches: [singleCache(1, 512, 4)], threads: 1, logger });
}

describe('lazy grammar', () => {
  let engine: LlamaEngine;
  beforeAll(async () => {
    engine = await loadScripted('Let me check. <tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>');
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('runs free until the trigger, then the grammar takes over from the trigger on', async () => {
    const grammar = String.raw`root ::= "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>"`;
    const { text, events } = await run(engine, { constraint: { type: 'lazy_gbnf', grammar, triggers: [{ text: '<tool_call>' }] } });
    expect(text).toBe('Let me check. <tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>');
    const done = events.at(-1);
    expect(done?.type === 'done' && done.stop).toBe('end');
  });

  it('leaves the output alone when no trigger appears', async () => {
    const grammar = 'root ::= "never"';
    const { text } = await run(engine, { constraint: { type: 'lazy_gbnf', grammar, triggers: [{ text: '[TOOL_CALLS]' }] } });
    expect(text).toBe('Let me check. <tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>');
  });

  it('ignores a start-only trigger later in the output', async () => {
    const grammar = 'root ::= "never"';
    const { text } = await run(engine, { constraint: { type: 'lazy_gbnf', grammar, triggers: [{ text: '<tool_call>', atStart: true }] } });
    expect(text).toContain('get_weather');
  });

  it('ignores triggers inside thinking', async () => {
    const grammar = 'root ::= "never"';
    const { text } = await run(engine, {
      constraint: { type: 'lazy_gbnf', grammar, triggers: [{ text: '<tool_call>' }] },
      thinking: { open: '<think>', close: '</think>', startOpen: true },
    });
    expect(text).toContain('get_weather');
  });
});

describe('thinking budget', () => {
  let engine: LlamaEngine;
  beforeAll(async () => {
    engine = await loadScripted('<think>\nOne two three four five six seven eight nine ten.\n</think>\n\nDone.');
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('closes thinking for the model once the budget is spent', async () => {
    const { text, events } = await run(engine, { thinking: { open: '<think>', close: '</think>', startOpen: false, budget: 3, closeWith: '\n</think>\n\n' } });
    const [thinking, after] = text.split('</think>');
    expect(thinking).toMatch(/^<think>\n/);
    expect(thinking).not.toContain('ten');
    expect(after).toBeDefined();
    const done = events.at(-1);
    expect(done?.type === 'done' && done.usage.completionTokens).toBeGreaterThan(4);
  });

  it('lets the model think when the budget is large enough', async () => {
    const { text } = await run(engine, { thinking: { open: '<think>', close: '</think>', startOpen: false, budget: 100 } });
    expect(text).toBe('<think>\nOne two three four five six seven eight nine ten.\n</think>\n\nDone.');
  });
});
