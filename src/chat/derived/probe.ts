// Probe renderings of a chat template, for inferring its output markup (infer.ts): the same
// short conversation with the assistant's turn written in different ways — plain content,
// reasoning + content, one tool call, two tool calls — and the generation prompt with thinking
// on and off. What differs between two renderings is the markup the template teaches its model.
// This is llama.cpp's autoparser approach (common/chat-diff-analyzer.cpp, docs/autoparser.md):
// distinctive needles, rendered through the template, located again in the output.

import type { ChatTemplate } from '../template.js';
import type { ChatMessage, ToolCall, ToolDefinition } from '../types.js';

/** The needles: distinctive texts no template writes on its own. */
export const PROBE = {
  user: 'PROBE_USER_MESSAGE',
  content: 'PROBE_ASSISTANT_CONTENT',
  reasoning: 'PROBE_REASONING_TEXT',
  /** The first call's tool, and the second call's (different, neither a prefix of the other). */
  tool: 'probe_tool_name',
  otherTool: 'other_probe_tool',
  stringArg: 'probe_string_arg',
  numberArg: 'probe_number_arg',
  stringValue: 'PROBE_STRING_VALUE',
  numberValue: 42424,
  /** The two calls' ids (9 characters: what Mistral's templates require). */
  callIds: ['call00001', 'call00002'],
} as const;

const PARAMETERS = {
  type: 'object',
  properties: { [PROBE.stringArg]: { type: 'string' }, [PROBE.numberArg]: { type: 'number' } },
  required: [PROBE.stringArg, PROBE.numberArg],
};

export const PROBE_TOOLS: readonly ToolDefinition[] = [
  { name: PROBE.tool, description: 'Probe tool', parameters: PARAMETERS },
  { name: PROBE.otherTool, description: 'Other probe tool', parameters: PARAMETERS },
];

/** The arguments every probe call carries: a string, then a number. */
export const PROBE_ARGUMENTS = { [PROBE.stringArg]: PROBE.stringValue, [PROBE.numberArg]: PROBE.numberValue };

const call = (id: string, name: string): ToolCall => ({ id, name, arguments: JSON.stringify(PROBE_ARGUMENTS) });

/** What the template renders for each probe; undefined where it refused (raised or failed). */
export interface ProbeRenderings {
  /** user, then assistant with plain content (no generation prompt). */
  content?: string;
  /** The same assistant turn with reasoning before the content. */
  reasoning?: string;
  /** The assistant turn as one tool call (no content). */
  oneCall?: string;
  /** Two tool calls: the same call, then one to the other tool with the same arguments. */
  twoCalls?: string;
  /** The user turn alone, without and with the generation prompt, thinking on and off. */
  history?: string;
  promptThinking?: string;
  promptNoThinking?: string;
}

/** Render every probe through the template (tools offered in all of them, so only the assistant turn differs). */
export function renderProbes(template: ChatTemplate): ProbeRenderings {
  const user: ChatMessage = { role: 'user', content: PROBE.user };
  const render = (assistant: ChatMessage | undefined, addGenerationPrompt: boolean, enableThinking = true): string | undefined => {
    try {
      return template.render({
        messages: assistant ? [user, assistant] : [user],
        tools: PROBE_TOOLS,
        addGenerationPrompt,
        kwargs: { enable_thinking: enableThinking },
        // A fixed date: templates that print today's date render the same text every time.
        now: new Date('2026-01-01T00:00:00Z'),
      });
    } catch {
      return undefined;
    }
  };
  const out: ProbeRenderings = {};
  const set = (key: keyof ProbeRenderings, text: string | undefined): void => {
    if (text !== undefined) out[key] = text;
  };
  set('content', render({ role: 'assistant', content: PROBE.content }, false));
  set('reasoning', render({ role: 'assistant', content: PROBE.content, reasoning: PROBE.reasoning }, false));
  const [firstId, secondId] = PROBE.callIds;
  set('oneCall', render({ role: 'assistant', content: '', toolCalls: [call(firstId, PROBE.tool)] }, false));
  set('twoCalls', render({ role: 'assistant', content: '', toolCalls: [call(firstId, PROBE.tool), call(secondId, PROBE.otherTool)] }, false));
  set('history', render(undefined, false));
  set('promptThinking', render(undefined, true, true));
  set('promptNoThinking', render(undefined, true, false));
  return out;
}
