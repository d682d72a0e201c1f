// GET /v1/models and GET /v1/models/{id}: one path, two shapes. Anthropic clients (the SDKs and
// Claude Code always send `anthropic-version`) get Anthropic's list and errors; everyone else
// gets OpenAI's. Shared by both APIs, so it lives above both folders.

import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ChatService } from '../chat/service.js';
import { ApiError } from '../errors.js';
import { errorHandlerFor } from '../http/fastify-errors.js';
import { anthropicErrorBody } from './anthropic/errors.js';
import { anthropicModel, anthropicModelList, wantsAnthropic } from './anthropic/models.js';
import type { ModelInfoWire, ModelListWire } from './anthropic/wire.js';
import { toOpenAIError } from './openai/errors.js';
import { openaiModel, openaiModelList } from './openai/models.js';
import type { ModelList, ModelObject } from './openai/wire.js';

export interface ModelsRoutesDeps {
  chat: ChatService;
}

export function modelsRoutes(deps: ModelsRoutesDeps): FastifyPluginAsync {
  return async (fastify) => {
    // Not an Anthropic path: errors leave in OpenAI's envelope (Anthropic's 404 is sent below).
    fastify.setErrorHandler(errorHandlerFor(toOpenAIError, 'models request failed'));

    fastify.get('/v1/models', async (request): Promise<ModelList | ModelListWire> =>
      wantsAnthropic(request.headers) ? anthropicModelList(deps.chat.info) : openaiModelList(deps.chat.info),
    );

    // Wildcard rather than `:id` so ids with a slash (`org/name`) still get an OpenAI-style 404.
    fastify.get('/v1/models/*', async (request, reply): Promise<ModelObject | ModelInfoWire | FastifyReply> => {
      const id = (request.params as { '*'?: string })['*'] ?? '';
      const known = id === deps.chat.info.modelName;
      if (wantsAnthropic(request.headers)) {
        if (known) return anthropicModel(deps.chat.info);
        return reply.code(404).send(anthropicErrorBody(new ApiError('not_found', `model: ${id}`)));
      }
      if (!known) throw new ApiError('not_found', `The model '${id}' does not exist`, { param: 'model', code: 'model_not_found' });
      return openaiModel(deps.chat.info);
    });
  };
}
