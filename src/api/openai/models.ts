// GET /v1/models in OpenAI's shape (the shared route in ../models.ts picks the shape).

import type { ChatServiceInfo } from '../../chat/service.js';
import type { ModelList, ModelObject } from './wire.js';

const OWNER = 'llama-bridge';

export function openaiModel(info: ChatServiceInfo): ModelObject {
  return { id: info.modelName, object: 'model', created: info.loadedAt, owned_by: OWNER };
}

export function openaiModelList(info: ChatServiceInfo): ModelList {
  return { object: 'list', data: [openaiModel(info)] };
}
