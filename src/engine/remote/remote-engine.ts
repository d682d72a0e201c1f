// A remote engine behind the Engine interface: llama.cpp's server (`llama-server`, also spread
// over machines with its --rpc), vLLM or SGLang evaluates and samples; everything that makes the answers right
// for agents stays here. We render the template and tokenize with the GGUF's own vocabulary
// (loaded alone: no weights), so the remote sees exactly the tokens the in-process engine would
// evaluate, and its streamed tokens come back through the same output handling: stop strings,
// thinking budgets, then our per-family parsers above.
//
// Why our own tokenizer rather than the remote's /tokenize: one round trip less per request, the
// same tokens as in-process for the same file, and counting tokens (count_tokens, the context
// check) needs no network.
//
// Slots: with llama-server each of our slots is one remote slot (`id_slot`), so the slot our
// prefix-reuse rule picks for a conversation is the remote slot that holds its cache (it keeps a
// slot's prompt with `cache_prompt`). With vLLM and SGLang our slots only bound the requests in
// flight; their own prefix caches (and the routers in front of them, see affinity headers) decide. A thinking budget is kept by ending the remote generation when it
// is spent and continuing with the closing text appended to the prompt; the remote reuses the
// whole prefix.

import type { Llama, LlamaModel, Token } from 'node-llama-cpp';
import { ApiError, ContextOverflowError, FatalError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { CacheSet, type EngineCache } from '../cache-set.js';
import { defaultCacheOf, validateCaches } from '../caches.js';
import { messageOf } from '../errors.js';
import { GeneratedOutput } from '../generated-output.js';
import { createGrammar } from '../llama/grammar.js';
import { describeVocabulary, loadVocabulary } from '../llama/vocabulary.js';
import { resolveSampling } from '../sampling.js';
import { SlotPool, type PooledSlot } from '../slot-pool.js';
import type { CacheSpec, CompletionEvent, CompletionRequest, CompletionStop, Engine, ModelInfo, SlotStatus } from '../types.js';
import type { RemoteProtocol } from './options.js';
import { RemoteReportedError, type LazyGrammar } from './llama-server.js';
import { protocolClient, type ProtocolClient, type RemoteCompletion, type RemoteEvent, type RemoteServerFacts } from './protocols.js';
import { readSseData } from './sse.js';

export interface RemoteEngineOptions {
  /** The GGUF that supplies the chat template and vocabulary (its weights are not loaded). */
  modelPath: string;
  /** Base URL of the remote server, e.g. http://gpu-box:8080. */
  url: string;
  protocol: RemoteProtocol;
  /** Sent as `Authorization: Bearer` (llama-server's --api-key); never logged. */
  apiKey?: string;
  caches: CacheSpec[];
  /** A request with no byte from the remote for this long fails (connect, prompt processing, between tokens). */
  timeoutMs: number;
  /** Headers that carry a request's conversation key (CompletionRequest.affinityKey), for prefix-cache-aware routers. */
  affinityHeaders?: readonly string[];
  logger: Logger;
}

interface RemoteSlot extends PooledSlot {
  /** The remote slot it maps to (`id_slot`). */
  remoteSlot: number;
  /** What the remote slot holds, as far as we know: the last prompt and the tokens received after it. */
  tokens: number[];
}

interface RemoteCache extends EngineCache<RemoteSlot> {
  contextSize: number;
}

export class RemoteEngine implements Engine {
  private constructor(
    readonly info: ModelInfo,
    private readonly llama: Llama,
    private readonly vocabulary: LlamaModel,
    private readonly caches: CacheSet<RemoteSlot, RemoteCache>,
    private readonly client: ProtocolClient,
    private readonly options: RemoteEngineOptions,
  ) {}

  static async load(options: RemoteEngineOptions): Promise<RemoteEngine> {
    validateCaches(options.caches);
    const url = options.url.replace(/\/+$/, '');
    const client = protocolClient(options.protocol);
    const facts = await probe(client, url, options);
    const { llama, model } = await loadVocabulary(options.modelPath, options.logger);
    try {
      const slotsNeeded = options.caches.reduce((sum, spec) => sum + spec.slots, 0);
      if (facts.slots !== undefined && slotsNeeded > facts.slots) {
        throw new FatalError(
          `The remote engine at ${url} has ${facts.slots} slots, and the caches here want ${slotsNeeded}: start llama-server with --parallel ${slotsNeeded} (or more), or ask for fewer slots here (--parallel).`,
        );
      }
      const caches: RemoteCache[] = [];
      let nextRemoteSlot = 0;
      for (const spec of options.caches) {
        const contextSize = spec.contextSize > 0 ? spec.contextSize : facts.contextSize;
        if (contextSize > facts.contextSize) {
          throw new FatalError(`Cache "${spec.name}" asks for ${contextSize} tokens per slot; the remote engine at ${url} has ${facts.contextSize}.`);
        }
        const slots: RemoteSlot[] = Array.from({ length: spec.slots }, (_, id) => ({
          id,
          busy: false,
          lastUsed: 0,
          remoteSlot: client.pinsSlots ? nextRemoteSlot + id : -1,
          tokens: [],
          cachedTokens() {
            return this.tokens;
          },
        }));
        nextRemoteSlot += spec.slots;
        caches.push({ name: spec.name, contextSize, pool: new SlotPool(slots, spec.queueSize, spec.name) });
      }
      const defaultCache = defaultCacheOf(options.caches).name;
      const set = new CacheSet<RemoteSlot, RemoteCache>(caches, defaultCache);
      const info = describe(model, options, set, defaultCache, url);
      options.logger.info({ remote: url, protocol: options.protocol }, `remote engine ${url}: ${facts.description}; template and vocabulary from ${options.modelPath}`);
      if (!client.pinsSlots) {
        options.logger.info(
          'cached prompt tokens are reported as the remote counts them, 0 when it does not (vLLM: --enable-prompt-tokens-details, SGLang: --enable-cache-report); tool calls are generated without a grammar there (no lazy grammars) and checked here',
        );
      }
      return new RemoteEngine(info, llama, model, set, client, { ...options, url });
    } catch (error) {
      await model.dispose().catch(() => undefined);
      await llama.dispose().catch(() => undefined);
      throw error;
    }
  }

  countTokens(text: string): number {
    return this.tokenize(text).length;
  }

  async jsonSchemaGrammar(schema: Record<string, unknown>): Promise<string> {
    return (await createGrammar(this.llama, { type: 'json_schema', schema })).grammar;
  }

  slots(): SlotStatus[] {
    return this.caches.slots((slot) => slot.tokens.length);
  }

  queueDepth(cache?: string): number {
    return this.caches.queueDepth(cache);
  }

  async *complete(request: CompletionRequest): AsyncGenerator<CompletionEvent> {
    const cache = this.caches.get(request.cache);
    const prompt = this.tokenize(request.prompt);
    if (prompt.length === 0) throw new ApiError('invalid_request', 'The rendered prompt is empty.', { param: 'messages' });
    if (prompt.length + 1 > cache.contextSize) throw new ContextOverflowError(prompt.length, cache.contextSize);
    // The grammar is checked here (a bad one is the client's 400, before a slot is taken) and sent as text.
    const grammar = request.constraint === undefined ? undefined : (await createGrammar(this.llama, request.constraint)).grammar;
    const { slot, reusable } = await cache.pool.acquire(prompt, request.signal, request.cacheScope);
    try {
      yield { type: 'accepted', promptTokens: prompt.length, cachedTokens: reusable, cache: cache.name, slot: slot.id };
      yield* this.generate(request, cache, slot, prompt, reusable, grammar);
    } finally {
      cache.pool.release(slot);
    }
  }

  private async *generate(
    request: CompletionRequest,
    cache: RemoteCache,
    slot: RemoteSlot,
    prompt: Token[],
    reusable: number,
    grammar: string | undefined,
  ): AsyncGenerator<CompletionEvent> {
    const room = cache.contextSize - prompt.length;
    const maxTokens = Math.min(request.maxTokens ?? room, room);
    // Triggers are the remote's business (its lazy grammar); stops and thinking are ours.
    const output = new GeneratedOutput<Token>({ ...(request.stop ? { stop: request.stop } : {}), ...(request.thinking ? { thinking: request.thinking } : {}) }, (tokens, last) =>
      this.vocabulary.detokenize(tokens as Token[], true, last as Token[]),
    );
    const sampling = resolveSampling(request.sampling);
    const constraint = request.constraint;
    let lazy: LazyGrammar | undefined =
      constraint?.type === 'lazy_gbnf'
        ? {
            triggers: constraint.triggers,
            ...(request.thinking && constraint.insideThinking !== true
              ? { thinking: { open: request.thinking.open, close: request.thinking.close, startOpen: request.thinking.startOpen } }
              : {}),
          }
        : undefined;
    let stop: CompletionStop = 'end';
    let stopSequence: string | undefined;
    let remoteCached: number | undefined;
    let sent = prompt as number[];
    for (;;) {
      const round = await this.stream(
        { prompt: sent, maxTokens: maxTokens - output.tokens.length, sampling, slot: slot.remoteSlot, ...(grammar !== undefined ? { grammar } : {}), ...(lazy ? { lazy } : {}) },
        request.signal,
        request.affinityKey,
      );
      let closeThinking = false;
      try {
        for await (const event of round.events) {
          if (event.cachedTokens !== undefined) remoteCached ??= event.cachedTokens;
          if (event.stop !== undefined) stop = event.stop;
          // A server that sends text only: its text, tokenized here, stands for its tokens.
          const tokens = (event.tokens ?? (event.text ? this.tokenize(event.text) : [])) as Token[];
          for (const token of tokens) {
            // The end-of-generation token ends the output; it is not part of it (as in-process).
            if (this.vocabulary.isEogToken(token)) break;
            const step = output.push(token);
            if (step.emit) yield { type: 'text', text: step.emit };
            if (step.stopSequence !== undefined) {
              stop = 'stop_sequence';
              stopSequence = step.stopSequence;
              break;
            }
            if (output.thinkingBudgetSpent()) {
              closeThinking = true;
              break;
            }
          }
          if (stopSequence !== undefined || closeThinking) break;
        }
      } finally {
        round.close();
      }
      slot.tokens = [...prompt, ...output.tokens];
      if (!closeThinking) break;
      // The budget is spent: the closing text is written in for the model, and generation goes on after it.
      const closing = output.closeThinkingText();
      const closingTokens = this.tokenize(closing);
      const emit = output.append(closingTokens, closing);
      if (emit) yield { type: 'text', text: emit };
      if (output.tokens.length >= maxTokens) {
        stop = 'max_tokens';
        break;
      }
      sent = [...prompt, ...output.tokens];
      // Thinking is closed now: a trigger anywhere from here counts.
      if (lazy) lazy = { triggers: lazy.triggers };
    }
    if (stopSequence === undefined) {
      const rest = output.flush();
      if (rest) yield { type: 'text', text: rest };
    }
    yield {
      type: 'done',
      stop,
      ...(stopSequence !== undefined ? { stopSequence } : {}),
      usage: { promptTokens: prompt.length, cachedTokens: Math.min(remoteCached ?? (this.client.pinsSlots ? reusable : 0), prompt.length), completionTokens: output.tokens.length },
    };
  }

  /** One completion stream. Errors are the API's: the remote's refusals, its absence, bad data. */
  private async stream(body: RemoteCompletion, signal: AbortSignal | undefined, affinityKey: string | undefined) {
    const { url, timeoutMs } = this.options;
    const affinity = affinityKey !== undefined ? Object.fromEntries((this.options.affinityHeaders ?? []).map((name) => [name, affinityKey])) : {};
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(new RemoteTimeout()), timeoutMs);
    };
    const close = () => {
      clearTimeout(idle);
      signal?.removeEventListener('abort', onAbort);
      abort.abort();
    };
    arm();
    let response: Response;
    try {
      response = await fetch(`${url}${this.client.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...this.authorization(), ...affinity },
        body: JSON.stringify(this.client.body(body)),
        signal: abort.signal,
      });
    } catch (error) {
      close();
      signal?.throwIfAborted();
      throw this.unreachable(error, abort.signal.reason);
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      close();
      throw this.refused(response.status, text);
    }
    return { events: this.events(response.body, arm, abort.signal, signal), close };
  }

  /** The stream's events; every one re-arms the idle timeout. */
  private async *events(body: ReadableStream<Uint8Array>, arm: () => void, aborted: AbortSignal, signal: AbortSignal | undefined): AsyncGenerator<RemoteEvent> {
    const { url } = this.options;
    try {
      for await (const data of readSseData(body)) {
        arm();
        let event: RemoteEvent;
        try {
          event = this.client.read(data);
        } catch (error) {
          if (error instanceof RemoteReportedError) throw new ApiError('unavailable', `The remote engine at ${url} failed: ${error.message}`, { code: 'remote_error' });
          throw this.badData(messageOf(error));
        }
        yield event;
        if (event.last) return;
      }
      throw new ApiError('unavailable', `The remote engine at ${url} ended its stream before the generation ended.`, { code: 'remote_stream_cut' });
    } catch (error) {
      if (error instanceof ApiError) throw error;
      signal?.throwIfAborted();
      throw this.unreachable(error, aborted.reason);
    }
  }

  private authorization(): Record<string, string> {
    return this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
  }

  private unreachable(error: unknown, reason: unknown): ApiError {
    const { url, timeoutMs } = this.options;
    if (reason instanceof RemoteTimeout) {
      return new ApiError('unavailable', `The remote engine at ${url} sent nothing for ${Math.round(timeoutMs / 1000)} s; the request was given up.`, { code: 'remote_timeout' });
    }
    return new ApiError('unavailable', `The remote engine at ${url} cannot be reached: ${causeOf(error)}`, { code: 'remote_unreachable' });
  }

  private refused(status: number, text: string): ApiError {
    const { url } = this.options;
    let message = text.slice(0, 500);
    try {
      const parsed = JSON.parse(text) as { error?: { message?: unknown } };
      if (typeof parsed.error?.message === 'string') message = parsed.error.message;
    } catch {
      // Not JSON: quote the text.
    }
    if (status === 400) return new ApiError('invalid_request', `The remote engine at ${url} refused the request: ${message}`);
    if (status === 401 || status === 403) return new ApiError('internal', `The remote engine at ${url} refused our API key (HTTP ${status}); check the key configured for it.`);
    if (status === 503 || status === 429) return new ApiError('overloaded', `The remote engine at ${url} is busy (HTTP ${status}): ${message}`, { retryAfter: 1 });
    return new ApiError('unavailable', `The remote engine at ${url} answered HTTP ${status}: ${message}`, { code: 'remote_error' });
  }

  private badData(what: string): ApiError {
    return new ApiError('unavailable', `The remote engine at ${this.options.url} sent ${what}`, { code: 'remote_bad_data' });
  }

  private tokenize(text: string): Token[] {
    return this.vocabulary.tokenize(text, true);
  }

  async close(): Promise<void> {
    await this.vocabulary.dispose();
    await this.llama.dispose();
  }
}

class RemoteTimeout extends Error {}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${code} (${messageOf(cause)})` : messageOf(error);
}

/** What the remote says of itself (context size, slots), or a start-up error naming it. */
async function probe(client: ProtocolClient, url: string, options: RemoteEngineOptions): Promise<RemoteServerFacts> {
  const get = async (path: string) => {
    try {
      return await fetch(`${url}${path}`, {
        headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
        signal: AbortSignal.timeout(Math.min(options.timeoutMs, 30_000)),
      });
    } catch (error) {
      throw new FatalError(`The remote engine at ${url} does not answer: ${causeOf(error)}. Start it first, or check --remote.`);
    }
  };
  return client.probe(get, url);
}

function describe(model: LlamaModel, options: RemoteEngineOptions, caches: CacheSet<RemoteSlot, RemoteCache>, defaultCache: string, url: string): ModelInfo {
  const cacheInfo = options.caches.map((spec) => ({
    name: spec.name,
    slots: spec.slots,
    contextSize: caches.get(spec.name).contextSize,
    queueSize: spec.queueSize,
    remote: { url, protocol: options.protocol },
  }));
  return {
    ...describeVocabulary(model, options.modelPath),
    slotContextSize: caches.get(defaultCache).contextSize,
    slots: cacheInfo.reduce((sum, cache) => sum + cache.slots, 0),
    caches: cacheInfo,
    defaultCache,
    remote: { url, protocol: options.protocol },
  };
}
