import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../chat/types.js';
import { ApiError } from '../../errors.js';
import { blockText, toChatRequest, toCountRequest, type ToChatRequestOptions } from './request.js';
import { parseCountTokensBody, parseMessagesBody } from './schema.js';

function convert(body: Record<string, unknown>, options: Omit<ToChatRequestOptions, 'id'> = {}): ChatRequest {
  return toChatRequest(parseMessagesBody({ model: 'claude-haiku-4-5', max_tokens: 100, ...body }), { id: 'msg_01x', ...options });
}

function failure(body: Record<string, unknown>, options: Omit<ToChatRequestOptions, 'id'> = {}): ApiError {
  try {
    convert(body, options);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

const weatherTool = { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };

describe('toChatRequest', () => {
  it('converts a plain request with sampling and stops', () => {
    expect(
      convert({
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Hello' }],
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        stop_sequences: ['END', ''],
        metadata: { user_id: 'u' },
      }),
    ).toEqual({
      id: 'msg_01x',
      model: 'claude-haiku-4-5',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      sampling: { temperature: 0.2, topP: 0.9, topK: 40 },
      maxTokens: 100,
      stop: ['END'],
    });
  });

  it('joins system blocks and folds leading role:system messages into the system prompt', () => {
    const request = convert({
      system: [
        { type: 'text', text: 'A', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'B' },
      ],
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'C' }] },
        { role: 'user', content: 'Hi' },
        { role: 'system', content: 'Reminder' },
        { role: 'assistant', content: 'Yo' },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'system', content: 'A\nB\nC' },
      // A later system entry becomes user text in place (templates reject late system messages).
      { role: 'user', content: 'Hi\nReminder' },
      { role: 'assistant', content: 'Yo' },
    ]);
  });

  it('merges consecutive same-role messages', () => {
    const request = convert({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'user', content: [{ type: 'text', text: 'b' }] },
        { role: 'assistant', content: 'c' },
        { role: 'assistant', content: 'd' },
        { role: 'user', content: 'e' },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'user', content: 'a\nb' },
      { role: 'assistant', content: 'c\nd' },
      { role: 'user', content: 'e' },
    ]);
  });

  it('turns tool_use into tool calls and tool_result into tool messages before the remaining user text', () => {
    const request = convert({
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Two calls.', signature: 'sig' },
            { type: 'redacted_thinking', data: 'xxx' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_01a', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_01b', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01a', content: 'Sunny' },
            { type: 'text', text: 'Also: hurry.' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_01b',
              is_error: true,
              content: [
                { type: 'text', text: 'Rain' },
                { type: 'tool_reference', tool_name: 'get_time' },
              ],
            },
          ],
        },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        reasoning: 'Two calls.',
        toolCalls: [
          { id: 'toolu_01a', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'toolu_01b', name: 'get_weather', arguments: '{"city":"Rome"}' },
        ],
      },
      { role: 'tool', toolCallId: 'toolu_01a', content: 'Sunny' },
      { role: 'tool', toolCallId: 'toolu_01b', content: 'Rain\nTool loaded: get_time' },
      { role: 'user', content: 'Also: hurry.' },
    ]);
    expect(request.tools).toEqual([{ name: 'get_weather', description: 'Weather', parameters: weatherTool.input_schema }]);
  });

  it('rejects a tool_result without a matching earlier tool_use, naming the field', () => {
    const err = failure({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_a', name: 'f', input: {} }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_a' },
            { type: 'tool_result', tool_use_id: 'toolu_zzz' },
          ],
        },
      ],
    });
    expect(err.param).toBe('messages.2.content.1.tool_use_id');
    expect(err.message).toMatch(/^messages\.2\.content\.1\.tool_use_id: unexpected `tool_use_id`.*toolu_zzz/);
  });

  describe('images (no model served has vision)', () => {
    const png = Buffer.alloc(48 * 1024, 1).toString('base64');
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } };
    const note = '[image: image/png, 48 KB — not shown, this model has no vision support]';
    const withToolResult = [
      { role: 'user', content: 'Look at the screenshot.' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Read', input: { file_path: '/p/shot.png' } }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'Read 1 image' }, image] },
          { type: 'text', text: 'What is on it?' },
        ],
      },
    ];

    it('become a note in their place, in user turns and inside tool results, counted one by one', () => {
      let notes = 0;
      const onImageNote = () => notes++;
      const request = convert(
        {
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'what is this' },
                image,
                { type: 'text', text: 'and this' },
                { type: 'image', source: { type: 'url', url: 'https://example.com/a/b.png' } },
              ],
            },
          ],
        },
        { onImageNote },
      );
      expect(request.messages).toEqual([{ role: 'user', content: `what is this\n${note}\nand this\n[image: example.com — not shown, this model has no vision support]` }]);
      expect(notes).toBe(2);

      expect(convert({ messages: withToolResult }, { onImageNote }).messages.slice(2)).toEqual([
        { role: 'tool', toolCallId: 't', content: `Read 1 image\n${note}` },
        { role: 'user', content: 'What is on it?' },
      ]);
      expect(notes).toBe(3);
      // The base64 data never reaches the prompt.
      expect(JSON.stringify(convert({ messages: withToolResult }).messages)).not.toContain(png.slice(0, 32));
    });

    it('from sources without data are named by kind', () => {
      const request = convert({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_011' } }] }] });
      expect(request.messages).toEqual([{ role: 'user', content: '[image: file — not shown, this model has no vision support]' }]);
    });

    it('count_tokens sees the same notes', () => {
      const body = parseMessagesBody({ model: 'm', max_tokens: 10, messages: withToolResult });
      expect(toCountRequest(body, { id: 'a' }).messages).toEqual(toChatRequest(body, { id: 'a' }).messages);
      expect(toCountRequest(body, { id: 'a' }).messages[2]).toEqual({ role: 'tool', toolCallId: 't', content: `Read 1 image\n${note}` });
    });

    it('are a 400 naming the block with rejectImages', () => {
      const err = failure({ messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, image] }] }, { rejectImages: true });
      expect(err.status).toBe(400);
      expect(err.code).toBe('images_not_supported');
      expect(err.param).toBe('messages.0.content.1');
      expect(err.message).toBe('messages.0.content.1: this model does not accept images (the loaded model has no vision support)');
      expect(failure({ messages: withToolResult }, { rejectImages: true }).param).toBe('messages.2.content.0.content.1');
      const body = parseCountTokensBody({ model: 'm', messages: withToolResult });
      expect(() => toCountRequest(body, { id: 'a', rejectImages: true })).toThrow(/does not accept images/);
    });
  });

  it('rejects empty content except in a final assistant message', () => {
    expect(failure({ messages: [{ role: 'user', content: '' }] }).param).toBe('messages.0.content');
    expect(failure({ messages: [{ role: 'user', content: [] }] }).param).toBe('messages.0.content');
    expect(
      convert({
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: '' },
        ],
      }).messages,
    ).toHaveLength(2);
  });

  it('rejects tool blocks in the wrong role', () => {
    expect(failure({ messages: [{ role: 'user', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] }] }).param).toBe('messages.0.content.0');
  });

  it.each([
    [{ type: 'auto' }, { type: 'auto' }, undefined],
    [{ type: 'auto', disable_parallel_tool_use: true }, { type: 'auto' }, false],
    [{ type: 'any' }, { type: 'required' }, undefined],
    [{ type: 'tool', name: 'get_weather', disable_parallel_tool_use: true }, { type: 'function', name: 'get_weather' }, false],
    [{ type: 'none' }, { type: 'none' }, undefined],
  ])('maps tool_choice %j', (choice, toolChoice, parallel) => {
    const request = convert({ tools: [weatherTool], tool_choice: choice, messages: [{ role: 'user', content: 'x' }] });
    expect(request.toolChoice).toEqual(toolChoice);
    expect(request.parallelToolCalls).toBe(parallel);
  });

  it('checks tool_choice against the tools', () => {
    expect(failure({ tools: [weatherTool], tool_choice: { type: 'tool', name: 'nope' }, messages: [{ role: 'user', content: 'x' }] }).param).toBe('tool_choice.name');
    expect(failure({ tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'x' }] }).param).toBe('tool_choice');
  });

  it('leaves out server tools and requires input_schema on custom tools', () => {
    const request = convert({
      tools: [weatherTool, { type: 'web_search_20250305', name: 'web_search', max_uses: 5 }, { ...weatherTool, name: 'other', type: 'custom' }],
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(request.tools?.map((t) => t.name)).toEqual(['get_weather', 'other']);
    expect(failure({ tools: [{ name: 'bare' }], messages: [{ role: 'user', content: 'x' }] }).param).toBe('tools.0.input_schema');
    expect(failure({ tools: [weatherTool, weatherTool], messages: [{ role: 'user', content: 'x' }] }).param).toBe('tools.1.name');
  });

  it.each([
    [{ type: 'enabled', budget_tokens: 2048 }, 2048, { enable_thinking: true }],
    [{ type: 'adaptive' }, undefined, { enable_thinking: true }],
    [{ type: 'disabled' }, 0, { enable_thinking: false }],
    [{ type: 'some-future-mode' }, undefined, undefined],
  ])('maps thinking %j', (thinking, budget, kwargs) => {
    const request = convert({ thinking, messages: [{ role: 'user', content: 'x' }] });
    expect(request.reasoningBudget).toBe(budget);
    expect(request.templateKwargs).toEqual(kwargs);
  });

  it('maps structured output (output_config.format, as Claude Code titles ask; output_format) to a JSON schema response format', () => {
    const schema = { type: 'object', properties: { title: { type: 'string' } }, required: ['title'], additionalProperties: false };
    const messages = [{ role: 'user', content: 'Name this session.' }];
    expect(convert({ messages, output_config: { effort: 'low', format: { type: 'json_schema', schema } } }).responseFormat).toEqual({ type: 'json_schema', schema });
    expect(convert({ messages, output_format: { type: 'json_schema', schema } }).responseFormat).toEqual({ type: 'json_schema', schema });
    expect(convert({ messages, output_config: { effort: 'low' } }).responseFormat).toBeUndefined();
  });

  it('requires a budget for enabled thinking', () => {
    expect(failure({ thinking: { type: 'enabled' }, messages: [{ role: 'user', content: 'x' }] }).param).toBe('thinking.enabled.budget_tokens');
  });
});

