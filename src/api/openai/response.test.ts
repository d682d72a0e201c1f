import { describe, expect, it } from 'vitest';
import type { GenerationEvent, Usage } from '../../chat/types.js';
import { ApiError } from '../../errors.js';
import { ChatCompletionAccumulator, collectChatCompletion } from './response.js';

const meta = { id: 'chatcmpl-abc', model: 'gpt-test', created: 1700000000, systemFingerprint: 'fp_x' };
const usage: Usage = { promptTokens: 10, cachedTokens: 4, completionTokens: 5 };

async function* from(events: GenerationEvent[]): AsyncGenerator<GenerationEvent> {
  for (const e of events) yield e;
}

describe('collectChatCompletion', () => {
  it('builds a text completion', async () => {
    const result = await collectChatCompletion(
      from([
        { type: 'accepted', promptTokens: 10, cachedTokens: 4, cache: 'default', route: 'r' },
        { type: 'text', text: 'Hello' },
        { type: 'text', text: ' world' },
        { type: 'done', stop: 'end', usage },
      ]),
      meta,
    );
    expect(result).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      created: 1700000000,
      model: 'gpt-test',
      system_fingerprint: 'fp_x',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello world', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } },
    });
  });

  it('has null content and tool_calls when only tools were called, plus reasoning', async () => {
    const result = await collectChatCompletion(
      from([
        { type: 'reasoning', text: 'I should ' },
        { type: 'reasoning', text: 'call tools' },
        { type: 'tool_call_start', index: 0, id: 'call_a', name: 'get_weather' },
        { type: 'tool_call_arguments', index: 0, json: '{"city":' },
        { type: 'tool_call_arguments', index: 0, json: '"Paris"}' },
        { type: 'tool_call_end', index: 0 },
        { type: 'tool_call_start', index: 1, id: 'call_b', name: 'get_time' },
        { type: 'tool_call_arguments', index: 1, json: '{}' },
        { type: 'tool_call_end', index: 1 },
        { type: 'done', stop: 'tool_calls', usage },
      ]),
      meta,
    );
    expect(result.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        reasoning_content: 'I should call tools',
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
  });

  it('keeps text next to tool calls and maps the other stop reasons', async () => {
    const withText = await collectChatCompletion(
      from([
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_call_start', index: 0, id: 'c', name: 'f' },
        { type: 'done', stop: 'end', usage },
      ]),
      meta,
    );
    expect(withText.choices[0]?.message.content).toBe('Let me check.');
    expect(withText.choices[0]?.finish_reason).toBe('tool_calls');

    const empty = await collectChatCompletion(from([{ type: 'done', stop: 'max_tokens', usage }]), meta);
    expect(empty.choices[0]?.message.content).toBe('');
    expect(empty.choices[0]?.finish_reason).toBe('length');

    const seq = await collectChatCompletion(
      from([
        { type: 'text', text: 'a' },
        { type: 'done', stop: 'stop_sequence', stopSequence: '\n\n', usage },
      ]),
      meta,
    );
    expect(seq.choices[0]?.finish_reason).toBe('stop');
  });

  it('fails when no done event arrives', async () => {
    await expect(collectChatCompletion(from([{ type: 'text', text: 'a' }]), meta)).rejects.toBeInstanceOf(ApiError);
  });

  it('drains the producer to its end', async () => {
    let finished = false;
    async function* producer(): AsyncGenerator<GenerationEvent> {
      yield { type: 'done', stop: 'end', usage };
      finished = true;
    }
    await collectChatCompletion(producer(), meta);
    expect(finished).toBe(true);
  });

  it('ignores events after done', () => {
    const acc = new ChatCompletionAccumulator(meta);
    acc.push({ type: 'text', text: 'a' });
    acc.push({ type: 'done', stop: 'end', usage });
    acc.push({ type: 'text', text: 'b' });
    expect(acc.result().choices[0]?.message.content).toBe('a');
  });
});
