// A key that stays the same over one conversation, for routers that keep a conversation on the
// replica holding its prompt cache (a remote engine sends it in their headers). Claude Code
// names its conversation (`x-claude-code-session-id`, stable across --continue); a client that
// sends `x-session-id` is taken at its word; otherwise the conversation's first user message
// stands for it (the system prompt does not: it is shared by every conversation of a client).

import { createHash } from 'node:crypto';
import type { ChatRequest } from './types.js';

const SESSION_HEADERS = ['x-claude-code-session-id', 'x-session-id'];

export function conversationKey(request: Pick<ChatRequest, 'headers' | 'messages'>): string | undefined {
  for (const name of SESSION_HEADERS) {
    const value = request.headers?.[name]?.trim();
    if (value) return value.slice(0, 200);
  }
  const first = request.messages.find((message) => message.role === 'user');
  if (!first) return undefined;
  const text = typeof first.content === 'string' ? first.content : JSON.stringify(first.content);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