describe('toCountRequest', () => {
  it('renders the same prompt-deciding fields as toChatRequest, without generation settings', () => {
    const body = parseMessagesBody({ model: 'm', max_tokens: 10, system: 'S', tools: [weatherTool], messages: [{ role: 'user', content: 'x' }], temperature: 0.5 });
    const full = toChatRequest(body, { id: 'a' });
    const count = toCountRequest(body, { id: 'a' });
    expect(count.messages).toEqual(full.messages);
    expect(count.tools).toEqual(full.tools);
    expect(count.maxTokens).toBeUndefined();
  });
});

describe('blockText', () => {
  it('reads unknown and document-like blocks sensibly', () => {
    expect(blockText({ type: 'document', title: 'Notes', source: { type: 'text', media_type: 'text/plain', data: 'Body' } })).toBe('Notes\nBody');
    expect(blockText({ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'AA' } })).toMatch(/document omitted/);
    expect(blockText({ type: 'search_result', title: 'T', source: 'https://x', content: [{ type: 'text', text: 'snippet' }] })).toBe('T\nhttps://x\nsnippet');
    expect(blockText({ type: 'browser_state', tabs: [] })).toBe('[browser_state] {"tabs":[]}');
    expect(blockText({ type: 'mystery', cache_control: { type: 'ephemeral' } })).toBe('[mystery]');
    expect(blockText({ type: 'future_text', text: 'hello' })).toBe('hello');
  });
});

describe('captured Claude Code requests', () => {
  // Recorded by scripts/capture-claude-code.ts (one JSON record per request: path, headers, body).
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/claude-code');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')) : [];

  it.skipIf(files.length === 0)('all parse and convert', () => {
    let seen = 0;
    let withTools = 0;
    for (const file of files) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean)) {
        const record = JSON.parse(line) as { path: string; body: unknown };
        if (!record.path.startsWith('/v1/messages')) continue;
        const request = record.path.includes('count_tokens')
          ? toCountRequest(parseCountTokensBody(record.body), { id: 'x' })
          : toChatRequest(parseMessagesBody(record.body), { id: 'x' });
        expect(request.messages.length).toBeGreaterThan(0);
        // Background requests (titles, summaries) come without tools; the main thread has them.
        if (request.tools?.length) withTools++;
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(0);
    expect(withTools).toBeGreaterThan(0);
  });
});
