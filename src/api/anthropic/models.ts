// GET /v1/models in Anthropic's shape, for clients that send `anthropic-version`
// (the OpenAI routes own the path and hand over to this).

import type { ChatServiceInfo } from '../../chat/service.js';
import type { ModelInfoWire, ModelListWire } from './wire.js';

export function anthropicModel(info: ChatServiceInfo): ModelInfoWire {
  return {
    type: 'model',
    id: info.modelName,
    display_name: info.modelName,
    created_at: new Date(info.loadedAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

export function anthropicModelList(info: ChatServiceInfo): ModelListWire {
  const model = anthropicModel(info);
  return { data: [model], has_more: false, first_id: model.id, last_id: model.id };
}

/** True when the request comes from an Anthropic client (the SDKs and Claude Code always send it). */
export function wantsAnthropic(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['anthropic-version'] !== undefined;
}
