import { describe, expect, it } from 'vitest';
import type { GenerationEvent, Usage } from '../../chat/types.js';
import { ChatCompletionChunker } from './stream.js';
import type { ChatCompletionChunk } from './wire.js';

const meta = { id: 'chatcmpl-abc', model: 'gpt-test', created: 1700000000, systemFingerprint: 'fp_x' };
const usage: Usage = { promptTokens: 10, cachedTokens: 4, completionTokens: 5 };

function run(events: GenerationEvent[], includeUsage = false): ChatCompletionChunk[] {
  const chunker = new ChatCompletionChunker({ ...meta, includeUsage });
  return events.flatMap((e) => chunker.push(e));
}

const deltas = (chunks: ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta);

describe('ChatCompletionChunker', () => {
  it('streams text like OpenAI: role chunk, deltas, finish chunk', () => {
    const chunks = run([
      { type: 'accepted', promptTokens: 10, cachedTokens: 4, cache: 'default', route: 'slot0' },
      { type: 'text', text: 'Hel' },
      { type: 'text', text: '' },
      { type: 'text', text: 'lo' },
      { type: 'done', stop: 'end', usage },
    ]);
    expect(chunks[0]).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion.chunk',
      created: 1700000000,
      model: 'gpt-test',
      system_fingerprint: 'fp_x',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    });
    expect(deltas(chunks)).toEqual([{ role: 'assistant', content: '' }, { content: 'Hel' }, { content: 'lo' }, {}]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason)).toEqual([null, null, null, 'stop']);
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
  });

  it('streams reasoning as reasoning_content', () => {
    const chunks = run([
      { type: 'reasoning', text: 'think' },
      { type: 'text', text: 'answer' },
      { type: 'done', stop: 'max_tokens', usage },
    ]);
    expect(deltas(chunks)).toEqual([{ role: 'assistant', content: '' }, { reasoning_content: 'think' }, { content: 'answer' }, {}]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');
  });

  it('streams two tool calls with sequential indexes', () => {
    const chunks = run([
      { type: 'text', text: 'Calling.' },
      { type: 'tool_call_start', index: 3, id: 'call_a', name: 'get_weather' },
      { type: 'tool_call_arguments', index: 3, json: '{"city":' },
      { type: 'tool_call_arguments', index: 3, json: '"Paris"}' },
      { type: 'tool_call_end', index: 3 },
      { type: 'tool_call_start', index: 7, id: 'call_b', name: 'get_time' },
      { type: 'tool_call_arguments', index: 7, json: '{}' },
      { type: 'tool_call_end', index: 7 },
      { type: 'done', stop: 'tool_calls', usage },
    ]);
    expect(deltas(chunks)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Calling.' },
      { tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      { tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{}' } }] },
      {},
    ]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('maps stop reasons', () => {
    const finish = (events: GenerationEvent[]) => run(events).at(-1)?.choices[0]?.finish_reason;
    expect(finish([{ type: 'done', stop: 'end', usage }])).toBe('stop');
    expect(finish([{ type: 'done', stop: 'stop_sequence', stopSequence: '###', usage }])).toBe('stop');
    expect(finish([{ type: 'done', stop: 'max_tokens', usage }])).toBe('length');
    expect(finish([{ type: 'done', stop: 'tool_calls', usage }])).toBe('tool_calls');
    // Tool calls were produced: OpenAI clients look for finish_reason tool_calls.
    expect(
      finish([
        { type: 'tool_call_start', index: 0, id: 'c', name: 'f' },
        { type: 'done', stop: 'end', usage },
      ]),
    ).toBe('tool_calls');
    expect(
      finish([
        { type: 'tool_call_start', index: 0, id: 'c', name: 'f' },
        { type: 'done', stop: 'max_tokens', usage },
      ]),
    ).toBe('length');
  });

  it('adds usage: null to each chunk and a final usage chunk when asked', () => {
    const chunks = run(
      [
        { type: 'text', text: 'x' },
        { type: 'done', stop: 'end', usage },
      ],
      true,
    );
    expect(chunks).toHaveLength(4);
    expect(chunks.slice(0, 3).every((c) => c.usage === null)).toBe(true);
    expect(chunks[3]).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion.chunk',
      created: 1700000000,
      model: 'gpt-test',
      system_fingerprint: 'fp_x',
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } },
    });
  });

  it('emits the role chunk on accepted, keeps its counts, and ignores events after done', () => {
    const chunker = new ChatCompletionChunker({ ...meta, includeUsage: false });
    expect(deltas(chunker.push({ type: 'accepted', promptTokens: 3, cachedTokens: 1, cache: 'default', route: 'r' }))).toEqual([{ role: 'assistant', content: '' }]);
    expect(chunker.prompt).toEqual({ promptTokens: 3, cachedTokens: 1 });
    expect(chunker.finished).toBe(false);
    chunker.push({ type: 'done', stop: 'end', usage });
    expect(chunker.finished).toBe(true);
    expect(chunker.finishReason).toBe('stop');
    expect(chunker.push({ type: 'text', text: 'late' })).toEqual([]);
  });

  it('ignores arguments for a tool call that never started', () => {
    expect(run([{ type: 'tool_call_arguments', index: 0, json: '{}' }])).toHaveLength(1);
  });
});
