// Test helpers for the Anthropic layer: scripted event lists beyond the shared ones in
// ../../chat/test-fakes.ts, and id normalisation for golden SSE files. Not imported by production code.

import type { GenerationEvent, Usage } from '../../chat/types.js';

export { events, fakeChat, TEXT_EVENTS, TOOL_EVENTS, USAGE, type FakeChat, type Script } from '../../chat/test-fakes.js';

const USAGE_SMALL: Usage = { promptTokens: 20, cachedTokens: 5, completionTokens: 4 };

export const STOP_SEQUENCE_EVENTS: GenerationEvent[] = [
  { type: 'accepted', promptTokens: 20, cachedTokens: 5, cache: 'default', route: 'slot 0' },
  { type: 'text', text: 'Counting: 1, 2' },
  { type: 'done', stop: 'stop_sequence', stopSequence: ', 3', usage: USAGE_SMALL },
];

export const MAX_TOKENS_EVENTS: GenerationEvent[] = [
  { type: 'accepted', promptTokens: 20, cachedTokens: 0, cache: 'default', route: 'slot 0' },
  { type: 'text', text: 'Once upon' },
  { type: 'text', text: ' a time' },
  { type: 'done', stop: 'max_tokens', usage: { promptTokens: 20, cachedTokens: 0, completionTokens: 4 } },
];

/** Thinking, whitespace between blocks, text, then a tool call: the shape of a Qwen3 agent turn. */
export const MIXED_EVENTS: GenerationEvent[] = [
  { type: 'accepted', promptTokens: 100, cachedTokens: 90, cache: 'default', route: 'slot 1' },
  { type: 'reasoning', text: '\nI should list the files.\n' },
  { type: 'text', text: '\n\n' },
  { type: 'text', text: 'Let me look.' },
  { type: 'text', text: '\n' },
  { type: 'tool_call_start', index: 0, id: 'call_x', name: 'Bash' },
  { type: 'tool_call_arguments', index: 0, json: '{"command": ' },
  { type: 'tool_call_arguments', index: 0, json: '"ls -la"}' },
  { type: 'tool_call_end', index: 0 },
  { type: 'text', text: '\n' },
  { type: 'done', stop: 'end', usage: { promptTokens: 100, cachedTokens: 90, completionTokens: 30 } },
];

/** Replace generated ids by fixed ones of the same shape, so golden files can be compared. */
export function normaliseIds(text: string): string {
  let tools = 0;
  const toolIds = new Map<string, string>();
  return text.replace(/msg_01[0-9A-Za-z]{22}/g, 'msg_01' + 'X'.repeat(22)).replace(/toolu_01[0-9A-Za-z]{22}/g, (id) => {
    let fixed = toolIds.get(id);
    if (fixed === undefined) {
      fixed = `toolu_01${String(tools++).padStart(22, '0')}`;
      toolIds.set(id, fixed);
    }
    return fixed;
  });
}
