// Several caches in the mock engine: each its own slots, context size and queue, and how
// /slots reports them. No model needed. (The pipeline routing to them: chat/pipeline.test.ts.)
import { describe, expect, it } from 'vitest';
import { ApiError, ContextOverflowError } from '../errors.js';
import { slotsReport } from '../http/slots.js';
import { MockEngine } from './mock-engine.js';
import type { CacheSpec, CompletionEvent } from './types.js';

const CACHES: CacheSpec[] = [
  { name: 'main', slots: 1, contextSize: 0, queueSize: 4, default: true },
  { name: 'background', slots: 2, contextSize: 50, queueSize: 0 },
];

async function drain(events: AsyncIterable<CompletionEvent>): Promise<CompletionEvent[]> {
  const all: CompletionEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('MockEngine caches', () => {
  it('reports each cache and its slots', () => {
    const engine = new MockEngine({ caches: CACHES, slotContextSize: 1000 });
    expect(engine.info.caches).toEqual([
      { name: 'main', slots: 1, contextSize: 1000, queueSize: 4 },
      { name: 'background', slots: 2, contextSize: 50, queueSize: 0 },
    ]);
    expect(engine.info.slotContextSize).toBe(1000);
    expect(engine.info.slots).toBe(3);
    expect(engine.slots().map((slot) => `${slot.cache}/${slot.id}/${slot.contextSize}`)).toEqual(['main/0/1000', 'background/0/50', 'background/1/50']);
  });

  it('defaults to one cache named default', () => {
    const engine = new MockEngine({ slots: 2 });
    expect(engine.info.caches).toEqual([{ name: 'default', slots: 2, contextSize: 32768, queueSize: 64 }]);
    expect(engine.info.defaultCache).toBe('default');
  });

  it("checks the prompt against its own cache's context size, and refuses unknown caches", async () => {
    const engine = new MockEngine({ caches: CACHES, slotContextSize: 1000 });
    const long = 'word '.repeat(40); // 80 pieces
    await expect(drain(engine.complete({ id: 'a', prompt: long, sampling: {}, cache: 'background' }))).rejects.toBeInstanceOf(ContextOverflowError);
    const ok = await drain(engine.complete({ id: 'b', prompt: long, sampling: {}, cache: 'main' }));
    expect(ok[0]).toMatchObject({ type: 'accepted', cache: 'main', slot: 0 });
    await expect(drain(engine.complete({ id: 'c', prompt: 'x', sampling: {}, cache: 'nope' }))).rejects.toBeInstanceOf(ApiError);
  });

  it('queues per cache: a busy cache does not hold up another', async () => {
    const engine = new MockEngine({ caches: CACHES, script: { tokenDelayMs: 20, responses: [{ output: 'a b c d e f g h' }] } });
    const first = engine.complete({ id: 'm1', prompt: 'main one', sampling: {}, cache: 'main' })[Symbol.asyncIterator]();
    expect((await first.next()).value).toMatchObject({ type: 'accepted', cache: 'main' });
    // main's only slot is busy: a second main request waits…
    const second = drain(engine.complete({ id: 'm2', prompt: 'main two', sampling: {}, cache: 'main' }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(engine.queueDepth('main')).toBe(1);
    expect(engine.queueDepth()).toBe(1);
    // …while background answers at once.
    const background = await drain(engine.complete({ id: 'b1', prompt: 'bg', sampling: {}, cache: 'background', maxTokens: 1 }));
    expect(background.at(-1)).toMatchObject({ type: 'done' });
    expect(engine.queueDepth('main')).toBe(1);
    while (!(await first.next()).done);
    expect((await second)[0]).toMatchObject({ type: 'accepted', cache: 'main' });
    const report = slotsReport(engine);
    expect(report.caches.map((cache) => [cache.name, cache.default, cache.queue_depth, cache.slots.length])).toEqual([
      ['main', true, 0, 1],
      ['background', false, 0, 2],
    ]);
    expect(report.caches[0]!.slots[0]!.last_used).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
