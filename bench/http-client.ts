// A minimal streaming Chat Completions client for timing: plain fetch and a line
// reader for SSE, so what we measure is the server, not an SDK.

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatBody {
  messages: ChatMessage[];
  max_tokens: number;
  temperature?: number;
  seed?: number;
  [key: string]: unknown;
}

export interface StreamTiming {
  /** performance.now() when the request was sent. */
  started: number;
  /** First chunk that carried generated text (content, reasoning or a tool call). */
  firstToken: number;
  /** Last chunk that carried generated text. */
  lastToken: number;
  /** The end of the stream ([DONE] or connection closed). */
  ended: number;
  /** Chunks that carried generated text. */
  textChunks: number;
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** prompt_tokens_details.cached_tokens, or llama-server's timings.cache_n. */
  cachedTokens: number | undefined;
  finishReason: string | undefined;
  /** llama-server's own `timings` object from the last chunk, when present. */
  serverTimings: Record<string, number> | undefined;
}

export class RequestError extends Error {}

/** POSTs a streaming chat completion and timestamps every chunk as it arrives. */
export async function streamChat(baseUrl: string, body: ChatBody, timeoutMs = 300_000): Promise<StreamTiming> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'bench',
      temperature: 0,
      seed: 42,
      ...body,
      stream: true,
      stream_options: { include_usage: true },
    }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok || !response.body) {
    throw new RequestError(`${baseUrl}: HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`);
  }

  let firstToken: number | undefined;
  let lastToken: number | undefined;
  let textChunks = 0;
  let text = '';
  let usage: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } } | undefined;
  let finishReason: string | undefined;
  let serverTimings: Record<string, number> | undefined;
  let done = false;

  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    const now = performance.now();
    buffer += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') {
        done = true;
        continue;
      }
      // A chunk of either server's stream (llama-server names reasoning `reasoning_content`, some servers `reasoning`).
      let chunk: {
        error?: unknown;
        choices?: { delta?: { content?: string; reasoning_content?: string; reasoning?: string; tool_calls?: unknown[] }; finish_reason?: string | null }[];
        usage?: Record<string, number>;
        /** llama-server's own prefill/decode timings. */
        timings?: Record<string, number>;
      };
      try {
        chunk = JSON.parse(data);
      } catch {
        throw new RequestError(`${baseUrl}: unparsable SSE data: ${data.slice(0, 200)}`);
      }
      if (chunk.error) throw new RequestError(`${baseUrl}: stream error: ${JSON.stringify(chunk.error).slice(0, 500)}`);
      const choice = chunk.choices?.[0];
      const delta = choice?.delta ?? {};
      const piece = `${delta.content ?? ''}${delta.reasoning_content ?? ''}${delta.reasoning ?? ''}`;
      if (piece.length > 0 || (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0)) {
        firstToken ??= now;
        lastToken = now;
        textChunks++;
        text += piece;
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
      if (chunk.timings) serverTimings = chunk.timings;
    }
  }
  const ended = performance.now();
  if (!done) throw new RequestError(`${baseUrl}: stream ended without [DONE]`);
  if (!usage?.completion_tokens && usage?.completion_tokens !== 0) throw new RequestError(`${baseUrl}: no usage in the stream`);
  return {
    started,
    // A response whose text is all held back (or empty) still has a first token: the end.
    firstToken: firstToken ?? ended,
    lastToken: lastToken ?? ended,
    ended,
    textChunks,
    text,
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: usage.completion_tokens,
    cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? serverTimings?.cache_n,
    finishReason,
    serverTimings,
  };
}

/** GET /health until it answers 200 (our server answers 503 while loading; llama-server too). */
export async function waitForHealth(baseUrl: string, timeoutMs: number, alive: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = alive();
    if (dead) throw new RequestError(dead);
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new RequestError(`${baseUrl}: /health did not answer 200 within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
