// GET /metrics in the Prometheus text format, through prom-client with a registry of our own
// (no process-global state, so several servers in one process, as in tests, stay apart).
// Requests are counted by a Fastify onResponse hook; tokens and timings are observed on the
// GenerationEvent stream of the ChatService the API routes call (one place for both APIs).

import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ChatService } from '../chat/service.js';
import type { ChatRequest, GenerationEvent } from '../chat/types.js';

export interface MetricsSources {
  /** Requests waiting for a slot, by cache (Engine.queueDepth); empty while the model loads. */
  queueDepths: () => Record<string, number>;
}

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = this.counter('llama_bridge_http_requests_total', 'HTTP requests answered, by route, method and status code.', ['route', 'method', 'status']);
  readonly promptTokens = this.counter('llama_bridge_prompt_tokens_total', 'Prompt tokens of finished generations (cached ones included), by cache.', ['cache']);
  readonly cachedTokens = this.counter('llama_bridge_prompt_cached_tokens_total', 'Prompt tokens served from the KV cache instead of being evaluated, by cache.', ['cache']);
  readonly generatedTokens = this.counter('llama_bridge_generated_tokens_total', 'Tokens generated, by cache.', ['cache']);
  readonly promptSeconds = this.counter('llama_bridge_prompt_seconds_total', 'Seconds from slot assignment to the first output (prompt processing), by cache.', ['cache']);
  readonly generationSeconds = this.counter(
    'llama_bridge_generation_seconds_total',
    'Seconds from the first output to the end of generation (divide generated tokens by it for tokens/s), by cache.',
    ['cache'],
  );
  readonly draftedTokens = this.counter('llama_bridge_draft_tokens_total', 'Tokens drafted and verified by speculative decoding, by cache.', ['cache']);
  readonly acceptedDraftTokens = this.counter('llama_bridge_draft_accepted_tokens_total', 'Drafted tokens the model agreed with (kept in the output), by cache.', ['cache']);
  readonly generations = this.counter('llama_bridge_generations_total', 'Generations, by cache and outcome (end, max_tokens, stop_sequence, tool_calls, error, cancelled).', [
    'cache',
    'outcome',
  ]);
  private inFlight = 0;
  private lastTokensPerSecond = 0;
  private promptTotal = 0;
  private cachedTotal = 0;
  private draftedTotal = 0;
  private acceptedTotal = 0;

  constructor(private readonly sources: MetricsSources) {
    // prom-client calls collect() with the metric as `this`; the metrics object is `self`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    new Gauge({
      name: 'llama_bridge_prompt_cache_hit_ratio',
      help: 'Cached prompt tokens / prompt tokens since start (0 before any request).',
      registers: [this.registry],
      collect() {
        this.set(self.promptTotal > 0 ? self.cachedTotal / self.promptTotal : 0);
      },
    });
    new Gauge({
      name: 'llama_bridge_draft_acceptance_ratio',
      help: 'Speculative decoding: accepted / drafted tokens since start (0 before any draft).',
      registers: [this.registry],
      collect() {
        this.set(self.draftedTotal > 0 ? self.acceptedTotal / self.draftedTotal : 0);
      },
    });
    new Gauge({
      name: 'llama_bridge_tokens_per_second',
      help: 'Generation speed of the last finished generation (tokens after the first / seconds).',
      registers: [this.registry],
      collect() {
        this.set(self.lastTokensPerSecond);
      },
    });
    new Gauge({
      name: 'llama_bridge_queue_depth',
      help: 'Requests waiting for a free slot, by cache.',
      labelNames: ['cache'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [cache, depth] of Object.entries(self.sources.queueDepths())) this.set({ cache }, depth);
      },
    });
    new Gauge({
      name: 'llama_bridge_process_memory_bytes',
      help: 'Memory of this process: resident (rss; includes the memory-mapped model and the KV cache), V8 heap (heap_total, heap_used), memory of JS objects held natively (external, array_buffers).',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        // Read at scrape time; prom-client's default metrics are not used: their event-loop-lag
        // monitor wakes the main thread every 10 ms, which takes time from the compute threads.
        const memory = process.memoryUsage();
        this.set({ kind: 'rss' }, memory.rss);
        this.set({ kind: 'heap_total' }, memory.heapTotal);
        this.set({ kind: 'heap_used' }, memory.heapUsed);
        this.set({ kind: 'external' }, memory.external);
        this.set({ kind: 'array_buffers' }, memory.arrayBuffers);
      },
    });
    new Gauge({
      name: 'llama_bridge_generations_in_flight',
      help: 'Generations running or waiting now.',
      registers: [this.registry],
      collect() {
        this.set(self.inFlight);
      },
    });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** Wrap a ChatService so every generation's tokens and timings are counted. */
  meter(chat: ChatService): ChatService {
    return {
      get info() {
        return chat.info;
      },
      countTokens: (request) => chat.countTokens(request),
      generate: (request, signal) => this.observe(chat, request, signal),
    };
  }

  private async *observe(chat: ChatService, request: ChatRequest, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    let cache = 'default';
    let acceptedAt: number | undefined;
    let firstOutputAt: number | undefined;
    let outcome = 'cancelled';
    this.inFlight++;
    try {
      for await (const event of chat.generate(request, signal)) {
        const now = performance.now();
        if (event.type === 'accepted') {
          cache = event.cache;
          acceptedAt = now;
        } else if (event.type === 'done') {
          const { usage } = event;
          outcome = event.stop;
          this.promptTokens.inc({ cache }, usage.promptTokens);
          this.cachedTokens.inc({ cache }, usage.cachedTokens);
          this.generatedTokens.inc({ cache }, usage.completionTokens);
          if (usage.speculative) {
            this.draftedTokens.inc({ cache }, usage.speculative.drafted);
            this.acceptedDraftTokens.inc({ cache }, usage.speculative.accepted);
            this.draftedTotal += usage.speculative.drafted;
            this.acceptedTotal += usage.speculative.accepted;
          }
          this.promptTotal += usage.promptTokens;
          this.cachedTotal += usage.cachedTokens;
          const decodeSeconds = firstOutputAt !== undefined ? (now - firstOutputAt) / 1000 : 0;
          if (acceptedAt !== undefined) this.promptSeconds.inc({ cache }, ((firstOutputAt ?? now) - acceptedAt) / 1000);
          this.generationSeconds.inc({ cache }, decodeSeconds);
          if (decodeSeconds > 0 && usage.completionTokens > 1) this.lastTokensPerSecond = (usage.completionTokens - 1) / decodeSeconds;
        } else {
          firstOutputAt ??= now;
        }
        yield event;
      }
    } catch (error) {
      outcome = signal.aborted ? 'cancelled' : 'error';
      throw error;
    } finally {
      this.inFlight--;
      this.generations.inc({ cache, outcome });
    }
  }

  /** Count answered requests; `/metrics` itself included. */
  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      // The route pattern, not the URL: unknown paths must not create one series each.
      const route = request.routeOptions.url ?? 'unmatched';
      this.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    });
    app.get('/metrics', async (_request, reply) => reply.type(this.registry.contentType).send(await this.registry.metrics()));
  }
}
