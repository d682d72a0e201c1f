// A model-free engine behind the same Engine interface, for testing clients: it answers
// with scripted raw model output, streamed piece by piece, through the same slot pool,
// stop strings and token limits as the real engine. Nothing here is random.
//
// A script file is JSON:
//   { "tokenDelayMs": 5,
//     "responses": [ { "match": "weather", "output": "<tool_call>{…}</tool_call>" },
//                    { "output": "Hello from the mock engine." } ] }
// The first response whose `match` (a regular expression) is found in the rendered prompt
// wins; a response without `match` always matches. Outputs are raw model text, so they go
// through the same output parsing as a real model's.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ApiError, ContextOverflowError, FatalError } from '../errors.js';
import { defaultCacheOf, singleCache, validateCaches } from './caches.js';
import { CacheSet } from './cache-set.js';
import { SlotPool, type PooledSlot } from './slot-pool.js';
import { StopDetector } from './stop-detector.js';
import type { CacheSpec, CompletionEvent, CompletionRequest, Engine, ModelInfo, SlotStatus } from './types.js';

const scriptSchema = z.strictObject({
  tokenDelayMs: z.number().int().min(0).max(10_000).default(0),
  responses: z.array(z.strictObject({ match: z.string().optional(), output: z.string() })).min(1, 'a mock script needs at least one response'),
});

export type MockScript = z.output<typeof scriptSchema>;

export const DEFAULT_MOCK_SCRIPT: MockScript = {
  tokenDelayMs: 0,
  responses: [{ output: 'Hello! This is the llama-bridge mock engine: no model is loaded, and this answer is scripted.' }],
};

