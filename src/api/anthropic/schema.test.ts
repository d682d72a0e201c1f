import { describe, expect, it } from 'vitest';
import { ApiError } from '../../errors.js';
import { parseCountTokensBody, parseMessagesBody } from './schema.js';

const base = { model: 'claude-opus-4-1', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };

function error(body: unknown): ApiError {
  try {
    parseMessagesBody(body);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('parseMessagesBody', () => {
  it('accepts what Claude Code sends, ignoring fields it does not know', () => {
    const body = parseMessagesBody({
      ...base,
      stream: true,
      system: [
        { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.0;', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral', ttl: '1h' } },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: '<system-reminder>x</system-reminder>' },
            { type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } },
          ],
        },
        { role: 'system', content: 'mid-conversation note' },
      ],
      tools: [{ name: 'Bash', description: 'run', input_schema: { type: 'object', properties: {} }, defer_loading: false }],
      thinking: { type: 'adaptive' },
      output_config: { effort: 'high' },
      context_management: { edits: [] },
      metadata: { user_id: 'user_abc' },
      temperature: 1,
    });
    expect(body.messages).toHaveLength(2);
    expect(body.thinking).toEqual({ type: 'adaptive' });
  });

  it('passes unknown block types through as `other`', () => {
    const body = parseMessagesBody({
      ...base,
      messages: [{ role: 'user', content: [{ type: 'tool_reference', tool_name: 'Grep' }] }],
    });
    expect(body.messages[0]!.content).toEqual([{ type: 'other', block: { type: 'tool_reference', tool_name: 'Grep' } }]);
  });

  it.each([
    [{ ...base, max_tokens: undefined }, 'max_tokens: Field required', 'max_tokens'],
    [{ ...base, max_tokens: 0 }, 'max_tokens: Too small: expected number to be >=1', 'max_tokens'],
    [{ ...base, messages: [] }, 'messages: at least one message is required', 'messages'],
    [{ ...base, model: undefined }, 'model: Field required', 'model'],
    [
      { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] },
      'messages.0.content.0.text: text content blocks must be non-empty',
      'messages.0.content.0.text',
    ],
    [{ ...base, messages: [{ role: 'user', content: [{ text: 'no type' }] }] }, 'messages.0.content.0.type: Field required', 'messages.0.content.0.type'],
    [{ ...base, messages: [{ role: 'bot', content: 'x' }] }, 'messages.0.role', 'messages.0.role'],
    [{ ...base, messages: [{ role: 'user', content: 3 }] }, 'messages.0.content: Input should be string or array', 'messages.0.content'],
    [{ ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: 'x' }] }] }, 'messages.0.content.0.input', 'messages.0.content.0.input'],
    [{ ...base, temperature: 1.5 }, 'temperature', 'temperature'],
    [{ ...base, tool_choice: { type: 'sometimes' } }, 'tool_choice.type: Input tag "sometimes" does not match', 'tool_choice.type'],
    [{ ...base, system: [{ type: 'text', text: '' }] }, 'system.0.text: text content blocks must be non-empty', 'system.0.text'],
  ])('rejects %j', (body, message, param) => {
    const err = error(body);
    expect(err.status).toBe(400);
    expect(err.message.startsWith(message)).toBe(true);
    expect(err.param).toBe(param);
  });

  it('rejects a body that is not an object', () => {
    expect(error([1, 2]).message).toBe('Request body must be a JSON object');
  });

  // 3 000 levels overflowed the stack in the template renderer: a 500 instead of a 400 (issue 15).
  it('rejects a tool schema or a tool_use input nested 3 000 levels deep, naming the field', () => {
    const deep = (levels: number): Record<string, unknown> => {
      let value: Record<string, unknown> = {};
      for (let i = 0; i < levels; i++) value = { a: value };
      return value;
    };
    const base = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] };
    const schema = error({ ...base, tools: [{ name: 't', input_schema: deep(3000) }] });
    expect(schema.message).toBe('tools.0.input_schema.a.a.a…: nested more than 128 levels deep');
    expect(schema.param).toBe('tools.0.input_schema.a.a.a…');
    const input = error({
      ...base,
      messages: [...base.messages, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 't', input: deep(3000) }] }],
    });
    expect(input.message).toBe('messages.1.content.0.input.a…: nested more than 128 levels deep');
    expect(() => parseMessagesBody({ ...base, tools: [{ name: 't', input_schema: deep(100) }] })).not.toThrow();
  });
});

describe('parseCountTokensBody', () => {
  it('needs no max_tokens', () => {
    expect(parseCountTokensBody({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).model).toBe('m');
  });
});
