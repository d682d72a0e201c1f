// OpenAI-compatible routes: POST /v1/chat/completions (GET /v1/models is shared: ../models.ts).
// Thin: validate → ChatRequest → ChatService → converter → JSON or SSE.
// Every error on these routes leaves in OpenAI's envelope (plugin-level error handler).

import { createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { GenerationEvent } from '../../chat/types.js';
import type { ChatService } from '../../chat/service.js';
import { ApiError } from '../../errors.js';
import { abandon, answerUnlessClientLeaves, SseWriter } from '../../http/sse.js';
import { routingHeaders } from '../../routing/headers.js';
import { completionId } from './common.js';
import { toOpenAIError } from './errors.js';
import { toChatRequest } from './request.js';
import { collectChatCompletion } from './response.js';
import { parseChatCompletionBody } from './schema.js';
import { ChatCompletionChunker } from './stream.js';
import type { ResponseMeta } from './wire.js';

export interface OpenAIRoutesDeps {
  chat: ChatService;
  /** A fresh request id (becomes `chatcmpl-<id>` unless it already has that prefix). */
  newId(): string;
  /** Interval of `: ping` SSE comments while streaming; 0 disables. Default 15 000 ms. */
  pingIntervalMs?: number;
  /** Unix seconds, for `created`. Default: the wall clock. */
  now?(): number;
}

const DEFAULT_PING_MS = 15_000;

export function openaiRoutes(deps: OpenAIRoutesDeps): FastifyPluginAsync {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const pingMs = deps.pingIntervalMs ?? DEFAULT_PING_MS;

  return async (fastify) => {
    fastify.setErrorHandler((err, request, reply) => {
      const mapped = toOpenAIError(err);
      if (mapped.unexpected) request.log.error({ err }, 'chat completions request failed');
      if (reply.sent || reply.raw.headersSent) return;
      void reply.code(mapped.status).headers(mapped.headers).send(mapped.body);
    });

    fastify.post('/v1/chat/completions', async (request, reply) => {
      const body = parseChatCompletionBody(request.body);
      const requestId = deps.newId();
      const chatRequest = {
        ...toChatRequest(body, { id: requestId, defaultModel: deps.chat.info.modelName }),
        headers: routingHeaders(request.headers),
        ...(request.trace ? { trace: request.trace } : {}),
      };
      const meta: ResponseMeta = {
        id: completionId(requestId),
        model: chatRequest.model,
        created: now(),
        systemFingerprint: fingerprint(deps.chat.info.modelName),
      };

      if (body.stream !== true) return answerUnlessClientLeaves(reply, (signal) => collectChatCompletion(deps.chat.generate(chatRequest, signal), meta));

      const sse = new SseWriter(reply);
      const events = deps.chat.generate(chatRequest, sse.signal)[Symbol.asyncIterator]();
      let first: IteratorResult<GenerationEvent>;
      try {
        // Errors before the first event (bad input, prompt too long, queue full) are plain
        // JSON errors with their status: nothing has been sent yet.
        first = await events.next();
      } catch (err) {
        if (sse.signal.aborted) return abandon(reply);
        throw err;
      }
      const chunker = new ChatCompletionChunker({ ...meta, includeUsage: body.stream_options?.include_usage === true });
      await streamEvents(request, sse, events, first, chunker, pingMs);
      return reply;
    });
  };
}

/** Write the SSE stream from the first event on. Never throws: failures become an error chunk. */
async function streamEvents(
  request: FastifyRequest,
  sse: SseWriter,
  events: AsyncIterator<GenerationEvent>,
  first: IteratorResult<GenerationEvent>,
  chunker: ChatCompletionChunker,
  pingMs: number,
): Promise<void> {
  sse.open();
  if (pingMs > 0) sse.startPings(pingMs);
  let result = first;
  try {
    while (!result.done) {
      if (!chunker.finished) {
        for (const chunk of chunker.push(result.value)) await sse.writeEvent(chunk);
        if (chunker.finished) {
          // Let the client go right away; keep draining below so the producer finishes cleanly.
          await sse.writeEvent('[DONE]');
          sse.close();
        }
      }
      if (sse.signal.aborted) break;
      result = await events.next();
    }
    if (!chunker.finished && !sse.closed) {
      throw new ApiError('internal', 'The generation ended without a result');
    }
  } catch (err) {
    if (sse.signal.aborted) {
      request.log.info('client disconnected during a chat completion stream');
    } else if (chunker.finished) {
      request.log.warn({ err }, 'chat completion failed after its stream was complete');
    } else {
      const mapped = toOpenAIError(err);
      if (mapped.unexpected) request.log.error({ err }, 'chat completion stream failed');
      await sse.writeEvent(mapped.body);
    }
  } finally {
    sse.close();
    if (!result.done) {
      // The client left (or we failed) mid-generation: stop the producer. The aborted signal
      // already tells it to stop; return() runs its cleanup.
      void Promise.resolve()
        .then(() => events.return?.())
        .catch(() => {});
    }
  }
}

const fingerprints = new Map<string, string>();

/** A stable `fp_…` per loaded model, as OpenAI's `system_fingerprint` identifies a backend config. */
function fingerprint(modelName: string): string {
  let fp = fingerprints.get(modelName);
  if (fp === undefined) {
    fp = `fp_${createHash('sha256').update(`llama-bridge:${modelName}`).digest('hex').slice(0, 10)}`;
    fingerprints.set(modelName, fp);
  }
  return fp;
}
