// Small mappings shared by the stream and non-stream converters: ids, stop reasons, usage,
// thinking signatures.

import { createHash } from 'node:crypto';
import { randomBase62 } from '../../chat/ids.js';
import type { StopReason, Usage } from '../../chat/types.js';
import type { StopReasonWire, WireUsage } from './wire.js';

/**
 * Ids look like Anthropic's (`msg_01` / `toolu_01` + 22 base62 characters, 24 after the
 * underscore): some clients validate the prefix, and Claude Code keys its transcript on them.
 */
export function newMessageId(): string {
  return `msg_01${randomBase62(22)}`;
}

export function newToolUseId(): string {
  return `toolu_01${randomBase62(22)}`;
}

/**
 * Anthropic has a reason of its own for a stop sequence; a generation that made tool calls
 * ends with `tool_use` unless the token limit or a stop sequence cut it.
 */
export function toStopReason(stop: StopReason, sawToolUse: boolean): StopReasonWire {
  switch (stop) {
    case 'max_tokens':
      return 'max_tokens';
    case 'stop_sequence':
      return 'stop_sequence';
    case 'tool_calls':
      return 'tool_use';
    case 'end':
      return sawToolUse ? 'tool_use' : 'end_turn';
  }
}

/**
 * Usage accounting. Anthropic splits the prompt into `cache_read_input_tokens` (served from
 * the prompt cache), `cache_creation_input_tokens` (written to the cache at an explicit
 * `cache_control` breakpoint) and `input_tokens` (the rest); the three add up to the prompt.
 * Our KV reuse is automatic prefix matching, not an explicit cache write, so:
 *   cache_read_input_tokens     = tokens reused from the slot's KV cache,
 *   input_tokens                = tokens evaluated for this request (prompt − reused),
 *   cache_creation_input_tokens = 0 (nothing is billed as a cache write).
 * So `input_tokens + cache_read_input_tokens` is the whole prompt — what count_tokens returns
 * and what Claude Code adds up to track how full the context is.
 */
export function toWireUsage(prompt: { promptTokens: number; cachedTokens: number }, outputTokens: number): WireUsage {
  const cached = Math.min(prompt.cachedTokens, prompt.promptTokens);
  return {
    input_tokens: prompt.promptTokens - cached,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: outputTokens,
  };
}

export function usageFromDone(usage: Usage): WireUsage {
  return toWireUsage(usage, usage.completionTokens);
}

/**
 * A thinking block's `signature`. Anthropic's is an opaque proof that the thinking came from
 * the model; clients only store it and send it back. Ours is a digest of the thinking text:
 * deterministic (stable prompts, stable test fixtures) and never needs checking, since the
 * history's thinking is rendered as reasoning whatever its signature.
 */
export function thinkingSignature(thinking: string): string {
  return createHash('sha256').update('llama-bridge thinking\0').update(thinking).digest('base64');
}
