import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { templatePath } from '../../test/fixtures/llama-cpp-source.js';
import { templateThinks } from './parsers/detect.js';
import { ChatTemplate } from './template.js';
import { templateKwargs, thinkingMarkers } from './thinking-markers.js';

describe('templateKwargs', () => {
  it('turns enable_thinking on for a template that thinks, as llama.cpp does by default', () => {
    expect(templateKwargs(true, undefined)).toEqual({ enable_thinking: true });
    expect(templateKwargs(true, { foo: 1 })).toEqual({ enable_thinking: true, foo: 1 });
  });

  it("leaves the request's own value (chat_template_kwargs, Anthropic thinking) in charge", () => {
    expect(templateKwargs(true, { enable_thinking: false })).toEqual({ enable_thinking: false });
  });

  it('adds nothing for a template without thinking', () => {
    expect(templateKwargs(false, undefined)).toBeUndefined();
    expect(templateKwargs(false, { foo: 1 })).toEqual({ foo: 1 });
  });
});

describe('DeepSeek-R1-Distill (issue 14: reasoning lost)', () => {
  const messages = [{ role: 'user' as const, content: 'Hi' }];

  it.each(['deepseek-ai-DeepSeek-R1-Distill-Qwen-32B', 'deepseek-ai-DeepSeek-R1-Distill-Llama-8B'])('%s: the default kwargs render a prompt that forces thinking open', (name) => {
    const source = readFileSync(templatePath(name), 'utf8');
    expect(templateThinks(source)).toBe(true);
    const prompt = new ChatTemplate(source).render({ messages, kwargs: templateKwargs(templateThinks(source), undefined) });
    expect(prompt.endsWith('<｜Assistant｜><think>\n')).toBe(true);
    expect(thinkingMarkers('deepseek-r1', prompt, true)).toMatchObject({ open: '<think>', close: '</think>', startOpen: true });
  });

  it('Distill-Qwen with enable_thinking false closes thinking in the prompt: the engine does not start inside it', () => {
    const source = readFileSync(templatePath('deepseek-ai-DeepSeek-R1-Distill-Qwen-32B'), 'utf8');
    const prompt = new ChatTemplate(source).render({ messages, kwargs: templateKwargs(true, { enable_thinking: false }) });
    expect(prompt.endsWith('<｜Assistant｜><think>\n</think>')).toBe(true);
    expect(thinkingMarkers('deepseek-r1', prompt, true)?.startOpen).toBe(false);
  });
});
