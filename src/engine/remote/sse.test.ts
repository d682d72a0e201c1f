import { describe, expect, it } from 'vitest';
import { readSseData } from './sse.js';

function body(parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
}

async function all(parts: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const data of readSseData(body(parts))) out.push(data);
  return out;
}

describe('readSseData', () => {
  it('yields each event’s data, whatever the chunking', async () => {
    const text = 'data: {"a":1}\n\n: comment\nevent: x\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';
    const expected = ['{"a":1}', 'line1\nline2', '[DONE]'];
    expect(await all([text])).toEqual(expected);
    expect(await all(text.split(''))).toEqual(expected);
    expect(await all(['data: é', '\r\n\r\n'])).toEqual(['é']);
  });

  it('yields a last event the stream ended without a blank line', async () => {
    expect(await all(['data: a\n\ndata: b'])).toEqual(['a', 'b']);
  });
});
