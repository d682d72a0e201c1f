// Validated Messages body → the internal ChatRequest. Pure: no I/O, no clock.
//
// Anthropic's conversation shape differs from the chat-template shape in three ways this
// file bridges:
//   - the system prompt is a top-level field (string or text blocks), and SDK 1.x also allows
//     `role: "system"` entries inside `messages`;
//   - tool calls and tool results are content blocks (`tool_use` in assistant turns,
//     `tool_result` in user turns) instead of separate messages;
//   - consecutive turns of the same role are allowed (Anthropic merges them).

import { imageNote, imageOfUrl, inlineImage, type ImageInfo } from '../../chat/image-note.js';
import type { ChatMessage, ChatRequest, SamplingOptions, ToolCall, ToolChoice, ToolDefinition } from '../../chat/types.js';
import { ApiError } from '../../errors.js';
import type { ContentBlockIn, CountTokensBody, MessageParamIn, MessagesBody, ToolResultContentIn } from './schema.js';

export interface ToChatRequestOptions {
  /** Server-assigned request id (the `msg_…` id). */
  id: string;
  /**
   * `--reject-images`: an image is a 400 `images_not_supported`. Otherwise each image becomes a
   * text note in its place (chat/image-note.ts): no model served has vision.
   */
  rejectImages?: boolean;
  /** Called for every image replaced by a note (the route logs one warning per request). */
  onImageNote?(): void;
}

/** Text blocks of one turn (and system blocks) are joined with this, as llama.cpp joins text parts. */
const PART_SEPARATOR = '\n';

/** A content block with the path it had in the request, for error messages after merging. */
interface PlacedBlock {
  block: ContentBlockIn;
  path: string;
}

interface Turn {
  role: 'user' | 'assistant';
  blocks: PlacedBlock[];
}

export function toChatRequest(body: MessagesBody, options: ToChatRequestOptions): ChatRequest {
  const request = toCountRequest(body, options);
  request.maxTokens = body.max_tokens;
  const stops = body.stop_sequences?.filter((s) => s.length > 0);
  if (stops !== undefined && stops.length > 0) request.stop = stops;
  request.sampling = convertSampling(body);
  const format = body.output_config?.format ?? body.output_format;
  if (format) request.responseFormat = { type: 'json_schema', schema: format.schema };
  return request;
}

/**
 * The part of the conversion that decides the prompt: messages, system, tools, thinking.
 * count_tokens uses it alone, so its count is exactly the prompt the same request would render.
 */
export function toCountRequest(body: CountTokensBody, options: ToChatRequestOptions): ChatRequest {
  checkMessages(body.messages);
  const { system, turns } = splitSystem(body.messages);
  const systemText = [...systemParts(body.system), ...system].join(PART_SEPARATOR);
  // Claude Code's per-request varying text is already gone: routes.ts runs
  // neutraliseClaudeCodeRequest (claude-code-prompt.ts) on the raw body.
  const messages: ChatMessage[] = systemText === '' ? [] : [{ role: 'system', content: systemText }];
  for (const turn of mergeTurns(turns)) messages.push(...convertTurn(turn, options));

  const request: ChatRequest = { id: options.id, model: body.model, messages, sampling: {} };
  const tools = convertTools(body.tools);
  if (tools.length > 0) request.tools = tools;
  applyToolChoice(request, body.tool_choice, tools);
  applyThinking(request, body.thinking);
  return request;
}

// ---------------------------------------------------------------------------------------
// System prompt and turns

function systemParts(system: CountTokensBody['system']): string[] {
  if (system == null) return [];
  if (typeof system === 'string') return system === '' ? [] : [system];
  return system.map((block) => block.text);
}

function textOf(content: MessageParamIn['content']): string {
  if (typeof content === 'string') return content;
  return content
    .map(blockText)
    .filter((t) => t !== '')
    .join(PART_SEPARATOR);
}

