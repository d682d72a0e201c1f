// Test helpers for the OpenAI layer: the shared scripted ChatService (../../chat/test-fakes.ts)
// and an SSE body parser that keeps only the data. Not imported by production code.

import { parseSse as parseSseEvents } from '../../debug/sse-events.js';

export { events, fakeChat, FAKE_INFO, TEXT_EVENTS, TOOL_EVENTS, USAGE, type FakeChat, type Script } from '../../chat/test-fakes.js';

/** Split an SSE body into its `data:` payloads (JSON-parsed unless `[DONE]`). */
export function parseSse(body: string): unknown[] {
  return parseSseEvents(body).map((event) => event.data);
}
