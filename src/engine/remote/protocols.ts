// The two ways of talking to a remote engine behind one shape: what to ask at start-up, where to
// post a completion, its body, and each streamed event read back the same way.

import { FatalError } from '../../errors.js';
import { completionsBody, parseCompletionsData, type CompletionsFlavor } from './openai-completions.js';
import { llamaServerBody, parseLlamaServerChunk, type RemoteCompletionRequest } from './llama-server.js';
import type { RemoteProtocol } from './options.js';

/** One completion as the engine asks it of any remote (llama-server's request shape is the general one). */
export type RemoteCompletion = RemoteCompletionRequest;

export interface RemoteEvent {
  text: string;
  /** Token ids of the text, when the remote sends them. */
  tokens?: number[];
  /** Why generation stopped, on the event that says so. */
  stop?: 'end' | 'max_tokens';
  /** The remote's own count of prompt tokens it reused. */
  cachedTokens?: number;
  /** The stream is over. */
  last?: boolean;
}

export interface RemoteServerFacts {
  /** Tokens per request (per slot for llama-server). */
  contextSize: number;
  /** Slots the remote has, where it has a fixed number (llama-server). */
  slots?: number;
  /** One line for the start-up log. */
  description: string;
}

export interface ProtocolClient {
  readonly protocol: RemoteProtocol;
  /** Each of our slots is one remote slot: a slot's cached prefix is the remote's. */
  readonly pinsSlots: boolean;
  /** Whether the remote applies a lazy (trigger-started) grammar. */
  readonly lazyGrammar: boolean;
  readonly path: string;
  probe(get: (path: string) => Promise<Response>, url: string): Promise<RemoteServerFacts>;
  body(request: RemoteCompletion): Record<string, unknown>;
  /** One SSE `data:` payload; throws Error for data that is not the protocol, RemoteReportedError for the remote's own errors. */
  read(data: string): RemoteEvent;
}

export function protocolClient(protocol: RemoteProtocol): ProtocolClient {
  return protocol === 'llama-server' ? new LlamaServerClient() : new CompletionsClient();
}

class LlamaServerClient implements ProtocolClient {
  readonly protocol = 'llama-server' as const;
  readonly pinsSlots = true;
  readonly lazyGrammar = true;
  readonly path = '/completion';

  async probe(get: (path: string) => Promise<Response>, url: string): Promise<RemoteServerFacts> {
    const props = (await json(await get('/props'), url, 'GET /props')) as { default_generation_settings?: { n_ctx?: unknown }; n_ctx?: unknown; total_slots?: unknown };
    const contextSize = props?.default_generation_settings?.n_ctx ?? props?.n_ctx;
    if (typeof contextSize !== 'number' || contextSize <= 0) throw new FatalError(`The remote engine at ${url} is not a llama.cpp server: GET /props has no n_ctx.`);
    const slots = typeof props.total_slots === 'number' ? props.total_slots : undefined;
    return { contextSize, ...(slots !== undefined ? { slots } : {}), description: `llama.cpp server, ${slots ?? '?'} slots × ${contextSize} tokens` };
  }

  body(request: RemoteCompletion): Record<string, unknown> {
    return llamaServerBody(request);
  }

  read(data: string): RemoteEvent {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      throw new Error(`a stream event that is not JSON: ${data.slice(0, 200)}`);
    }
    const chunk = parseLlamaServerChunk(parsed);
    if (!chunk.end) return { text: chunk.text, tokens: chunk.tokens };
    return {
      text: chunk.text,
      tokens: chunk.tokens,
      stop: chunk.end.stop === 'limit' ? 'max_tokens' : 'end',
      ...(chunk.end.cachedTokens !== undefined ? { cachedTokens: chunk.end.cachedTokens } : {}),
      last: true,
    };
  }
}

class CompletionsClient implements ProtocolClient {
  readonly protocol = 'openai-completions' as const;
  readonly pinsSlots = false;
  readonly lazyGrammar = false;
  readonly path = '/v1/completions';
  private model = '';
  private flavor: CompletionsFlavor = 'other';

  async probe(get: (path: string) => Promise<Response>, url: string): Promise<RemoteServerFacts> {
    const models = (await json(await get('/v1/models'), url, 'GET /v1/models')) as { data?: { id?: unknown; max_model_len?: unknown; owned_by?: unknown }[] };
    const model = models?.data?.find((entry) => typeof entry.id === 'string' && typeof entry.max_model_len === 'number') ?? models?.data?.[0];
    if (!model || typeof model.id !== 'string') throw new FatalError(`The remote engine at ${url} lists no model in GET /v1/models.`);
    if (typeof model.max_model_len !== 'number' || model.max_model_len <= 0) {
      throw new FatalError(`The remote engine at ${url} does not say its context length (max_model_len in GET /v1/models): is it vLLM or SGLang?`);
    }
    this.model = model.id;
    this.flavor = model.owned_by === 'vllm' ? 'vllm' : model.owned_by === 'sglang' ? 'sglang' : 'other';
    return {
      contextSize: model.max_model_len,
      description: `${this.flavor === 'other' ? 'OpenAI-style completions' : this.flavor} serving ${model.id}, ${model.max_model_len} tokens`,
    };
  }

  body(request: RemoteCompletion): Record<string, unknown> {
    // No lazy grammar there: a trigger-started grammar is not sent at all (calls are parsed and checked here).
    const grammar = request.lazy ? undefined : request.grammar;
    return completionsBody({
      model: this.model,
      flavor: this.flavor,
      prompt: request.prompt,
      maxTokens: request.maxTokens,
      sampling: request.sampling,
      ...(grammar !== undefined ? { grammar } : {}),
    });
  }

  read(data: string): RemoteEvent {
    const event = parseCompletionsData(data);
    if (event.done) return { text: '', last: true };
    if (event.finish === 'abort') throw new Error('a generation the server aborted (finish_reason "abort")');
    return {
      text: event.text,
      ...(event.tokens ? { tokens: event.tokens } : {}),
      ...(event.finish !== undefined ? { stop: event.finish === 'length' ? 'max_tokens' : 'end' } : {}),
      ...(event.usage?.cachedTokens !== undefined ? { cachedTokens: event.usage.cachedTokens } : {}),
    };
  }
}

async function json(response: Response, url: string, what: string): Promise<unknown> {
  if (!response.ok) throw new FatalError(`The remote engine at ${url} answered ${what} with HTTP ${response.status}${response.status === 401 ? ' (check its API key)' : ''}.`);
  try {
    return await response.json();
  } catch {
    throw new FatalError(`The remote engine at ${url} answered ${what} with something that is not JSON.`);
  }
}
