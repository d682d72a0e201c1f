// A captured Server-Sent Events body (a whole stream, as written to the socket) read back as
// events: for the `--debug` trace's 4-response.json, and for tools and tests that replay or
// inspect a stream. The writer is http/sse.ts; this only reads.

/** SSE text (a whole stream as written) → events (`event` name if any, `data` parsed as JSON when it is JSON); comments dropped. */
export function parseSse(text: string): { event?: string; data: unknown }[] {
  const events: { event?: string; data: unknown }[] = [];
  for (const frame of text.split(/\n\n/)) {
    let name: string | undefined;
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) continue;
    const joined = data.join('\n');
    let parsed: unknown = joined;
    try {
      parsed = JSON.parse(joined);
    } catch {
      // `[DONE]` and other plain data stay text.
    }
    events.push({ ...(name !== undefined ? { event: name } : {}), data: parsed });
  }
  return events;
}