/**
 * `role: "system"` entries before the first turn extend the system prompt. Later ones become
 * user text in place: most chat templates accept a system message only at the start (Qwen 3.5
 * and Mistral raise otherwise), and the rest of the prompt must not move (prefix caching).
 */
function splitSystem(messages: MessageParamIn[]): { system: string[]; turns: Turn[] } {
  const system: string[] = [];
  const turns: Turn[] = [];
  messages.forEach((message, index) => {
    if (message.role === 'system') {
      const text = textOf(message.content);
      if (turns.length === 0) {
        if (text !== '') system.push(text);
      } else if (text !== '') {
        turns.push({ role: 'user', blocks: [{ block: { type: 'text', text }, path: `messages.${index}.content` }] });
      }
      return;
    }
    const content = message.content;
    const blocks: PlacedBlock[] =
      typeof content === 'string'
        ? [{ block: { type: 'text', text: content }, path: `messages.${index}.content` }]
        : content.map((block, i) => ({ block, path: `messages.${index}.content.${i}` }));
    turns.push({ role: message.role, blocks });
  });
  return { system, turns };
}

/** Consecutive turns of one role become one turn, as Anthropic's API does. */
function mergeTurns(turns: Turn[]): Turn[] {
  const out: Turn[] = [];
  for (const turn of turns) {
    const last = out[out.length - 1];
    if (last?.role === turn.role) last.blocks.push(...turn.blocks);
    else out.push({ role: turn.role, blocks: [...turn.blocks] });
  }
  return out;
}

/**
 * Non-empty content, and every `tool_result` must answer a `tool_use` of an earlier assistant turn (Anthropic checks
 * this; a template would otherwise render a result for a call the model never made).
 */
function checkMessages(messages: MessageParamIn[]): void {
  const seen = new Set<string>();
  messages.forEach((message, index) => {
    // Anthropic's rule: every message has content, except an optional final assistant message.
    const empty = message.content.length === 0;
    if (empty && !(message.role === 'assistant' && index === messages.length - 1)) {
      throw invalid(`messages.${index}.content`, `${message.role} messages must have non-empty content`);
    }
    if (typeof message.content === 'string') return;
    message.content.forEach((block, i) => {
      if (block.type === 'tool_use') {
        if (message.role !== 'assistant') {
          throw invalid(`messages.${index}.content.${i}`, '`tool_use` blocks are only allowed in assistant messages');
        }
        seen.add(block.id);
      } else if (block.type === 'tool_result') {
        if (message.role !== 'user') {
          throw invalid(`messages.${index}.content.${i}`, '`tool_result` blocks are only allowed in user messages');
        }
        if (!seen.has(block.tool_use_id)) {
          throw invalid(
            `messages.${index}.content.${i}.tool_use_id`,
            `unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in a previous message.`,
          );
        }
      }
    });
  });
}

function convertTurn(turn: Turn, options: ToChatRequestOptions): ChatMessage[] {
  return turn.role === 'user' ? convertUserTurn(turn.blocks, options) : [convertAssistantTurn(turn.blocks, options)];
}

/** Tool results become `tool` messages in order, followed by the turn's other content as one user message. */
function convertUserTurn(blocks: PlacedBlock[], options: ToChatRequestOptions): ChatMessage[] {
  const out: ChatMessage[] = [];
  const texts: string[] = [];
  for (const { block, path } of blocks) {
    switch (block.type) {
      case 'tool_result':
        out.push({ role: 'tool', toolCallId: block.tool_use_id, content: toolResultText(block.content, path, options) });
        break;
      case 'image':
        texts.push(imageText(block, path, options));
        break;
      case 'thinking':
      case 'redacted_thinking':
        // Thinking belongs to assistant turns; a client echoing it in a user turn gains nothing.
        break;
      default: {
        const text = blockText(block);
        if (text !== '') texts.push(text);
      }
    }
  }
  if (texts.length > 0) out.push({ role: 'user', content: texts.join(PART_SEPARATOR) });
  return out;
}

