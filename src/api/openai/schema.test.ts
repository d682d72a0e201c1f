import { describe, expect, it } from 'vitest';
import { ApiError } from '../../errors.js';
import { formatPath, parseChatCompletionBody } from './schema.js';

function errorOf(body: unknown): ApiError {
  try {
    parseChatCompletionBody(body);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a validation error');
}

const user = { role: 'user', content: 'hi' };

describe('parseChatCompletionBody', () => {
  it('accepts a minimal body and ignores unknown fields', () => {
    const body = parseChatCompletionBody({ model: 'm', messages: [user], store: true, metadata: { a: 1 } });
    expect(body.messages).toHaveLength(1);
    expect(body.model).toBe('m');
  });

  it('accepts every supported field, nulls included', () => {
    const body = parseChatCompletionBody({
      model: 'gpt-x',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'developer', content: [{ type: 'text', text: 'dev' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'image_url', image_url: { url: 'data:x' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'thought',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'result' },
      ],
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } },
      max_tokens: 10,
      max_completion_tokens: 20,
      stop: ['a', 'b'],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      min_p: 0.05,
      seed: 42,
      presence_penalty: 0.1,
      frequency_penalty: -0.1,
      repeat_penalty: 1.1,
      n: 1,
      logprobs: false,
      chat_template_kwargs: { enable_thinking: false },
      user: 'someone',
      top_logprobs: null,
      functions: null,
    });
    expect(body.messages).toHaveLength(5);
    expect(body.stream).toBe(true);
  });

  it('accepts explicit nulls for optional fields', () => {
    expect(() => parseChatCompletionBody({ messages: [user], tools: null, stop: null, temperature: null, stream_options: null })).not.toThrow();
  });

  // 3 000 levels overflowed the stack in the template renderer: a 500 instead of a 400 (issue 15).
  it('rejects tool parameters or call arguments nested 3 000 levels deep, naming the field', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 3000; i++) deep = { a: deep };
    const parameters = errorOf({ model: 'm', messages: [user], tools: [{ type: 'function', function: { name: 't', parameters: deep } }] });
    expect(parameters.message).toBe('tools[0].function.parameters.a.a…: nested more than 128 levels deep');
    const call = { id: 'c', type: 'function', function: { name: 't', arguments: JSON.stringify(deep) } };
    const args = errorOf({ model: 'm', messages: [user, { role: 'assistant', tool_calls: [call] }] });
    expect(args.message).toBe('messages[1].tool_calls[0].function.arguments…: nested more than 128 levels deep');
    expect(args.param).toBe('messages[1].tool_calls[0].function.arguments…');
    const fine = { ...call, function: { ...call.function, arguments: '{"a": {"b": [1, {"c": null}]}}' } };
    expect(() => parseChatCompletionBody({ model: 'm', messages: [user, { role: 'assistant', tool_calls: [fine] }] })).not.toThrow();
  });

  it('names an unknown role with its path and the allowed values', () => {
    const err = errorOf({ model: 'm', messages: [user, user, { role: 'robot', content: 'x' }] });
    expect(err.kind).toBe('invalid_request');
    expect(err.status).toBe(400);
    expect(err.param).toBe('messages[2].role');
    expect(err.message).toBe('messages[2].role: Invalid option: expected one of "system"|"developer"|"user"|"assistant"|"tool"');
  });

  it('says a missing role is required', () => {
    const err = errorOf({ messages: [{ content: 'x' }] });
    expect(err.param).toBe('messages[0].role');
    expect(err.message).toMatch(/^messages\[0\]\.role: Required: expected one of "system"/);
  });

  it('explains a content of the wrong type', () => {
    const err = errorOf({ messages: [{ role: 'user', content: 5 }] });
    expect(err.param).toBe('messages[0].content');
    expect(err.message).toBe('messages[0].content: Invalid input: expected string or array, received number');
  });

  it('explains missing content', () => {
    const err = errorOf({ messages: [{ role: 'user' }] });
    expect(err.message).toBe('messages[0].content: Required: expected string or array');
  });

  it('points into a content part', () => {
    const err = errorOf({ messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'input_audio' }] }] });
    expect(err.param).toBe('messages[0].content[1].type');
    expect(err.message).toBe('messages[0].content[1].type: Invalid option: expected one of "text"|"image_url"');
    const err2 = errorOf({ messages: [{ role: 'user', content: [{ type: 'text' }] }] });
    expect(err2.param).toBe('messages[0].content[0].text');
  });

  it('rejects a tool message without tool_call_id', () => {
    const err = errorOf({ messages: [{ role: 'tool', content: 'x' }] });
    expect(err.param).toBe('messages[0].tool_call_id');
  });

  it('rejects an empty message list', () => {
    const err = errorOf({ messages: [] });
    expect(err.param).toBe('messages');
    expect(err.message).toMatch(/^messages: Too small/);
  });

  it('rejects a body that is not an object', () => {
    const err = errorOf([]);
    expect(err.param).toBeUndefined();
    expect(err.message).toBe('Invalid request body: Invalid input: expected object, received array');
    expect(errorOf(null).message).toMatch(/^Invalid request body/);
  });

  it('checks numeric ranges', () => {
    expect(errorOf({ messages: [user], temperature: 3 }).param).toBe('temperature');
    expect(errorOf({ messages: [user], top_p: -1 }).param).toBe('top_p');
    expect(errorOf({ messages: [user], max_tokens: 0 }).param).toBe('max_tokens');
    expect(errorOf({ messages: [user], max_tokens: 1.5 }).param).toBe('max_tokens');
  });

  it('allows at most 4 stop sequences', () => {
    expect(() => parseChatCompletionBody({ messages: [user], stop: ['a', 'b', 'c', 'd'] })).not.toThrow();
    expect(errorOf({ messages: [user], stop: ['a', 'b', 'c', 'd', 'e'] }).param).toBe('stop');
  });

  it('supports only n=1', () => {
    expect(() => parseChatCompletionBody({ messages: [user], n: 1 })).not.toThrow();
    const err = errorOf({ messages: [user], n: 2 });
    expect(err.param).toBe('n');
    expect(err.message).toMatch(/only n=1/);
  });

  it('rejects logprobs: true honestly', () => {
    const err = errorOf({ messages: [user], logprobs: true });
    expect(err.param).toBe('logprobs');
    expect(err.message).toMatch(/not supported/);
  });

  it('checks tool_choice against tools', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(errorOf({ messages: [user], tools, tool_choice: { type: 'function', function: { name: 'g' } } }).param).toBe('tool_choice.function.name');
    expect(errorOf({ messages: [user], tool_choice: 'required' }).param).toBe('tool_choice');
    expect(errorOf({ messages: [user], tool_choice: 'sometimes' }).param).toBe('tool_choice');
    expect(() => parseChatCompletionBody({ messages: [user], tool_choice: 'auto' })).not.toThrow();
    expect(() => parseChatCompletionBody({ messages: [user], tool_choice: 'none' })).not.toThrow();
  });

  it('rejects non-function tools and duplicate names', () => {
    expect(errorOf({ messages: [user], tools: [{ type: 'custom', custom: { name: 'x' } }] }).param).toBe('tools[0].type');
    const dup = { type: 'function', function: { name: 'f' } };
    expect(errorOf({ messages: [user], tools: [dup, dup] }).param).toBe('tools[1].function.name');
  });

  it('rejects an unknown response_format type', () => {
    const err = errorOf({ messages: [user], response_format: { type: 'xml' } });
    expect(err.param).toBe('response_format.type');
  });
});

describe('formatPath', () => {
  it('formats keys and indexes', () => {
    expect(formatPath(['messages', 2, 'content', 0, 'text'])).toBe('messages[2].content[0].text');
    expect(formatPath(['temperature'])).toBe('temperature');
    expect(formatPath([])).toBe('');
  });
});
