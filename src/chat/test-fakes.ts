// Test helpers shared by both API folders: a scripted ChatService and event lists shaped like
// the pipeline's output. Not imported by production code.

import type { ChatService, ChatServiceInfo } from './service.js';
import type { ChatRequest, GenerationEvent, Usage } from './types.js';

export type Script = (request: ChatRequest, signal: AbortSignal) => AsyncIterable<GenerationEvent>;

export interface FakeChat extends ChatService {
  calls: Array<{ request: ChatRequest; signal: AbortSignal }>;
}

export const FAKE_INFO: ChatServiceInfo = { modelName: 'tiny-model-Q8_0', loadedAt: 1_700_000_000, slotContextSize: 4096 };

export function fakeChat(script: Script): FakeChat {
  const calls: FakeChat['calls'] = [];
  return {
    info: FAKE_INFO,
    calls,
    generate(request, signal) {
      calls.push({ request, signal });
      return script(request, signal);
    },
    countTokens: (request) => JSON.stringify(request.messages).length,
  };
}

export const USAGE: Usage = { promptTokens: 12, cachedTokens: 2, completionTokens: 7 };

export async function* events(list: GenerationEvent[]): AsyncGenerator<GenerationEvent> {
  for (const event of list) {
    await Promise.resolve();
    yield event;
  }
}

export const TEXT_EVENTS: GenerationEvent[] = [
  { type: 'accepted', promptTokens: 12, cachedTokens: 2, cache: 'default', route: 'slot0' },
  { type: 'reasoning', text: 'Let me think. ' },
  { type: 'reasoning', text: 'Done thinking.' },
  { type: 'text', text: 'Hello' },
  { type: 'text', text: ', world!' },
  { type: 'done', stop: 'end', usage: USAGE },
];

export const TOOL_EVENTS: GenerationEvent[] = [
  { type: 'accepted', promptTokens: 12, cachedTokens: 2, cache: 'default', route: 'slot0' },
  { type: 'tool_call_start', index: 0, id: 'call_weather', name: 'get_weather' },
  { type: 'tool_call_arguments', index: 0, json: '{"city":' },
  { type: 'tool_call_arguments', index: 0, json: ' "Paris"}' },
  { type: 'tool_call_end', index: 0 },
  { type: 'tool_call_start', index: 1, id: 'call_time', name: 'get_time' },
  { type: 'tool_call_arguments', index: 1, json: '{"tz": "CET"}' },
  { type: 'tool_call_end', index: 1 },
  { type: 'done', stop: 'tool_calls', usage: USAGE },
];