function convertAssistantTurn(blocks: PlacedBlock[], options: ToChatRequestOptions): ChatMessage {
  const texts: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const { block, path } of blocks) {
    switch (block.type) {
      case 'thinking':
        if (block.thinking !== '') reasoning.push(block.thinking);
        break;
      case 'redacted_thinking':
        // Encrypted by Anthropic: nothing a local model could read.
        break;
      case 'tool_use':
        toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) });
        break;
      case 'image':
        texts.push(imageText(block, path, options));
        break;
      default: {
        const text = blockText(block);
        if (text !== '') texts.push(text);
      }
    }
  }
  const message: Extract<ChatMessage, { role: 'assistant' }> = { role: 'assistant', content: texts.join(PART_SEPARATOR) };
  if (reasoning.length > 0) message.reasoning = reasoning.join(PART_SEPARATOR);
  if (toolCalls.length > 0) message.toolCalls = toolCalls;
  return message;
}

function toolResultText(content: Extract<ContentBlockIn, { type: 'tool_result' }>['content'], path: string, options: ToChatRequestOptions): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  const texts: string[] = [];
  content.forEach((block: ToolResultContentIn, i) => {
    const text = block.type === 'image' ? imageText(block, `${path}.content.${i}`, options) : blockText(block);
    if (text !== '') texts.push(text);
  });
  return texts.join(PART_SEPARATOR);
}

/** The note that takes an image's place, or with `rejectImages` the 400 naming the block. */
function imageText(block: Extract<ContentBlockIn, { type: 'image' }>, path: string, options: ToChatRequestOptions): string {
  if (options.rejectImages) {
    throw new ApiError('invalid_request', `${path}: this model does not accept images (the loaded model has no vision support)`, {
      param: path,
      code: 'images_not_supported',
    });
  }
  options.onImageNote?.();
  return imageNote(imageInfo(block.source));
}

function imageInfo(source: Extract<ContentBlockIn, { type: 'image' }>['source']): ImageInfo {
  const { type, media_type: mediaType, data, url } = source as { type: string; media_type?: unknown; data?: unknown; url?: unknown };
  if (type === 'base64' && typeof data === 'string') return inlineImage(typeof mediaType === 'string' ? mediaType : undefined, data);
  if (type === 'url' && typeof url === 'string') return imageOfUrl(url);
  // `file` (an id from Anthropic's Files API) or a newer source type: nothing to look into.
  return { kind: 'other', label: type };
}

// ---------------------------------------------------------------------------------------
// Blocks of types without a place in a chat template, as text

type AnyBlock = { type: string; [key: string]: unknown };

/**
 * Text a model can read for any content block: text as it is; blocks this server does not
 * model (Claude Code's `tool_reference`, documents, search results, newer types) in a short
 * readable form rather than failing the request.
 */
export function blockText(block: AnyBlock): string {
  if (block.type === 'other') return otherBlockText(block.block as AnyBlock);
  if (block.type === 'text') return String(block.text);
  if (block.type === 'image' || block.type === 'thinking' || block.type === 'redacted_thinking') return '';
  return otherBlockText(block);
}

function otherBlockText(block: AnyBlock): string {
  switch (block.type) {
    case 'tool_reference':
      // Claude Code's tool search answers with references to tools it just made available.
      // Every tool is already in our prompt, so the model only needs to know which one.
      return typeof block.tool_name === 'string' ? `Tool loaded: ${block.tool_name}` : '';
    case 'document': {
      const source = block.source as AnyBlock | undefined;
      const title = typeof block.title === 'string' && block.title !== '' ? `${block.title}\n` : '';
      if (source?.type === 'text' && typeof source.data === 'string') return title + source.data;
      if (source?.type === 'content') return title + nestedText(source.content);
      // PDFs and files would need a reader this server does not have.
      return `${title}[document omitted: ${String(source?.type ?? 'unknown')} documents are not supported]`;
    }
    case 'search_result': {
      const head = [block.title, block.source].filter((v) => typeof v === 'string' && v !== '').join('\n');
      return [head, nestedText(block.content)].filter((t) => t !== '').join('\n');
    }
  }
  if (typeof block.text === 'string') return block.text;
  if (block.content !== undefined) return nestedText(block.content);
  // Nothing textual: say what was there so the conversation still reads sensibly.
  const { type, cache_control: _cache, ...rest } = block;
  return Object.keys(rest).length === 0 ? `[${type}]` : `[${type}] ${JSON.stringify(rest)}`;
}

