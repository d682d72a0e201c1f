// ChatRequest messages and tools → the plain objects Hugging Face chat templates expect
// (the OpenAI chat shape that transformers' apply_chat_template and llama.cpp pass in).

import { createHash } from 'node:crypto';
import { ApiError } from '../../errors.js';
import type { ChatMessage, ToolCall, ToolDefinition } from '../types.js';

export interface TemplateToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: Record<string, unknown> | string };
}

export type TemplateMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string; name?: string }
  | { role: 'assistant'; content: string; reasoning_content?: string; thinking?: string; tool_calls?: TemplateToolCall[] }
  | { role: 'tool'; content: string; tool_call_id: string; name?: string };

export interface TemplateTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface ConvertOptions {
  /**
   * Pass tool-call arguments as parsed objects (for templates that do `arguments | tojson` or
   * `arguments.items()`), else as the JSON text (for templates that print them as they are).
   */
  objectArguments: boolean;
  /**
   * Rewrite tool-call ids that are not exactly this many alphanumerics into such ids (Mistral's
   * templates reject any other id). The rewrite is deterministic so prompts stay cacheable.
   */
  toolCallIdLength?: number;
  /** The template has no system role: merge a leading system message into the next message. */
  mergeSystem?: boolean;
  /** Also pass reasoning as `thinking` (the field gpt-oss's and LFM2's templates read). */
  thinkingField?: boolean;
  /**
   * An assistant turn with tool calls carries either reasoning or content, not both (gpt-oss's
   * template raises otherwise): drop the content when there is reasoning, as llama.cpp does.
   */
  reasoningOrContent?: boolean;
}

/**
 * Parse tool-call arguments the way llama.cpp does for templates that want objects: JSON text
 * of an object becomes that object; empty text becomes `{}`. Anything else (invalid JSON, or a
 * JSON array/scalar) stays the string it was — llama.cpp rejects it, we keep the request alive.
 */
export function parseArguments(text: string): Record<string, unknown> | string {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return text;
}

const ALPHANUMERIC = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A stable alphanumeric id of exactly `length` characters for `id` (kept when it already is one). */
export function fixedLengthId(id: string, length: number): string {
  if (id.length === length && /^[a-zA-Z0-9]+$/.test(id)) return id;
  const digest = createHash('sha256').update(id).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[digest[i % digest.length]! % ALPHANUMERIC.length];
  return out;
}

function userText(message: Extract<ChatMessage, { role: 'user' }>, index: number): string {
  if (typeof message.content === 'string') return message.content;
  const texts: string[] = [];
  message.content.forEach((part, partIndex) => {
    if (part.type === 'image') {
      throw new ApiError('invalid_request', 'this model does not accept images', {
        param: `messages[${index}].content[${partIndex}]`,
        code: 'images_not_supported',
      });
    }
    texts.push(part.text);
  });
  // llama.cpp joins text parts with a newline.
  return texts.join('\n');
}

export function toTemplateMessages(messages: readonly ChatMessage[], options: ConvertOptions): TemplateMessage[] {
  const idLength = options.toolCallIdLength;
  const mapId = (id: string): string => (idLength === undefined ? id : fixedLengthId(id, idLength));
  const toolNames = new Map<string, string>();
  const convertCall = (call: ToolCall): TemplateToolCall => {
    toolNames.set(call.id, call.name);
    return {
      id: mapId(call.id),
      type: 'function',
      function: { name: call.name, arguments: options.objectArguments ? parseArguments(call.arguments) : call.arguments },
    };
  };

  const out: TemplateMessage[] = messages.map((message, index): TemplateMessage => {
    switch (message.role) {
      case 'system':
        return { role: 'system', content: message.content };
      case 'user': {
        const content = userText(message, index);
        return message.name === undefined ? { role: 'user', content } : { role: 'user', content, name: message.name };
      }
      case 'assistant': {
        const converted: TemplateMessage = { role: 'assistant', content: message.content };
        const reasoning = message.reasoning !== undefined && message.reasoning !== '' ? message.reasoning : undefined;
        if (reasoning !== undefined) {
          converted.reasoning_content = reasoning;
          if (options.thinkingField) converted.thinking = reasoning;
        }
        if (message.toolCalls?.length) {
          converted.tool_calls = message.toolCalls.map(convertCall);
          if (reasoning !== undefined && options.reasoningOrContent) converted.content = '';
        }
        return converted;
      }
      case 'tool': {
        // Anthropic tool results carry no name; templates such as Llama 3's or Gemma's want it.
        const name = message.name ?? toolNames.get(message.toolCallId);
        const converted: TemplateMessage = { role: 'tool', content: message.content, tool_call_id: mapId(message.toolCallId) };
        if (name !== undefined) converted.name = name;
        return converted;
      }
    }
  });

  if (options.mergeSystem && out[0]?.role === 'system') {
    // What llama.cpp does for templates without a system role: prepend it to the next message.
    const [system, next] = out;
    if (next) next.content = `${system.content}\n${next.content}`;
    out.shift();
  }
  return out;
}

export function toTemplateTools(tools: readonly ToolDefinition[]): TemplateTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      // Always present, as llama.cpp does: many templates read it unguarded (Hermes, gpt-oss, Command R+).
      description: tool.description ?? '',
      parameters: tool.parameters,
    },
  }));
}
