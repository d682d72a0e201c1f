import { describe, expect, it } from 'vitest';
import { llamaServerBody, llamaServerTriggers, parseLlamaServerChunk, RemoteReportedError } from './llama-server.js';

const SAMPLING = { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05 };

describe('llamaServerBody', () => {
  it("names every setting as llama-server's /completion does", () => {
    expect(
      llamaServerBody({
        prompt: [1, 2, 3],
        maxTokens: 50,
        slot: 2,
        sampling: { ...SAMPLING, seed: 7, penalty: { repeat: 1.1, presence: 0.2, frequency: 0.3, lastN: 64 }, logitBias: { 5: -100 } },
        grammar: 'root ::= "x"',
      }),
    ).toEqual({
      prompt: [1, 2, 3],
      n_predict: 50,
      stream: true,
      cache_prompt: true,
      id_slot: 2,
      return_tokens: true,
      temperature: 0.7,
      top_k: 40,
      top_p: 0.95,
      min_p: 0.05,
      seed: 7,
      repeat_penalty: 1.1,
      presence_penalty: 0.2,
      frequency_penalty: 0.3,
      repeat_last_n: 64,
      logit_bias: [[5, -100]],
      grammar: 'root ::= "x"',
    });
  });

  it('sends a lazy grammar with its triggers, and the trigger words as preserved tokens', () => {
    const body = llamaServerBody({ prompt: [1], maxTokens: 1, slot: 0, sampling: SAMPLING, grammar: 'root ::= "<tool_call>"', lazy: { triggers: [{ text: '<tool_call>' }] } });
    expect(body).toMatchObject({ grammar_lazy: true, grammar_triggers: [{ type: 1, value: '<tool_call>' }], preserved_tokens: ['<tool_call>'] });
  });
});

describe('llamaServerTriggers', () => {
  const full = (pattern: string) => new RegExp(`^${pattern}$`);
  const start = (pattern: string, text: string) => {
    const match = full(pattern).exec(text);
    return match ? match.index + (match[0].indexOf(match.slice(1).find((group) => group) ?? '') ?? 0) : -1;
  };

  it('a trigger counted only at the start of the output is a full-output pattern whose group starts the grammar', () => {
    const [trigger] = llamaServerTriggers({ triggers: [{ text: '{"name"', atStart: true }] });
    expect(trigger!.type).toBe(3);
    expect(start(trigger!.value, '  {"name": "f"}')).toBe(2);
    expect(start(trigger!.value, 'text {"name": "f"}')).toBe(-1);
  });

  it('outside thinking only: after the span closed, or before any span opened', () => {
    const patterns = llamaServerTriggers({ triggers: [{ text: '<tool_call>' }], thinking: { open: '<think>', close: '</think>', startOpen: false } }).map((t) => t.value);
    const matches = (text: string) => patterns.some((pattern) => full(pattern).test(text));
    expect(matches('<think>maybe <tool_call> later</think>')).toBe(false);
    expect(matches('<think>hm</think>Sure. <tool_call>{')).toBe(true);
    expect(matches('No thinking. <tool_call>{')).toBe(true);
    const open = llamaServerTriggers({ triggers: [{ text: '<tool_call>' }], thinking: { open: '<think>', close: '</think>', startOpen: true } }).map((t) => t.value);
    expect(open).toHaveLength(1);
    expect(full(open[0]!).test('thinking <tool_call> inside')).toBe(false);
    expect(full(open[0]!).test('done</think><tool_call>{')).toBe(true);
  });

  it('escapes regular-expression characters of the markers', () => {
    const [trigger] = llamaServerTriggers({ triggers: [{ text: '[TOOL_CALLS]' }], thinking: { open: '[THINK]', close: '[/THINK]', startOpen: true } });
    expect(full(trigger!.value).test('x[/THINK][TOOL_CALLS]f')).toBe(true);
    expect(full(trigger!.value).test('x[/THINK]T')).toBe(false);
  });
});

describe('parseLlamaServerChunk', () => {
  it('reads a token chunk and the last chunk with the remote counts', () => {
    expect(parseLlamaServerChunk({ content: 'Hi', tokens: [9], stop: false })).toEqual({ text: 'Hi', tokens: [9] });
    expect(
      parseLlamaServerChunk({ content: '', tokens: [], stop: true, stop_type: 'limit', tokens_evaluated: 12, tokens_predicted: 5, timings: { cache_n: 8, predicted_n: 5 } }),
    ).toEqual({ text: '', tokens: [], end: { stop: 'limit', promptTokens: 12, cachedTokens: 8, generatedTokens: 5 } });
  });

  it('throws on what is not a chunk, and reports the remote’s own errors apart', () => {
    expect(() => parseLlamaServerChunk([1, 2])).toThrow(/not a JSON object/);
    expect(() => parseLlamaServerChunk({ tokens: [] })).toThrow(/no "content"/);
    expect(() => parseLlamaServerChunk({ error: { code: 500, message: 'out of memory' } })).toThrow(RemoteReportedError);
  });
});
