import { describe, expect, it } from 'vitest';
import { events, fakeChat } from '../chat/test-fakes.js';
import type { GenerationEvent } from '../chat/types.js';
import type { Engine, SlotStatus } from '../engine/types.js';
import { ApiError } from '../errors.js';
import { Activity } from './activity.js';

/** An engine with one cache of two slots whose token counts the test sets. */
function fakeEngine(slots: SlotStatus[], queue = 0): Engine {
  return {
    info: {
      name: 'm',
      path: '/m.gguf',
      slotContextSize: 100,
      slots: slots.length,
      caches: [{ name: 'main', slots: slots.length, contextSize: 100, queueSize: 8 }],
      defaultCache: 'main',
      eogTokens: [],
    },
    slots: () => slots.map((slot) => ({ ...slot })),
    queueDepth: () => queue,
  } as unknown as Engine;
}

const slot = (id: number, busy: boolean, cachedTokens: number): SlotStatus => ({ cache: 'main', id, busy, cachedTokens, contextSize: 100, lastUsed: 0 });

async function drain(iterable: AsyncIterable<GenerationEvent>): Promise<void> {
  for await (const _event of iterable) void _event;
}

describe('Activity', () => {
  it('lists a generation with its route, tokens, timings and stop reason', async () => {
    let now = 1000;
    const activity = new Activity({ engine: () => fakeEngine([slot(0, false, 0)]), now: () => now, memory: () => 2 ** 20 });
    const chat = activity.observe(
      fakeChat(async function* () {
        now += 10;
        yield { type: 'accepted', promptTokens: 50, cachedTokens: 40, cache: 'main', route: 'main/slot 0', slot: 0, rule: 'model *haiku*' };
        now += 90;
        yield { type: 'text', text: 'Hi' };
        now += 1000;
        yield { type: 'done', stop: 'end', usage: { promptTokens: 50, cachedTokens: 40, completionTokens: 21, speculative: { drafted: 8, accepted: 6 } } };
      }),
      'anthropic',
    );
    await drain(chat.generate({ id: 'msg_1', model: 'claude-haiku', messages: [], sampling: {} }, new AbortController().signal));
    const [record] = activity.snapshot().requests;
    expect(record).toMatchObject({
      id: 'msg_1',
      api: 'anthropic',
      model: 'claude-haiku',
      phase: 'done',
      cache: 'main',
      slot: 0,
      rule: 'model *haiku*',
      promptTokens: 50,
      cachedTokens: 40,
      generatedTokens: 21,
      ttftMs: 100,
      tokensPerSecond: 20,
      durationMs: 1100,
      stop: 'end',
      drafted: 8,
      acceptedDrafts: 6,
    });
  });

  it('samples slot speeds while a request runs and counts a request shorter than an interval when it ends', async () => {
    let now = 0;
    const slots = [slot(0, false, 0)];
    const activity = new Activity({ engine: () => fakeEngine(slots), now: () => now, memory: () => 3 * 2 ** 20 });
    activity.tick();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const chat = activity.observe(
      fakeChat(async function* () {
        slots[0] = slot(0, true, 10);
        yield { type: 'accepted', promptTokens: 110, cachedTokens: 10, cache: 'main', route: 'main/slot 0', slot: 0 };
        slots[0] = slot(0, true, 110);
        yield { type: 'text', text: 'a' };
        await gate;
        slots[0] = slot(0, false, 150);
        yield { type: 'done', stop: 'end', usage: { promptTokens: 110, cachedTokens: 10, completionTokens: 40 } };
      }),
      'openai',
    );
    const running = drain(chat.generate({ id: 'r1', model: 'm', messages: [], sampling: {} }, new AbortController().signal));
    while (activity.snapshot().requests[0]?.phase !== 'generating') await new Promise((resolve) => setImmediate(resolve));
    now = 1000;
    slots[0] = slot(0, true, 130);
    const during = activity.tick();
    // The slot grew 120 tokens since accepted (10): it is decoding now, so they count as decode.
    expect(during.slots[0]).toMatchObject({ busy: true, request: 'r1', phase: 'generating', tokensPerSecond: 120 });
    expect(during.point).toMatchObject({ decode: 120, inFlight: 1, rssMiB: 3 });
    release();
    await running;
    now = 2000;
    const after = activity.tick();
    // 40 generated in all, 120 counted already as decode: nothing left for decode; prompt 100 evaluated, none counted.
    expect(after.point).toMatchObject({ prefill: 100, decode: 0, inFlight: 0, hitRatio: round(10 / 110) });
    expect(after.requests.map((record) => record.phase)).toEqual(['done']);
    expect(activity.snapshot().series).toHaveLength(3);
  });

  it('lists errors and cancellations, and a refusal only once', async () => {
    const activity = new Activity({ engine: () => undefined });
    const error = new ApiError('invalid_request', 'prompt is too long: 9 tokens > 8 maximum');
    const failing = activity.observe(
      fakeChat(async function* () {
        throw error;
      }),
      'anthropic',
    );
    await expect(drain(failing.generate({ id: 'e1', model: 'm', messages: [], sampling: {} }, new AbortController().signal))).rejects.toBe(error);
    activity.refused({ id: 'req_1', api: 'anthropic', model: 'm', startedAt: 0, status: 400, error });
    activity.refused({ id: 'req_2', api: 'openai', model: '<b>', startedAt: 0, status: 400, error: new ApiError('invalid_request', 'messages: Required') });

    const abort = new AbortController();
    const cancelled = activity.observe(
      fakeChat(() =>
        events([
          { type: 'accepted', promptTokens: 1, cachedTokens: 0, cache: 'main', route: 'r' },
          { type: 'text', text: 'x' },
        ]),
      ),
      'openai',
    );
    for await (const _event of cancelled.generate({ id: 'c1', model: 'm', messages: [], sampling: {} }, abort.signal)) {
      abort.abort();
      break;
    }
    const records = Object.fromEntries(activity.snapshot().requests.map((record) => [record.id, record]));
    expect(Object.keys(records).sort()).toEqual(['c1', 'e1', 'req_2']);
    expect(records.e1).toMatchObject({ phase: 'error', error: 'prompt is too long: 9 tokens > 8 maximum' });
    expect(records.req_2).toMatchObject({ phase: 'error', status: 400, error: 'messages: Required', model: '<b>' });
    expect(records.c1).toMatchObject({ phase: 'cancelled' });
  });

  it('keeps a bounded number of requests and points', async () => {
    const activity = new Activity({ engine: () => undefined, requests: 3, points: 2 });
    for (let i = 0; i < 5; i++) activity.refused({ id: `r${i}`, api: 'openai', model: 'm', startedAt: i, status: 400, error: 'bad' });
    for (let i = 0; i < 4; i++) activity.tick();
    expect(activity.snapshot().requests.map((record) => record.id)).toEqual(['r2', 'r3', 'r4']);
    expect(activity.snapshot().series).toHaveLength(2);
  });

  it('tells subscribers what changed after each sample', () => {
    const activity = new Activity({ engine: () => fakeEngine([slot(0, false, 0)], 2) });
    const seen: number[] = [];
    const unsubscribe = activity.subscribe((update) => seen.push(update.requests.length));
    activity.refused({ id: 'r', api: 'openai', model: 'm', startedAt: 0, status: 401, error: 'no key' });
    expect(activity.tick().queues).toEqual({ main: 2 });
    activity.tick();
    unsubscribe();
    activity.tick();
    expect(seen).toEqual([1, 0]);
  });
});

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
