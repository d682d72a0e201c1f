// Small mappings shared by the stream and non-stream converters.

import type { StopReason, Usage } from '../../chat/types.js';
import type { CompletionUsage, FinishReason } from './wire.js';

/**
 * OpenAI has no separate reason for a stop sequence (`stop` covers it). A generation that
 * produced tool calls reports `tool_calls` unless it was cut off by the token limit.
 */
export function toFinishReason(stop: StopReason, sawToolCalls: boolean): FinishReason {
  switch (stop) {
    case 'max_tokens':
      return 'length';
    case 'tool_calls':
      return 'tool_calls';
    case 'end':
    case 'stop_sequence':
      return sawToolCalls ? 'tool_calls' : 'stop';
  }
}

export function toUsage(usage: Usage): CompletionUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
  };
}

/** `chatcmpl-<id>` unless the id already has the prefix. */
export function completionId(requestId: string): string {
  return requestId.startsWith('chatcmpl-') ? requestId : `chatcmpl-${requestId}`;
}
