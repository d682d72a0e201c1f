// Validated Chat Completions body → the internal ChatRequest. Pure: no I/O, no clock.

import { imageNote, imageOfUrl } from '../../chat/image-note.js';
import type { ChatMessage, ChatRequest, ResponseFormat, SamplingOptions, ToolCall, ToolChoice, ToolDefinition } from '../../chat/types.js';
import { ApiError } from '../../errors.js';
import type { ChatCompletionBody, ChatCompletionMessageParam } from './schema.js';

export interface ToChatRequestOptions {
  /** Server-assigned request id. */
  id: string;
  /** Echoed as `model` when the client sent none. */
  defaultModel: string;
  /**
   * `--reject-images`: an `image_url` part is a 400 `images_not_supported`. Otherwise each one
   * becomes a text note in its place (chat/image-note.ts): no model served has vision.
   */
  rejectImages?: boolean;
  /** Called for every image replaced by a note (the route logs one warning per request). */
  onImageNote?(): void;
}

/** Parts of a text-only content array are joined with this (as llama.cpp's server does). */
const PART_SEPARATOR = '\n';

export function toChatRequest(body: ChatCompletionBody, options: ToChatRequestOptions): ChatRequest {
  const request: ChatRequest = {
    id: options.id,
    model: body.model ?? options.defaultModel,
    messages: convertMessages(body.messages, options),
    sampling: convertSampling(body),
  };

  const tools = body.tools?.map((tool): ToolDefinition => ({
    name: tool.function.name,
    ...(tool.function.description != null ? { description: tool.function.description } : {}),
    parameters: tool.function.parameters ?? { type: 'object', properties: {} },
  }));
  if (tools !== undefined && tools.length > 0) request.tools = tools;

  const toolChoice = convertToolChoice(body.tool_choice);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  if (body.parallel_tool_calls != null) request.parallelToolCalls = body.parallel_tool_calls;

  const responseFormat = convertResponseFormat(body.response_format);
  if (responseFormat !== undefined) request.responseFormat = responseFormat;

  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) request.maxTokens = maxTokens;

  const stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  const stops = stop?.filter((s) => s.length > 0);
  if (stops !== undefined && stops.length > 0) request.stop = stops;

  if (body.chat_template_kwargs != null) request.templateKwargs = { ...body.chat_template_kwargs };
  return request;
}

function convertMessages(messages: ChatCompletionMessageParam[], options: ToChatRequestOptions): ChatMessage[] {
  // Tool results carry only the call id; templates often want the function name too.
  const toolNames = new Map<string, string>();
  const out: ChatMessage[] = [];
  for (const [index, message] of messages.entries()) {
    switch (message.role) {
      case 'system':
      case 'developer':
        out.push({ role: 'system', content: joinText(message.content) });
        break;
      case 'user': {
        const content = convertUserContent(message.content, index, options);
        out.push(message.name != null ? { role: 'user', content, name: message.name } : { role: 'user', content });
        break;
      }
      case 'assistant': {
        const converted: Extract<ChatMessage, { role: 'assistant' }> = {
          role: 'assistant',
          content: message.content == null ? '' : joinAssistantContent(message.content),
        };
        if (message.reasoning_content != null && message.reasoning_content !== '') {
          converted.reasoning = message.reasoning_content;
        }
        if (message.tool_calls != null && message.tool_calls.length > 0) {
          converted.toolCalls = message.tool_calls.map((call): ToolCall => {
            toolNames.set(call.id, call.function.name);
            const args = call.function.arguments;
            return {
              id: call.id,
              name: call.function.name,
              arguments: args == null ? '{}' : typeof args === 'string' ? args : JSON.stringify(args),
            };
          });
        }
        out.push(converted);
        break;
      }
      case 'tool': {
        const name = message.name ?? toolNames.get(message.tool_call_id);
        const converted: Extract<ChatMessage, { role: 'tool' }> = {
          role: 'tool',
          content: joinText(message.content),
          toolCallId: message.tool_call_id,
        };
        if (name != null) converted.name = name;
        out.push(converted);
        break;
      }
    }
  }
  return out;
}

function joinText(content: string | Array<{ text: string }>): string {
  return typeof content === 'string' ? content : content.map((p) => p.text).join(PART_SEPARATOR);
}

function joinAssistantContent(content: string | Array<{ type: 'text'; text: string } | { type: 'refusal'; refusal: string }>): string {
  if (typeof content === 'string') return content;
  return content.map((p) => (p.type === 'text' ? p.text : p.refusal)).join(PART_SEPARATOR);
}

type UserContentParam = Extract<ChatCompletionMessageParam, { role: 'user' }>['content'];

/** Content parts become one string, joined as llama.cpp joins text parts; each image becomes a note in its place. */
function convertUserContent(content: UserContentParam, index: number, options: ToChatRequestOptions): string {
  if (typeof content === 'string') return content;
  return content
    .map((part, partIndex) => {
      if (part.type === 'text') return part.text;
      if (options.rejectImages) {
        throw new ApiError('invalid_request', 'this model does not accept images', { param: `messages[${index}].content[${partIndex}]`, code: 'images_not_supported' });
      }
      options.onImageNote?.();
      return imageNote(imageOfUrl(typeof part.image_url === 'string' ? part.image_url : part.image_url.url));
    })
    .join(PART_SEPARATOR);
}

function convertToolChoice(choice: ChatCompletionBody['tool_choice']): ToolChoice | undefined {
  if (choice == null) return undefined;
  if (typeof choice === 'string') return { type: choice };
  return { type: 'function', name: choice.function.name };
}

function convertResponseFormat(format: ChatCompletionBody['response_format']): ResponseFormat | undefined {
  if (format == null) return undefined;
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const { name, schema } = format.json_schema;
      // A json_schema format without a schema constrains to "some JSON object".
      if (schema == null) return { type: 'json_object' };
      return name != null ? { type: 'json_schema', name, schema } : { type: 'json_schema', schema };
    }
  }
}

function convertSampling(body: ChatCompletionBody): SamplingOptions {
  const sampling: SamplingOptions = {};
  if (body.temperature != null) sampling.temperature = body.temperature;
  if (body.top_p != null) sampling.topP = body.top_p;
  if (body.top_k != null) sampling.topK = body.top_k;
  if (body.min_p != null) sampling.minP = body.min_p;
  if (body.seed != null) sampling.seed = body.seed;
  if (body.presence_penalty != null) sampling.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) sampling.frequencyPenalty = body.frequency_penalty;
  if (body.repeat_penalty != null) sampling.repeatPenalty = body.repeat_penalty;
  if (body.logit_bias != null) sampling.logitBias = Object.fromEntries(Object.entries(body.logit_bias).map(([token, bias]) => [Number(token), bias]));
  return sampling;
}
