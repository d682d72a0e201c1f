// Public surface of the Anthropic Messages API layer.

export { anthropicRoutes, type AnthropicRoutesDeps } from './routes.js';
export { anthropicErrorBody, isAnthropicPath, toAnthropicError, type AnthropicErrorResponse } from './errors.js';
export { anthropicModel, anthropicModelList, wantsAnthropic } from './models.js';
export { parseCountTokensBody, parseMessagesBody, type CountTokensBody, type MessagesBody } from './schema.js';
export { toChatRequest, toCountRequest } from './request.js';
export { MessageStreamConverter } from './stream.js';
export { MessageAccumulator, collectMessage } from './response.js';
export type * from './wire.js';
