import { describe, expect, it } from 'vitest';
import { conversationKey } from './affinity.js';

describe('conversationKey', () => {
  it("takes Claude Code's session id, then x-session-id", () => {
    expect(conversationKey({ headers: { 'x-claude-code-session-id': 'abc', 'x-session-id': 'def' }, messages: [] })).toBe('abc');
    expect(conversationKey({ headers: { 'x-session-id': 'def' }, messages: [] })).toBe('def');
  });

  it('otherwise stands for a conversation by its first user message, the same on every turn', () => {
    const first = { role: 'user' as const, content: 'Fix the bug in main.ts' };
    const turn1 = conversationKey({ messages: [{ role: 'system', content: 'You are helpful.' }, first] });
    const turn2 = conversationKey({
      messages: [{ role: 'system', content: 'Other system.' }, first, { role: 'assistant', content: 'Done.' }, { role: 'user', content: 'Thanks' }],
    });
    expect(turn1).toMatch(/^[0-9a-f]{32}$/);
    expect(turn2).toBe(turn1);
    expect(conversationKey({ messages: [{ role: 'user', content: 'Another task' }] })).not.toBe(turn1);
    expect(conversationKey({ messages: [] })).toBeUndefined();
  });
});
