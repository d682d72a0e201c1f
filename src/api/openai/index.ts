// Public surface of the OpenAI Chat Completions API layer.

export { openaiRoutes, type OpenAIRoutesDeps } from './routes.js';
export { openaiErrorBody, toOpenAIError, type OpenAIErrorResponse } from './errors.js';
export { parseChatCompletionBody, type ChatCompletionBody } from './schema.js';
export { toChatRequest } from './request.js';
export { ChatCompletionChunker } from './stream.js';
export { ChatCompletionAccumulator, collectChatCompletion } from './response.js';
export type * from './wire.js';
