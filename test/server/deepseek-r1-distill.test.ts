// DeepSeek-R1-Distill through the server, with real inference (issue 14). The templates end the
// generation prompt with `<｜Assistant｜><think>\n`, so the model starts inside its thinking and
// writes only `…reasoning…</think>\n\nanswer`. llama.cpp's server puts the reasoning in
// reasoning_content and the answer in content; here the same through both APIs, streamed and not.

import Anthropic from '@anthropic-ai/sdk';
import { readFileSync } from 'node:fs';
import { getLlama, type LlamaModel } from 'node-llama-cpp';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatTemplate } from '../../src/chat/template.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer, type RunningServer } from '../helpers/server.js';

const REASONING = 'The user greets me.';
const ANSWER = 'Hello!';
const RAW = `${REASONING}\n</think>\n\n${ANSWER}`;

const CASES = [
  { template: 'deepseek-ai-DeepSeek-R1-Distill-Qwen-32B', vocab: 'qwen2' },
  { template: 'deepseek-ai-DeepSeek-R1-Distill-Llama-8B', vocab: 'llama-bpe' },
];

describe.each(CASES)('$template on a scripted model ($vocab vocab, real inference)', ({ template, vocab }) => {
  let server: RunningServer;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let tokenizer: LlamaModel;
  const source = readFileSync(templatePath(template), 'utf8');

  beforeAll(async () => {
    const model = await makeScriptedModel({ vocab: { gguf: vocabPath(vocab) }, chatTemplate: source, script: RAW, startAfter: null });
    server = await startTestServer({ model: model.path, nCtx: 2048, parallel: 1 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: server.url, apiKey: 'x', maxRetries: 0 });
    tokenizer = await (await getLlama({ build: 'never' })).loadModel({ modelPath: model.path, vocabOnly: true });
  });
  afterAll(async () => {
    await server?.stop();
    await tokenizer?.dispose();
  });

  it('renders the prompt llama.cpp renders: enable_thinking on, the generation prompt opens thinking', async () => {
    const template = new ChatTemplate(source);
    const prompt = template.render({ messages: [{ role: 'user', content: 'Hi' }], kwargs: { enable_thinking: true } });
    expect(prompt.endsWith('<｜User｜>Hi<｜Assistant｜><think>\n')).toBe(true);
    // Distill-Qwen's template (as llama.cpp ships it) closes thinking when enable_thinking is not set:
    // before the fix the server sent that prompt, and a real model answered without reasoning.
    const unset = template.render({ messages: [{ role: 'user', content: 'Hi' }] });
    expect(unset.endsWith(vocab === 'qwen2' ? '<think>\n</think>' : '<think>\n')).toBe(true);
    // The server rendered exactly that prompt (with the model's BOS text, as it renders `bos_token`).
    const bos = tokenizer.tokens.bos;
    const served = new ChatTemplate(source, bos === null ? {} : { bosToken: tokenizer.detokenize([bos], true) });
    const expected = served.render({ messages: [{ role: 'user', content: 'Hi' }], kwargs: { enable_thinking: true } });
    const completion = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], temperature: 0 });
    expect(completion.usage!.prompt_tokens).toBe(tokenizer.tokenize(expected, true).length);
  });

  it('OpenAI, not streamed: reasoning_content holds the reasoning, content the answer', async () => {
    const completion = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], temperature: 0 });
    const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.content).toBe(ANSWER);
    expect(message.reasoning_content).toBe(REASONING);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
  });

  it('OpenAI, streamed: reasoning_content deltas, then content deltas', async () => {
    const stream = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], temperature: 0, stream: true });
    let content = '';
    let reasoning = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as (OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string }) | undefined;
      content += delta?.content ?? '';
      reasoning += delta?.reasoning_content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(reasoning).toBe(REASONING);
    expect(content).toBe(ANSWER);
    expect(finish).toBe('stop');
  });

  it('Anthropic, not streamed: a thinking block, then a text block', async () => {
    const message = await anthropic.messages.create({ model: 'm', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }] });
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    const [thinking, text] = message.content as [Anthropic.ThinkingBlock, Anthropic.TextBlock];
    expect(thinking.thinking).toBe(REASONING);
    expect(text.text).toBe(ANSWER);
    expect(message.stop_reason).toBe('end_turn');
  });

  it('Anthropic, streamed: the same blocks', async () => {
    const stream = anthropic.messages.stream({ model: 'm', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }] });
    const message = await stream.finalMessage();
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    const [thinking, text] = message.content as [Anthropic.ThinkingBlock, Anthropic.TextBlock];
    expect(thinking.thinking).toBe(REASONING);
    expect(text.text).toBe(ANSWER);
  });
});
