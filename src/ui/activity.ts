// What the status page shows, kept in memory: the recent requests (bounded), a time series
// of throughput, prompt-cache hits, requests in flight and memory over the last minutes, and
// what each slot is doing now. Requests are observed on the ChatService the API routes call
// (one wrapper per API, so each row knows which API it came in on); slots are sampled once per
// interval from the engine, and the tokens a busy slot gained since the last sample are its
// speed now (prompt processing before the request's first output, decoding after it).

import { basename } from 'node:path';
import type { ChatService } from '../chat/service.js';
import type { ChatRequest, GenerationEvent } from '../chat/types.js';
import { RequestTrace } from '../debug/trace.js';
import type { Engine } from '../engine/types.js';
import { Ring } from './ring.js';

export type ApiName = 'anthropic' | 'openai';

export type RequestPhase = 'waiting' | 'prefill' | 'generating' | 'done' | 'error' | 'cancelled';

export interface RequestRecord {
  /** The API's own id (msg_…, chatcmpl-…) where the request got that far, else the HTTP request id. */
  id: string;
  api: ApiName;
  /** The model name the client asked for. */
  model: string;
  startedAt: number;
  phase: RequestPhase;
  cache?: string;
  slot?: number;
  /** The routing rule that chose the cache (routed servers). */
  rule?: string;
  promptTokens?: number;
  cachedTokens?: number;
  generatedTokens?: number;
  /** From arrival to the first output. */
  ttftMs?: number;
  /** Decode speed: tokens after the first / seconds after the first output. */
  tokensPerSecond?: number;
  durationMs?: number;
  stop?: string;
  error?: string;
  /** HTTP status of a request refused before generation. */
  status?: number;
  drafted?: number;
  acceptedDrafts?: number;
  /** Name of its `--debug` trace folder. */
  trace?: string;
}

export interface SeriesPoint {
  /** Epoch ms. */
  t: number;
  /** Tokens/s over the last interval, summed over slots: prompt processing and decoding. */
  prefill: number;
  decode: number;
  /** Cached / prompt tokens of the requests accepted in the last minute; null without any. */
  hitRatio: number | null;
  /** Generations running or waiting for a slot. */
  inFlight: number;
  /** Resident memory of the process, MiB. */
  rssMiB: number;
}

export interface SlotView {
  cache: string;
  id: number;
  busy: boolean;
  cachedTokens: number;
  contextSize: number;
  /** The request it serves, and what that request is doing. */
  request?: string;
  phase?: RequestPhase;
  /** Tokens the slot took in over the last interval, per second. */
  tokensPerSecond?: number;
}

export interface ActivityUpdate {
  point: SeriesPoint;
  slots: SlotView[];
  queues: Record<string, number>;
  /** Records added or changed since the previous update. */
  requests: RequestRecord[];
}

export interface ActivityOptions {
  /** The engine, once loaded. */
  engine: () => Engine | undefined;
  /** Sampling interval, ms. */
  intervalMs?: number;
  /** Points kept (interval × points = the plotted window). */
  points?: number;
  /** Requests kept. */
  requests?: number;
  now?: () => number;
  memory?: () => number;
}

const HIT_WINDOW_MS = 60_000;

interface Live {
  record: RequestRecord;
  /** The slot's token count at the previous sample, while this request holds it. */
  lastTokens?: number;
  /** Tokens the samples already counted for it: prompt processing, decoding. */
  counted: { prefill: number; decode: number };
}

export class Activity {
  readonly intervalMs: number;
  private readonly series: Ring<SeriesPoint>;
  private readonly records: Ring<RequestRecord>;
  private readonly live = new Map<string, Live>();
  private readonly changed = new Set<RequestRecord>();
  private readonly accepted: { t: number; prompt: number; cached: number }[] = [];
  private readonly listeners = new Set<(update: ActivityUpdate) => void>();
  private readonly seenErrors = new WeakSet<object>();
  private lastSlots: SlotView[] = [];
  /** Tokens of requests that ended since the last sample and that no sample counted. */
  private uncounted = { prefill: 0, decode: 0 };
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly memory: () => number;

