// llama.cpp's server as a remote engine: the body of `POST /completion` for a prompt we already
// rendered and tokenized, and its streamed chunks read back. Pure: no sockets here.
//
// What we send (tools/server/README.md of the llama.cpp source node-llama-cpp ships):
//   prompt            token ids (no BOS added: the ids are exactly what our template rendered)
//   n_predict         the most tokens to generate
//   cache_prompt      true: the remote slot keeps the prompt, the next turn reuses its prefix
//   id_slot           our slot number: each of our slots maps to one remote slot, so the slot
//                     our prefix-reuse rule picks is the one that holds the conversation
//   sampling          llama-server's own names; every value resolved by us (same defaults)
//   grammar           GBNF of the output constraint; with `grammar_lazy` + `grammar_triggers`
//                     (+ `preserved_tokens`, which llama-server requires for one-token triggers)
//                     for tool calls: free text until a trigger, the grammar from there
// Stop strings are not sent: our StopDetector holds back partial ones exactly as in-process.

import type { ResolvedSampling } from '../sampling.js';
import type { Trigger } from '../steering.js';

/** llama.cpp's `common_grammar_trigger_type`. */
const TRIGGER_WORD = 1;
const TRIGGER_PATTERN_FULL = 3;

export interface LlamaServerTrigger {
  type: number;
  value: string;
}

export interface LazyGrammar {
  triggers: readonly Trigger[];
  /** Thinking markers, when triggers inside thinking must not count. */
  thinking?: { open: string; close: string; startOpen: boolean };
}

export interface RemoteCompletionRequest {
  prompt: readonly number[];
  maxTokens: number;
  sampling: ResolvedSampling;
  /** Our slot's remote slot (`id_slot`), where the protocol has slots. */
  slot: number;
  /** GBNF of the output constraint. */
  grammar?: string;
  /** The grammar applies only from a trigger on. */
  lazy?: LazyGrammar;
}

export function llamaServerBody(request: RemoteCompletionRequest): Record<string, unknown> {
  const { sampling } = request;
  const body: Record<string, unknown> = {
    prompt: [...request.prompt],
    n_predict: request.maxTokens,
    stream: true,
    cache_prompt: true,
    id_slot: request.slot,
    return_tokens: true,
    temperature: sampling.temperature,
    top_k: sampling.topK,
    top_p: sampling.topP,
    min_p: sampling.minP,
  };
  if (sampling.seed !== undefined) body.seed = sampling.seed;
  if (sampling.penalty) {
    body.repeat_penalty = sampling.penalty.repeat;
    body.presence_penalty = sampling.penalty.presence;
    body.frequency_penalty = sampling.penalty.frequency;
    body.repeat_last_n = sampling.penalty.lastN;
  }
  if (sampling.logitBias) body.logit_bias = Object.entries(sampling.logitBias).map(([token, bias]) => [Number(token), bias]);
  if (request.grammar !== undefined) {
    body.grammar = request.grammar;
    if (request.lazy) {
      body.grammar_lazy = true;
      body.grammar_triggers = llamaServerTriggers(request.lazy);
      body.preserved_tokens = [...new Set(request.lazy.triggers.map((trigger) => trigger.text))];
    }
  }
  return body;
}

/**
 * Our triggers in llama-server's shape. A plain trigger is a word. One that counts only at the
 * start of the output, or only outside thinking, is a full-output pattern whose first capture
 * group is where the grammar takes over (llama.cpp's `llama_grammar_trigger_pattern::find`).
 */
export function llamaServerTriggers(lazy: LazyGrammar): LlamaServerTrigger[] {
  const out: LlamaServerTrigger[] = [];
  for (const trigger of lazy.triggers) {
    const text = escapeRegExp(trigger.text);
    const { thinking } = lazy;
    if (!thinking) {
      out.push(trigger.atStart ? { type: TRIGGER_PATTERN_FULL, value: `\\s*(${text})[\\s\\S]*` } : { type: TRIGGER_WORD, value: trigger.text });
      continue;
    }
    const close = escapeRegExp(thinking.close);
    const open = escapeRegExp(thinking.open);
    const after = trigger.atStart ? `\\s*(${text})[\\s\\S]*` : `[\\s\\S]*?(${text})[\\s\\S]*`;
    // After thinking closed: anywhere the trigger may be.
    out.push({ type: TRIGGER_PATTERN_FULL, value: `[\\s\\S]*?${close}${after}` });
    // With no thinking open (the template did not open it): before any thinking starts.
    if (!thinking.startOpen) {
      out.push({ type: TRIGGER_PATTERN_FULL, value: trigger.atStart ? `\\s*(${text})[\\s\\S]*` : `(?:(?!${open})[\\s\\S])*?(${text})[\\s\\S]*` });
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Why llama-server stopped (`stop_type`). */
export type LlamaServerStop = 'eos' | 'limit' | 'word' | 'none';

export interface LlamaServerChunk {
  text: string;
  /** Tokens this chunk carries (`tokens`, with `return_tokens`). */
  tokens: number[];
  /** On the last chunk: why it stopped, and the remote's own counts. */
  end?: { stop: LlamaServerStop; promptTokens?: number; cachedTokens?: number; generatedTokens?: number };
}

/** One `data:` payload of llama-server's stream; throws on anything that is not one. */
export function parseLlamaServerChunk(data: unknown): LlamaServerChunk {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error(`not a JSON object: ${preview(data)}`);
  const chunk = data as Record<string, unknown>;
  if (typeof chunk.error === 'object' && chunk.error !== null) {
    const message = (chunk.error as { message?: unknown }).message;
    throw new RemoteReportedError(typeof message === 'string' ? message : JSON.stringify(chunk.error));
  }
  if (typeof chunk.content !== 'string') throw new Error(`no "content" string in ${preview(data)}`);
  const tokens = Array.isArray(chunk.tokens) && chunk.tokens.every((token) => typeof token === 'number') ? (chunk.tokens as number[]) : [];
  if (chunk.stop !== true) return { text: chunk.content, tokens };
  const stop = typeof chunk.stop_type === 'string' && ['eos', 'limit', 'word', 'none'].includes(chunk.stop_type) ? (chunk.stop_type as LlamaServerStop) : 'none';
  const timings = (typeof chunk.timings === 'object' && chunk.timings !== null ? chunk.timings : {}) as Record<string, unknown>;
  const number = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const promptTokens = number(chunk.tokens_evaluated);
  const cachedTokens = number(timings.cache_n);
  const generatedTokens = number(chunk.tokens_predicted) ?? number(timings.predicted_n);
  return {
    text: chunk.content,
    tokens,
    end: {
      stop,
      ...(promptTokens !== undefined ? { promptTokens } : {}),
      ...(cachedTokens !== undefined ? { cachedTokens } : {}),
      ...(generatedTokens !== undefined ? { generatedTokens } : {}),
    },
  };
}

/** The remote reported an error in its stream. */
export class RemoteReportedError extends Error {}

function preview(data: unknown): string {
  const text = JSON.stringify(data) ?? String(data);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
