// OpenAI-compatible routes: POST /v1/chat/completions (GET /v1/models is shared: ../models.ts).
// Thin: validate → ChatRequest → ChatService → converter → JSON or SSE.
// Every error on these routes leaves in OpenAI's envelope (plugin-level error handler).

import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { imagesReplacedWarning } from '../../chat/image-note.js';
import type { GenerationEvent } from '../../chat/types.js';
import type { ChatService } from '../../chat/service.js';
import { errorHandlerFor } from '../../http/fastify-errors.js';
import { abandon, answerUnlessClientLeaves, pumpSse, SseWriter } from '../../http/sse.js';
import { cacheScopeOf } from '../../http/cache-scope.js';
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
  /** `--reject-images`: an image is a 400 `images_not_supported` instead of a text note in its place. */
  rejectImages?: boolean;
  /** `--cache-isolation`: requests reuse cached prompts only within their API key's scope. */
  cacheIsolation?: boolean;
}

const DEFAULT_PING_MS = 15_000;

export function openaiRoutes(deps: OpenAIRoutesDeps): FastifyPluginAsync {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const pingMs = deps.pingIntervalMs ?? DEFAULT_PING_MS;
  const rejectImages = deps.rejectImages === true;

  return async (fastify) => {
    fastify.setErrorHandler(errorHandlerFor(toOpenAIError, 'chat completions request failed'));

    fastify.post('/v1/chat/completions', async (request, reply) => {
      const body = parseChatCompletionBody(request.body);
      const requestId = deps.newId();
      let images = 0;
      const converted = toChatRequest(body, { id: requestId, defaultModel: deps.chat.info.modelName, rejectImages, onImageNote: () => images++ });
      if (images > 0) request.log.warn({ requestId, images }, imagesReplacedWarning(images));
      const chatRequest = {
        ...converted,
        headers: routingHeaders(request.headers),
        ...(deps.cacheIsolation ? { cacheScope: cacheScopeOf(request.headers) } : {}),
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
      await pumpSse(sse, {
        events,
        first,
        converter: new ChatCompletionChunker({ ...meta, includeUsage: body.stream_options?.include_usage === true }),
        writeEvent: (writer, chunk) => writer.writeEvent(chunk),
        writeEnd: (writer) => writer.writeEvent('[DONE]'),
        writeError: (writer, err) => {
          const mapped = toOpenAIError(err);
          if (mapped.unexpected) request.log.error({ err }, 'chat completion stream failed');
          return writer.writeEvent(mapped.body);
        },
        pingIntervalMs: pingMs,
        log: request.log,
        names: { stream: 'chat completion stream', work: 'chat completion' },
      });
      return reply;
    });
  };
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
