// Anthropic Messages routes: POST /v1/messages (stream and not) and
// POST /v1/messages/count_tokens. Thin: validate → ChatRequest → ChatService → converter →
// JSON or SSE. Every error on these routes leaves in Anthropic's envelope (plugin-level error
// handler). Paths match whatever the query string (Claude Code posts `/v1/messages?beta=true`).

import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { imagesReplacedWarning } from '../../chat/image-note.js';
import type { ChatService } from '../../chat/service.js';
import type { GenerationEvent } from '../../chat/types.js';
import { errorHandlerFor } from '../../http/fastify-errors.js';
import { abandon, answerUnlessClientLeaves, pumpSse, SseWriter } from '../../http/sse.js';
import { cacheScopeOf } from '../../http/cache-scope.js';
import { routingHeaders } from '../../routing/headers.js';
import { neutraliseClaudeCodeRequest } from './claude-code-prompt.js';
import { newMessageId, newToolUseId } from './common.js';
import { toAnthropicError } from './errors.js';
import { toChatRequest, toCountRequest } from './request.js';
import { collectMessage } from './response.js';
import { parseCountTokensBody, parseMessagesBody } from './schema.js';
import { MessageStreamConverter, type StreamMeta } from './stream.js';
import type { CountTokensResult, Message } from './wire.js';

export interface AnthropicRoutesDeps {
  chat: ChatService;
  /** Default: a random `msg_01…` id. */
  newMessageId?(): string;
  /** Default: a random `toolu_01…` id. */
  newToolUseId?(): string;
  /** Interval of `ping` events while streaming; 0 disables. Default 5 000 ms. */
  pingIntervalMs?: number;
  /**
   * A request still waiting for a slot after this long gets its 200 and SSE headers anyway, and
   * pings until generation starts, so no client sits on a silent connection. Errors after that
   * arrive as an `error` event. Default 1 000 ms.
   */
  openStreamAfterMs?: number;
  /** `--reject-images`: an image is a 400 `images_not_supported` instead of a text note in its place. */
  rejectImages?: boolean;
  /** `--cache-isolation`: requests reuse cached prompts only within their API key's scope. */
  cacheIsolation?: boolean;
}

// Claude Code gives up on a stream that stays silent; Anthropic pings every few seconds too.
const DEFAULT_PING_MS = 5_000;
const DEFAULT_OPEN_AFTER_MS = 1_000;

export function anthropicRoutes(deps: AnthropicRoutesDeps): FastifyPluginAsync {
  const pingMs = deps.pingIntervalMs ?? DEFAULT_PING_MS;
  const openAfterMs = deps.openStreamAfterMs ?? DEFAULT_OPEN_AFTER_MS;
  const messageId = deps.newMessageId ?? newMessageId;
  const toolUseId = deps.newToolUseId ?? newToolUseId;
  const rejectImages = deps.rejectImages === true;

  return async (fastify) => {
    fastify.setErrorHandler(errorHandlerFor(toAnthropicError, 'messages request failed'));

    fastify.post('/v1/messages/count_tokens', async (request): Promise<CountTokensResult> => {
      const body = parseCountTokensBody(neutraliseClaudeCodeRequest(request.body));
      const chatRequest = toCountRequest(body, { id: messageId(), rejectImages });
      return { input_tokens: deps.chat.countTokens(chatRequest) };
    });

    fastify.post('/v1/messages', async (request, reply): Promise<Message | FastifyReply> => {
      const body = parseMessagesBody(neutraliseClaudeCodeRequest(request.body));
      const id = messageId();
      let images = 0;
      const converted = toChatRequest(body, { id, rejectImages, onImageNote: () => images++ });
      if (images > 0) request.log.warn({ requestId: id, images }, imagesReplacedWarning(images));
      const chatRequest = {
        ...converted,
        headers: routingHeaders(request.headers),
        ...(deps.cacheIsolation ? { cacheScope: cacheScopeOf(request.headers) } : {}),
        ...(request.trace ? { trace: request.trace } : {}),
      };
      const meta: StreamMeta = { id, model: chatRequest.model, newToolUseId: toolUseId };

      if (body.stream !== true) return answerUnlessClientLeaves(reply, (signal) => collectMessage(deps.chat.generate(chatRequest, signal), meta));

      const sse = new SseWriter(reply);
      const events = deps.chat.generate(chatRequest, sse.signal)[Symbol.asyncIterator]();
      const pending = events.next();
      let first: IteratorResult<GenerationEvent> | undefined;
      try {
        // Errors that come quickly (bad input, prompt too long, queue full) are plain JSON
        // errors with their status: nothing has been sent yet.
        first = await firstWithin(pending, openAfterMs);
      } catch (err) {
        if (sse.signal.aborted) return abandon(reply);
        throw err;
      }
      await pumpSse(sse, {
        events,
        first: first ?? pending,
        converter: new MessageStreamConverter(meta),
        writeEvent: (writer, event) => writer.writeEvent(event, event.type),
        writeError: (writer, err) => {
          const mapped = toAnthropicError(err);
          if (mapped.unexpected) request.log.error({ err }, 'messages stream failed');
          return writer.writeEvent(mapped.body, 'error');
        },
        pingIntervalMs: pingMs,
        ping: (writer) => writer.writeEvent({ type: 'ping' }, 'ping'),
        log: request.log,
        names: { stream: 'messages stream', work: 'message generation' },
      });
      return reply;
    });
  };
}

/** The first result if it settles within `ms`, else undefined (a rejection within `ms` rethrows). */
async function firstWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