export function loadMockScript(path: string): MockScript {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new FatalError(`Could not read mock script ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = scriptSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FatalError(`Invalid mock script ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  for (const [index, response] of parsed.data.responses.entries()) {
    if (response.match === undefined) continue;
    try {
      new RegExp(response.match);
    } catch {
      throw new FatalError(`Invalid mock script ${path}: responses.${index}.match is not a valid regular expression`);
    }
  }
  return parsed.data;
}

/** Words, spaces and punctuation each count as one "token": stable, and close enough for clients. */
function pieces(text: string): string[] {
  return text.match(/\s+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];
}

interface MockSlot extends PooledSlot {
  tokens: number[];
}

/** Stable ids for pieces, so prefix caching behaves as with a real tokenizer. */
function pieceIds(parts: string[]): number[] {
  return parts.map((part) => {
    let hash = 2166136261;
    for (let i = 0; i < part.length; i++) hash = Math.imul(hash ^ part.charCodeAt(i), 16777619);
    return hash >>> 0;
  });
}

export interface MockEngineOptions {
  script?: MockScript;
  slots?: number;
  /** Tokens per slot; also what a cache with `contextSize: 0` gets. */
  slotContextSize?: number;
  maxQueue?: number;
  /** Separate caches, each its own slots and queue. Default: one cache `default` from the options above. */
  caches?: CacheSpec[];
}

interface MockCache {
  name: string;
  contextSize: number;
  pool: SlotPool<MockSlot>;
}

export class MockEngine implements Engine {
  readonly info: ModelInfo;
  private readonly script: MockScript;
  private readonly caches: CacheSet<MockSlot, MockCache>;

  constructor(options: MockEngineOptions = {}) {
    this.script = options.script ?? DEFAULT_MOCK_SCRIPT;
    const fallbackContext = options.slotContextSize ?? 32768;
    const specs = options.caches?.length ? options.caches : [singleCache(options.slots ?? 4, fallbackContext, options.maxQueue ?? 64)];
    validateCaches(specs);
    const caches: MockCache[] = [];
    for (const spec of specs) {
      const slots: MockSlot[] = Array.from({ length: spec.slots }, (_, id) => ({
        id,
        busy: false,
        lastUsed: 0,
        tokens: [],
        cachedTokens() {
          return this.tokens;
        },
      }));
      const contextSize = spec.contextSize > 0 ? spec.contextSize : fallbackContext;
      caches.push({ name: spec.name, contextSize, pool: new SlotPool(slots, spec.queueSize, spec.name) });
    }
    const defaultCache = defaultCacheOf(specs).name;
    this.caches = new CacheSet(caches, defaultCache);
    this.info = {
      name: 'mock',
      path: '(mock)',
      slotContextSize: this.caches.get(defaultCache).contextSize,
      slots: specs.reduce((sum, spec) => sum + spec.slots, 0),
      caches: specs.map((spec) => ({ name: spec.name, slots: spec.slots, contextSize: this.caches.get(spec.name).contextSize, queueSize: spec.queueSize })),
      defaultCache,
      // No template: the chat layer falls back to its default (ChatML), as for any template-less model.
      eosToken: '<|im_end|>',
      eogTokens: ['<|im_end|>'],
    };
  }

  countTokens(text: string): number {
    return pieces(text).length;
  }

  /**
   * The mock's output is scripted and never constrained, so the schema is not converted:
   * any JSON value. The grammar still has to be valid GBNF for whoever composes it.
   */
  async jsonSchemaGrammar(): Promise<string> {
    return ANY_JSON_GBNF;
  }

  slots(): SlotStatus[] {
    return this.caches.slots((slot) => slot.tokens.length);
  }

  queueDepth(cache?: string): number {
    return this.caches.queueDepth(cache);
  }

  async *complete(request: CompletionRequest): AsyncGenerator<CompletionEvent> {
    const { signal } = request;
    const cache = this.caches.get(request.cache);
    const prompt = pieceIds(pieces(request.prompt));
    if (prompt.length === 0) throw new ApiError('invalid_request', 'The rendered prompt is empty.', { param: 'messages' });
    if (prompt.length + 1 > cache.contextSize) throw new ContextOverflowError(prompt.length, cache.contextSize);
    const response = this.script.responses.find((candidate) => candidate.match === undefined || new RegExp(candidate.match).test(request.prompt));
    const output = pieces(response?.output ?? '');

    const { slot, reusable: cachedTokens } = await cache.pool.acquire(prompt, signal, request.cacheScope);
    try {
      yield { type: 'accepted', promptTokens: prompt.length, cachedTokens, cache: cache.name, slot: slot.id };
      const room = cache.contextSize - prompt.length;
      const maxTokens = Math.min(request.maxTokens ?? room, room);
      const stops = new StopDetector(request.stop);
      let generated = 0;
      let stop: 'end' | 'max_tokens' | 'stop_sequence' = 'end';
      let stopSequence: string | undefined;
      for (const piece of output) {
        if (generated >= maxTokens) {
          stop = 'max_tokens';
          break;
        }
        if (this.script.tokenDelayMs > 0) await delay(this.script.tokenDelayMs, signal);
        signal?.throwIfAborted();
        generated++;
        const scan = stops.push(piece);
        if (scan.emit) yield { type: 'text', text: scan.emit };
        if (scan.matched !== undefined) {
          stop = 'stop_sequence';
          stopSequence = scan.matched;
          break;
        }
      }
      if (stop !== 'stop_sequence') {
        const rest = stops.flush();
        if (rest) yield { type: 'text', text: rest };
      }
      slot.tokens = [...prompt, ...pieceIds(output.slice(0, generated))];
      yield {
        type: 'done',
        stop,
        ...(stopSequence !== undefined ? { stopSequence } : {}),
        usage: { promptTokens: prompt.length, cachedTokens, completionTokens: generated },
      };
    } finally {
      cache.pool.release(slot);
    }
  }

  async close(): Promise<void> {}
}

/** Waits `ms`, or rejects when the signal aborts; the abort listener goes once the wait ends (one per token piled up: MaxListenersExceededWarning). */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const ANY_JSON_GBNF = String.raw`root ::= value
value ::= object | array | string | number | ("true" | "false" | "null")
object ::= "{" ws ( string ":" ws value ( "," ws string ":" ws value )* )? "}" ws
array ::= "[" ws ( value ( "," ws value )* )? "]" ws
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws
ws ::= | " " | "\n" [ \t]{0,20}
`;
