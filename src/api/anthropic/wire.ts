// Response shapes of the Anthropic Messages API as this server sends them. Declared here (not
// imported from `@anthropic-ai/sdk`): the SDK is a dev dependency only, and its types carry many
// fields for hosted features (containers, server tools) that a local server never sends.

export type StopReasonWire = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';

/**
 * Token accounting, in Anthropic's definition: the whole prompt is
 * `input_tokens + cache_creation_input_tokens + cache_read_input_tokens`.
 * See `toWireUsage` in common.ts for how the engine's counts map onto it.
 */
export interface WireUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export type ContentBlock = TextBlock | ThinkingBlock | ToolUseBlock;

export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ContentBlock[];
  stop_reason: StopReasonWire | null;
  stop_sequence: string | null;
  usage: WireUsage;
}

export type ContentDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'input_json_delta'; partial_json: string };

export type StreamEvent =
  | { type: 'message_start'; message: Message }
  | { type: 'content_block_start'; index: number; content_block: ContentBlock }
  | { type: 'content_block_delta'; index: number; delta: ContentDelta }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta';
      delta: { stop_reason: StopReasonWire; stop_sequence: string | null };
      usage: WireUsage;
    }
  | { type: 'message_stop' }
  | { type: 'ping' };

export type AnthropicErrorType =
  'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'request_too_large' | 'rate_limit_error' | 'api_error' | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

export interface CountTokensResult {
  input_tokens: number;
}

export interface ModelInfoWire {
  type: 'model';
  id: string;
  display_name: string;
  /** RFC 3339. */
  created_at: string;
}

export interface ModelListWire {
  data: ModelInfoWire[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}
