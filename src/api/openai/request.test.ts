import { describe, expect, it } from 'vitest';
import { ApiError } from '../../errors.js';
import { toChatRequest } from './request.js';
import { parseChatCompletionBody } from './schema.js';

const opts = { id: 'req1', defaultModel: 'local-model' };
const convert = (body: unknown) => toChatRequest(parseChatCompletionBody(body), opts);

describe('toChatRequest', () => {
  it('converts a minimal request', () => {
    expect(convert({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).toEqual({
      id: 'req1',
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      sampling: {},
    });
  });

  it('falls back to the loaded model name', () => {
    expect(convert({ messages: [{ role: 'user', content: 'hi' }] }).model).toBe('local-model');
  });

  it('maps developer to system and joins text parts', () => {
    const req = convert({
      messages: [
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        { role: 'system', content: 'c' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x' },
            { type: 'text', text: 'y' },
          ],
          name: 'bob',
        },
      ],
    });
    expect(req.messages).toEqual([
      { role: 'system', content: 'a\nb' },
      { role: 'system', content: 'c' },
      { role: 'user', content: 'x\ny', name: 'bob' },
    ]);
  });

  describe('images (no model served has vision)', () => {
    const png = Buffer.alloc(3000, 1).toString('base64');
    const content = [
      { type: 'text', text: 'look' },
      { type: 'text', text: 'here' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png}`, detail: 'low' } },
      { type: 'image_url', image_url: 'https://example.com/a.png?sig=secret' },
      { type: 'text', text: 'done' },
    ];

    it('become notes in their place, parsed from data: URLs and naming only the host of links', () => {
      let notes = 0;
      const req = toChatRequest(parseChatCompletionBody({ messages: [{ role: 'user', content }] }), { ...opts, onImageNote: () => notes++ });
      expect(req.messages[0]).toEqual({
        role: 'user',
        content: [
          'look',
          'here',
          '[image: image/png, 3 KB — not shown, this model has no vision support]',
          '[image: example.com — not shown, this model has no vision support]',
          'done',
        ].join('\n'),
      });
      expect(notes).toBe(2);
      expect(JSON.stringify(req.messages)).not.toContain(png.slice(0, 32));
      expect(JSON.stringify(req.messages)).not.toContain('secret');
    });

    it('are a 400 naming the part with rejectImages', () => {
      let error: unknown;
      try {
        toChatRequest(
          parseChatCompletionBody({
            messages: [
              { role: 'system', content: 's' },
              { role: 'user', content },
            ],
          }),
          { ...opts, rejectImages: true },
        );
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 400, message: 'this model does not accept images', param: 'messages[1].content[2]', code: 'images_not_supported' });
    });
  });

  it('converts assistant tool calls, reasoning and tool results (with the function name)', () => {
    const req = convert({
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'need a tool',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', function: { name: 'get_time', arguments: { tz: 'CET' } } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'sunny' }] },
        { role: 'tool', tool_call_id: 'call_2', content: '12:00', name: 'clock' },
        { role: 'tool', tool_call_id: 'unknown', content: '?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'It is ' },
            { type: 'refusal', refusal: 'no' },
          ],
        },
      ],
    });
    expect(req.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        reasoning: 'need a tool',
        toolCalls: [
          { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'call_2', name: 'get_time', arguments: '{"tz":"CET"}' },
        ],
      },
      { role: 'tool', content: 'sunny', toolCallId: 'call_1', name: 'get_weather' },
      { role: 'tool', content: '12:00', toolCallId: 'call_2', name: 'clock' },
      { role: 'tool', content: '?', toolCallId: 'unknown' },
      { role: 'assistant', content: 'It is \nno' },
    ]);
  });

  it('converts tools, tool_choice, response_format, limits, stop and sampling', () => {
    const req = convert({
      messages: [{ role: 'user', content: 'x' }],
      tools: [
        { type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object', properties: { a: {} } } } },
        { type: 'function', function: { name: 'g' } },
      ],
      tool_choice: 'required',
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      max_tokens: 100,
      max_completion_tokens: 50,
      stop: ['END', ''],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 20,
      min_p: 0.1,
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      repeat_penalty: 1.05,
      chat_template_kwargs: { enable_thinking: false },
    });
    expect(req).toEqual({
      id: 'req1',
      model: 'local-model',
      messages: [{ role: 'user', content: 'x' }],
      tools: [
        { name: 'f', description: 'does f', parameters: { type: 'object', properties: { a: {} } } },
        { name: 'g', parameters: { type: 'object', properties: {} } },
      ],
      toolChoice: { type: 'required' },
      parallelToolCalls: false,
      responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' } },
      maxTokens: 50,
      stop: ['END'],
      sampling: {
        temperature: 0.2,
        topP: 0.9,
        topK: 20,
        minP: 0.1,
        seed: 7,
        presencePenalty: 0.5,
        frequencyPenalty: 0.25,
        repeatPenalty: 1.05,
      },
      templateKwargs: { enable_thinking: false },
    });
  });

  it('handles the smaller variants', () => {
    const base = { messages: [{ role: 'user', content: 'x' }] };
    expect(convert({ ...base, stop: 'STOP' }).stop).toEqual(['STOP']);
    expect(convert({ ...base, stop: '' }).stop).toBeUndefined();
    expect(convert({ ...base, max_tokens: 9 }).maxTokens).toBe(9);
    expect(convert({ ...base, tools: [] }).tools).toBeUndefined();
    expect(convert({ ...base, tool_choice: 'none' }).toolChoice).toEqual({ type: 'none' });
    expect(convert({ ...base, tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'function', function: { name: 'f' } } }).toolChoice).toEqual({
      type: 'function',
      name: 'f',
    });
    expect(convert({ ...base, response_format: { type: 'json_object' } }).responseFormat).toEqual({ type: 'json_object' });
    expect(convert({ ...base, response_format: { type: 'text' } }).responseFormat).toEqual({ type: 'text' });
    expect(convert({ ...base, response_format: { type: 'json_schema', json_schema: { name: 'n' } } }).responseFormat).toEqual({
      type: 'json_object',
    });
  });
});