function nestedText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((b): b is AnyBlock => b !== null && typeof b === 'object' && typeof (b as AnyBlock).type === 'string')
    .map((b) => (b.type === 'image' ? '' : blockText(b)))
    .filter((t) => t !== '')
    .join(PART_SEPARATOR);
}

// ---------------------------------------------------------------------------------------
// Tools, tool choice, thinking, sampling

/**
 * Custom tools (no `type`, or `custom`) need an `input_schema`. Anthropic's server tools
 * (`web_search_…`, `code_execution_…`, …) run on Anthropic's side; a local server cannot run
 * them, so they are left out of the prompt rather than offered to a model that cannot use them.
 */
function convertTools(tools: CountTokensBody['tools']): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  const names = new Set<string>();
  (tools ?? []).forEach((tool, index) => {
    const custom = tool.type == null || tool.type === 'custom';
    if (!custom) return;
    if (tool.input_schema == null) throw invalid(`tools.${index}.input_schema`, 'Field required');
    if (names.has(tool.name)) throw invalid(`tools.${index}.name`, `Tool names must be unique: "${tool.name}"`);
    names.add(tool.name);
    out.push({ name: tool.name, ...(tool.description != null ? { description: tool.description } : {}), parameters: tool.input_schema });
  });
  return out;
}

function applyToolChoice(request: ChatRequest, choice: CountTokensBody['tool_choice'], tools: ToolDefinition[]): void {
  if (choice == null) return;
  let converted: ToolChoice;
  switch (choice.type) {
    case 'auto':
      converted = { type: 'auto' };
      break;
    case 'none':
      converted = { type: 'none' };
      break;
    case 'any':
      if (tools.length === 0) throw invalid('tool_choice', 'tool_choice "any" requires at least one tool in `tools`');
      converted = { type: 'required' };
      break;
    case 'tool':
      if (!tools.some((tool) => tool.name === choice.name)) throw invalid('tool_choice.name', `no tool named "${choice.name}" in \`tools\``);
      converted = { type: 'function', name: choice.name };
      break;
  }
  request.toolChoice = converted;
  if (choice.type !== 'none' && choice.disable_parallel_tool_use === true) request.parallelToolCalls = false;
}

/**
 * `thinking` maps onto the template switch most thinking models read (`enable_thinking`) and
 * the pipeline's reasoning budget. `adaptive` lets the model decide how much: no budget.
 */
function applyThinking(request: ChatRequest, thinking: CountTokensBody['thinking']): void {
  if (thinking == null) return;
  switch (thinking.type) {
    case 'enabled':
      if (thinking.budget_tokens == null) throw invalid('thinking.enabled.budget_tokens', 'Field required');
      request.reasoningBudget = thinking.budget_tokens;
      request.templateKwargs = { ...request.templateKwargs, enable_thinking: true };
      break;
    case 'adaptive':
      request.templateKwargs = { ...request.templateKwargs, enable_thinking: true };
      break;
    case 'disabled':
      request.reasoningBudget = 0;
      request.templateKwargs = { ...request.templateKwargs, enable_thinking: false };
      break;
    default:
    // A newer mode this server does not know: leave the model's default.
  }
}

function convertSampling(body: MessagesBody): SamplingOptions {
  const sampling: SamplingOptions = {};
  if (body.temperature != null) sampling.temperature = body.temperature;
  if (body.top_p != null) sampling.topP = body.top_p;
  if (body.top_k != null) sampling.topK = body.top_k;
  return sampling;
}

function invalid(param: string, message: string): ApiError {
  return new ApiError('invalid_request', `${param}: ${message}`, { param });
}
