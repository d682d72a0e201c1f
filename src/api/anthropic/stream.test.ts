// The stream converter, unit by unit, and the whole SSE wire of the route against golden files
// (src/api/anthropic/golden/*.sse), compared byte for byte after replacing the random ids.
// Regenerate the files after a deliberate change with UPDATE_GOLDEN=1.

import Fastify from 'fastify';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { GenerationEvent } from '../../chat/types.js';
import { ApiError } from '../../errors.js';
import { anthropicRoutes } from './routes.js';
import { collectMessage } from './response.js';
import { MessageStreamConverter } from './stream.js';
import { events, fakeChat, MAX_TOKENS_EVENTS, MIXED_EVENTS, normaliseIds, STOP_SEQUENCE_EVENTS, TEXT_EVENTS, TOOL_EVENTS } from './test-fakes.js';
import type { StreamEvent } from './wire.js';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');

let ids = 0;
const meta = () => ({ id: 'msg_01test', model: 'claude-test', newToolUseId: () => `toolu_01t${ids++}` });

function convert(list: GenerationEvent[]): StreamEvent[] {
  const converter = new MessageStreamConverter(meta());
  return list.flatMap((event) => converter.push(event));
}

describe('MessageStreamConverter', () => {
  it('sends message_start on the accepted event, with the prompt usage, before any output', () => {
    const converter = new MessageStreamConverter(meta());
    const out = converter.push({ type: 'accepted', promptTokens: 50, cachedTokens: 20, cache: 'default', route: 'slot 0' });
    expect(out).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'msg_01test',
          type: 'message',
          role: 'assistant',
          model: 'claude-test',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 20, output_tokens: 0 },
        },
      },
    ]);
    expect(converter.started).toBe(true);
  });

  it('closes a thinking block with one signature_delta', () => {
    const out = convert(TEXT_EVENTS);
    const types = out.map((e) => (e.type === 'content_block_delta' ? e.delta.type : e.type));
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'thinking_delta',
      'thinking_delta',
      'signature_delta',
      'content_block_stop',
      'content_block_start',
      'text_delta',
      'text_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('drops whitespace between blocks and never opens a whitespace-only text block', () => {
    const out = convert(MIXED_EVENTS);
    const starts = out.filter((e) => e.type === 'content_block_start').map((e) => e.content_block.type);
    expect(starts).toEqual(['thinking', 'text', 'tool_use']);
    const texts = out.flatMap((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? [e.delta.text] : []));
    expect(texts).toEqual(['Let me look.', '\n']);
  });

  it('maps stop reasons', () => {
    const last = (list: GenerationEvent[]) => convert(list).find((e) => e.type === 'message_delta');
    expect(last(TEXT_EVENTS)).toMatchObject({ delta: { stop_reason: 'end_turn', stop_sequence: null } });
    expect(last(TOOL_EVENTS)).toMatchObject({ delta: { stop_reason: 'tool_use', stop_sequence: null } });
    expect(last(MIXED_EVENTS)).toMatchObject({ delta: { stop_reason: 'tool_use' } });
    expect(last(STOP_SEQUENCE_EVENTS)).toMatchObject({ delta: { stop_reason: 'stop_sequence', stop_sequence: ', 3' } });
    expect(last(MAX_TOKENS_EVENTS)).toMatchObject({ delta: { stop_reason: 'max_tokens', stop_sequence: null } });
  });

  it('emits message_start even when the first event is not `accepted`', () => {
    const out = convert([
      { type: 'text', text: 'hi' },
      { type: 'done', stop: 'end', usage: { promptTokens: 3, cachedTokens: 0, completionTokens: 1 } },
    ]);
    expect(out[0]?.type).toBe('message_start');
    expect(out.at(-2)).toMatchObject({ usage: { input_tokens: 3, output_tokens: 1 } });
  });

  it('ignores everything after done', () => {
    const converter = new MessageStreamConverter(meta());
    for (const e of TEXT_EVENTS) converter.push(e);
    expect(converter.finished).toBe(true);
    expect(converter.push({ type: 'text', text: 'late' })).toEqual([]);
  });
});

describe('collectMessage (non-streaming)', () => {
  it('builds the same blocks as the stream, with parsed tool input', async () => {
    const message = await collectMessage(events(MIXED_EVENTS), meta());
    expect(message.content).toEqual([
      { type: 'thinking', thinking: '\nI should list the files.\n', signature: expect.any(String) },
      { type: 'text', text: 'Let me look.\n' },
      { type: 'tool_use', id: expect.stringMatching(/^toolu_01/), name: 'Bash', input: { command: 'ls -la' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toEqual({ input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 90, output_tokens: 30 });
  });

  it('turns tool input cut off mid-JSON into {}', async () => {
    const message = await collectMessage(
      events([
        { type: 'tool_call_start', index: 0, id: 'c', name: 'f' },
        { type: 'tool_call_arguments', index: 0, json: '{"a": "unfini' },
        { type: 'done', stop: 'max_tokens', usage: { promptTokens: 1, cachedTokens: 0, completionTokens: 9 } },
      ]),
      meta(),
    );
    expect(message.content).toEqual([{ type: 'tool_use', id: expect.any(String), name: 'f', input: {} }]);
    expect(message.stop_reason).toBe('max_tokens');
  });

  it('fails without a done event', async () => {
    await expect(collectMessage(events([{ type: 'text', text: 'x' }]), meta())).rejects.toThrow(/without a result/);
  });
});

const GOLDEN: Array<{ name: string; events: () => AsyncIterable<GenerationEvent> }> = [
  { name: 'text-thinking', events: () => events(TEXT_EVENTS) },
  { name: 'tool-use', events: () => events(TOOL_EVENTS) },
  { name: 'mixed-agent-turn', events: () => events(MIXED_EVENTS) },
  { name: 'stop-sequence', events: () => events(STOP_SEQUENCE_EVENTS) },
  { name: 'max-tokens', events: () => events(MAX_TOKENS_EVENTS) },
  {
    name: 'error-mid-stream',
    events: () =>
      (async function* (): AsyncGenerator<GenerationEvent> {
        yield { type: 'accepted', promptTokens: 8, cachedTokens: 0, cache: 'default', route: 'slot 0' };
        yield { type: 'text', text: 'Hal' };
        throw new ApiError('internal', 'The engine stopped unexpectedly');
      })(),
  },
];

describe('SSE wire (golden files)', () => {
  it.each(GOLDEN)('$name', async ({ name, events: script }) => {
    const app = Fastify({ logger: false });
    await app.register(anthropicRoutes({ chat: fakeChat(() => script()), pingIntervalMs: 0 }));
    const response = await app.inject({
      method: 'POST',
      url: '/v1/messages?beta=true',
      payload: { model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'Hi' }] },
    });
    await app.close();
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const body = normaliseIds(response.body);
    const file = join(goldenDir, `${name}.sse`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, body);
    expect(existsSync(file), `${file} missing: run with UPDATE_GOLDEN=1`).toBe(true);
    expect(body).toBe(readFileSync(file, 'utf8'));
  });
});
