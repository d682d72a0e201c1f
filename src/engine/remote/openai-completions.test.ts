import { describe, expect, it } from 'vitest';
import { completionsBody, parseCompletionsData } from './openai-completions.js';
import { RemoteReportedError } from './llama-server.js';

const SAMPLING = { temperature: 0.5, topK: 40, topP: 0.9, minP: 0.05 };

describe('completionsBody', () => {
  it('asks for token ids and usage, keeps special tokens in the text, and puts a grammar in each server’s field', () => {
    const base = {
      model: 'm',
      prompt: [1, 2],
      maxTokens: 9,
      sampling: { ...SAMPLING, seed: 3, penalty: { repeat: 1.1, presence: 0, frequency: 0.5, lastN: 64 }, logitBias: { 7: 2 } },
    };
    expect(completionsBody({ ...base, flavor: 'vllm', grammar: 'root ::= "a"' })).toEqual({
      model: 'm',
      prompt: [1, 2],
      max_tokens: 9,
      stream: true,
      stream_options: { include_usage: true },
      return_token_ids: true,
      skip_special_tokens: false,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      min_p: 0.05,
      seed: 3,
      repetition_penalty: 1.1,
      presence_penalty: 0,
      frequency_penalty: 0.5,
      logit_bias: { 7: 2 },
      structured_outputs: { grammar: 'root ::= "a"' },
    });
    expect(completionsBody({ ...base, flavor: 'sglang', grammar: 'g' })).toMatchObject({ ebnf: 'g' });
    expect(completionsBody({ ...base, flavor: 'sglang', grammar: 'g' })).not.toHaveProperty('structured_outputs');
    expect(completionsBody({ ...base, flavor: 'other', grammar: 'g' })).toMatchObject({ ebnf: 'g', structured_outputs: { grammar: 'g' } });
  });
});

describe('parseCompletionsData', () => {
  it('reads text, token ids, the finish reason, usage and [DONE]', () => {
    expect(parseCompletionsData('{"choices":[{"index":0,"text":"Hi","token_ids":[5],"finish_reason":null}],"usage":null}')).toEqual({ text: 'Hi', tokens: [5] });
    expect(parseCompletionsData('{"choices":[{"index":0,"text":"","finish_reason":"length"}]}')).toEqual({ text: '', finish: 'length' });
    expect(parseCompletionsData('{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":8}}}')).toEqual({
      text: '',
      usage: { promptTokens: 9, completionTokens: 2, cachedTokens: 8 },
    });
    expect(parseCompletionsData('[DONE]')).toEqual({ text: '', done: true });
  });

  it('throws on what is not the protocol, and reports the server’s own errors apart', () => {
    expect(() => parseCompletionsData('{oops')).toThrow(/not JSON/);
    expect(() => parseCompletionsData('{"text":"x"}')).toThrow(/no "choices"/);
    expect(() => parseCompletionsData('{"choices":[{"index":0}]}')).toThrow(/without "text"/);
    expect(() => parseCompletionsData('{"error":{"message":"boom","code":500}}')).toThrow(RemoteReportedError);
  });
});