  constructor(private readonly options: ActivityOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.series = new Ring(options.points ?? 600);
    this.records = new Ring(options.requests ?? 500);
    this.now = options.now ?? Date.now;
    this.memory = options.memory ?? (() => process.memoryUsage.rss());
  }

  /** Sample every interval until `stop`; the timer does not keep the process alive. */
  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  /** Called after every sample with what changed. Returns the unsubscribe function. */
  subscribe(listener: (update: ActivityUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): { series: SeriesPoint[]; requests: RequestRecord[]; slots: SlotView[]; queues: Record<string, number> } {
    return { series: this.series.items(), requests: this.records.items(), slots: this.lastSlots.length ? this.lastSlots : this.slotViews(), queues: this.queues() };
  }

  /** Take a sample now: slot speeds, one series point; tell the listeners. */
  tick(): ActivityUpdate {
    const now = this.now();
    const previous = this.series.last();
    const seconds = previous ? Math.max(0.001, (now - previous.t) / 1000) : this.intervalMs / 1000;
    // Requests shorter than an interval are counted when they end; running ones by their slot's growth.
    let prefill = this.uncounted.prefill;
    let decode = this.uncounted.decode;
    this.uncounted = { prefill: 0, decode: 0 };
    const slots = this.slotViews();
    for (const slot of slots) {
      const live = slot.request !== undefined ? this.live.get(slot.request) : undefined;
      if (!live) continue;
      if (live.lastTokens !== undefined) {
        const gained = Math.max(0, slot.cachedTokens - live.lastTokens);
        slot.tokensPerSecond = round(gained / seconds);
        if (live.record.phase === 'prefill') {
          prefill += gained;
          live.counted.prefill += gained;
        } else if (live.record.phase === 'generating') {
          decode += gained;
          live.counted.decode += gained;
        }
      }
      live.lastTokens = slot.cachedTokens;
    }
    while (this.accepted.length && this.accepted[0]!.t < now - HIT_WINDOW_MS) this.accepted.shift();
    const prompt = this.accepted.reduce((sum, entry) => sum + entry.prompt, 0);
    const cached = this.accepted.reduce((sum, entry) => sum + entry.cached, 0);
    const point: SeriesPoint = {
      t: now,
      prefill: round(prefill / seconds),
      decode: round(decode / seconds),
      hitRatio: prompt > 0 ? round(cached / prompt, 3) : null,
      inFlight: this.inFlight,
      rssMiB: round(this.memory() / 2 ** 20),
    };
    this.series.push(point);
    this.lastSlots = slots;
    const update: ActivityUpdate = { point, slots, queues: this.queues(), requests: [...this.changed] };
    this.changed.clear();
    for (const listener of this.listeners) listener(update);
    return update;
  }

  /** Wrap the ChatService one API's routes call, so its generations are listed. */
  observe(chat: ChatService, api: ApiName): ChatService {
    return {
      get info() {
        return chat.info;
      },
      countTokens: (request) => chat.countTokens(request),
      generate: (request, signal) => this.watch(chat.generate(request, signal), request, api, signal),
    };
  }

  /**
   * A request the API refused before it reached generation (a 400, a 401 on the API, …): listed
   * with its error unless the generation already listed it.
   */
  refused(entry: { id: string; api: ApiName; model: string; startedAt: number; status: number; error: unknown; trace?: string }): void {
    if (typeof entry.error === 'object' && entry.error !== null && this.seenErrors.has(entry.error)) return;
    this.add({
      id: entry.id,
      api: entry.api,
      model: entry.model,
      startedAt: entry.startedAt,
      phase: 'error',
      status: entry.status,
      error: errorMessage(entry.error),
      durationMs: this.now() - entry.startedAt,
      ...(entry.trace !== undefined ? { trace: entry.trace } : {}),
    });
  }

  private async *watch(events: AsyncIterable<GenerationEvent>, request: ChatRequest, api: ApiName, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    const startedAt = this.now();
    const record = this.add({ id: request.id, api, model: request.model, startedAt, phase: 'waiting', ...traceName(request) });
    const live: Live = { record, counted: { prefill: 0, decode: 0 } };
    this.live.set(record.id, live);
    this.inFlight++;
    let firstOutputAt: number | undefined;
    try {
      for await (const event of events) {
        if (event.type === 'accepted') {
          this.update(record, {
            phase: 'prefill',
            cache: event.cache,
            promptTokens: event.promptTokens,
            cachedTokens: event.cachedTokens,
            ...(event.slot !== undefined ? { slot: event.slot } : {}),
            ...(event.rule !== undefined ? { rule: event.rule } : {}),
          });
          this.accepted.push({ t: this.now(), prompt: event.promptTokens, cached: event.cachedTokens });
          // The slot starts from what it kept; what it takes in from here is prompt processing.
          live.lastTokens = event.cachedTokens;
        } else if (event.type === 'done') {
          const now = this.now();
          const decodeSeconds = firstOutputAt !== undefined ? (now - firstOutputAt) / 1000 : 0;
          const { usage } = event;
          this.uncounted.prefill += Math.max(0, usage.promptTokens - usage.cachedTokens - live.counted.prefill);
          this.uncounted.decode += Math.max(0, usage.completionTokens - live.counted.decode);
          this.update(record, {
            phase: 'done',
            stop: event.stop,
            promptTokens: usage.promptTokens,
            cachedTokens: usage.cachedTokens,
            generatedTokens: usage.completionTokens,
            durationMs: now - startedAt,
            ...(firstOutputAt !== undefined ? { ttftMs: firstOutputAt - startedAt } : {}),
            ...(decodeSeconds > 0 && usage.completionTokens > 1 ? { tokensPerSecond: round((usage.completionTokens - 1) / decodeSeconds) } : {}),
            ...(usage.speculative ? { drafted: usage.speculative.drafted, acceptedDrafts: usage.speculative.accepted } : {}),
          });
        } else if (firstOutputAt === undefined) {
          firstOutputAt = this.now();
          this.update(record, { phase: 'generating', ttftMs: firstOutputAt - startedAt });
        }
        yield event;
      }
      // The consumer stopped early (a client gone) without an error.
      if (record.phase !== 'done') this.update(record, { phase: 'cancelled', durationMs: this.now() - startedAt });
    } catch (error) {
      if (typeof error === 'object' && error !== null) this.seenErrors.add(error);
      this.update(record, signal.aborted ? { phase: 'cancelled' } : { phase: 'error', error: errorMessage(error) });
      this.update(record, { durationMs: this.now() - startedAt });
      throw error;
    } finally {
      if (record.phase !== 'done' && record.phase !== 'error' && record.phase !== 'cancelled') this.update(record, { phase: 'cancelled', durationMs: this.now() - startedAt });
      this.live.delete(record.id);
      this.inFlight--;
    }
  }

  private add(record: RequestRecord): RequestRecord {
    this.records.push(record);
    this.changed.add(record);
    return record;
  }

  private update(record: RequestRecord, fields: Partial<RequestRecord>): void {
    Object.assign(record, fields);
    this.changed.add(record);
  }

  private slotViews(): SlotView[] {
    const engine = this.options.engine();
    if (!engine) return [];
    const serving = new Map<string, RequestRecord>();
    for (const { record } of this.live.values()) {
      if (record.cache !== undefined && record.slot !== undefined) serving.set(`${record.cache}/${record.slot}`, record);
    }
    return engine.slots().map((slot) => {
      const record = slot.busy ? serving.get(`${slot.cache}/${slot.id}`) : undefined;
      return {
        cache: slot.cache,
        id: slot.id,
        busy: slot.busy,
        cachedTokens: slot.cachedTokens,
        contextSize: slot.contextSize,
        ...(record ? { request: record.id, phase: record.phase } : {}),
      };
    });
  }

  private queues(): Record<string, number> {
    const engine = this.options.engine();
    return engine ? Object.fromEntries(engine.info.caches.map((cache) => [cache.name, engine.queueDepth(cache.name)])) : {};
  }
}

function traceName(request: ChatRequest): { trace?: string } {
  return request.trace instanceof RequestTrace ? { trace: basename(request.trace.folder) } : {};
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
