// vLLM and SGLang as remote engines: OpenAI-style `POST /v1/completions` with a prompt of token
// ids, streamed. Pure: the request body and the stream's events read back.
//
// Protocol facts (read from their sources: vLLM's entrypoints/openai protocol + serving_completion,
// SGLang's srt/entrypoints/openai protocol + serving_completions):
//   - `prompt: number[]` is passed to the engine as token ids, not re-tokenized;
//   - `return_token_ids: true` (vLLM ≥ 0.10.2, SGLang since its PR #30917) puts each chunk's token
//     ids in `choices[0].token_ids`; older servers send text only, and we tokenize that text;
//   - `stream_options.include_usage` ends the stream with a `choices: []` chunk carrying `usage`,
//     whose `prompt_tokens_details.cached_tokens` is filled only with vLLM's
//     --enable-prompt-tokens-details or SGLang's --enable-cache-report;
//   - grammars: vLLM takes `structured_outputs: {grammar}` (0.11+; `guided_grammar` before),
//     SGLang `ebnf`; both compile llama.cpp's GBNF with xgrammar. Neither has a lazy grammar, so
//     tool calls offered with tool_choice auto run free and are parsed and checked here;
//   - errors mid-stream are `data: {"error": {...}}`, and the stream ends with `data: [DONE]`.

import type { ResolvedSampling } from '../sampling.js';
import { RemoteReportedError } from './llama-server.js';

/** Which server answers, from `GET /v1/models` (`owned_by`): it decides the grammar field. */
export type CompletionsFlavor = 'vllm' | 'sglang' | 'other';

export interface CompletionsRequest {
  model: string;
  flavor: CompletionsFlavor;
  prompt: readonly number[];
  maxTokens: number;
  sampling: ResolvedSampling;
  /** GBNF applied from the first token. */
  grammar?: string;
}

export function completionsBody(request: CompletionsRequest): Record<string, unknown> {
  const { sampling } = request;
  const body: Record<string, unknown> = {
    model: request.model,
    prompt: [...request.prompt],
    max_tokens: request.maxTokens,
    stream: true,
    stream_options: { include_usage: true },
    return_token_ids: true,
    // Markup such as <tool_call> is text our parsers read: keep special tokens in the text.
    skip_special_tokens: false,
    temperature: sampling.temperature,
    top_p: sampling.topP,
    top_k: sampling.topK,
    min_p: sampling.minP,
  };
  if (sampling.seed !== undefined) body.seed = sampling.seed;
  if (sampling.penalty) {
    body.repetition_penalty = sampling.penalty.repeat;
    body.presence_penalty = sampling.penalty.presence;
    body.frequency_penalty = sampling.penalty.frequency;
  }
  if (sampling.logitBias) body.logit_bias = Object.fromEntries(Object.entries(sampling.logitBias).map(([token, bias]) => [token, bias]));
  if (request.grammar !== undefined) {
    if (request.flavor !== 'sglang') body.structured_outputs = { grammar: request.grammar };
    if (request.flavor !== 'vllm') body.ebnf = request.grammar;
  }
  return body;
}

export interface CompletionsEvent {
  text: string;
  /** The chunk's token ids, when the server returns them. */
  tokens?: number[];
  /** `finish_reason` when this chunk ends the choice. */
  finish?: string;
  usage?: { promptTokens?: number; completionTokens?: number; cachedTokens?: number };
  /** `[DONE]`: the stream is over. */
  done?: boolean;
}

/** One `data:` payload of the stream; throws on anything that is not one. */
export function parseCompletionsData(data: string): CompletionsEvent {
  if (data === '[DONE]') return { text: '', done: true };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new Error(`a stream event that is not JSON: ${data.slice(0, 200)}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`not a JSON object: ${data.slice(0, 200)}`);
  const chunk = json as Record<string, unknown>;
  if (typeof chunk.error === 'object' && chunk.error !== null) {
    const message = (chunk.error as { message?: unknown }).message;
    throw new RemoteReportedError(typeof message === 'string' ? message : JSON.stringify(chunk.error));
  }
  if (!Array.isArray(chunk.choices)) throw new Error(`no "choices" in ${data.slice(0, 200)}`);
  const event: CompletionsEvent = { text: '' };
  const choice = chunk.choices[0] as Record<string, unknown> | undefined;
  if (choice) {
    if (typeof choice.text !== 'string') throw new Error(`a choice without "text" in ${data.slice(0, 200)}`);
    event.text = choice.text;
    if (Array.isArray(choice.token_ids) && choice.token_ids.every((token) => Number.isInteger(token))) event.tokens = choice.token_ids as number[];
    if (typeof choice.finish_reason === 'string') event.finish = choice.finish_reason;
  }
  if (typeof chunk.usage === 'object' && chunk.usage !== null) {
    const usage = chunk.usage as { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } | null };
    const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
    const promptTokens = number(usage.prompt_tokens);
    const completionTokens = number(usage.completion_tokens);
    const cachedTokens = number(usage.prompt_tokens_details?.cached_tokens);
    event.usage = {
      ...(promptTokens !== undefined ? { promptTokens } : {}),
      ...(completionTokens !== undefined ? { completionTokens } : {}),
      ...(cachedTokens !== undefined ? { cachedTokens } : {}),
    };
  }
  return event;
}
