// Request validation for POST /v1/messages and /v1/messages/count_tokens.
// Loose objects everywhere: Claude Code and the SDK send many fields we do not use
// (output_config, context_management, cache_control, citations, …); those are ignored.
// Strict where Anthropic is strict: a missing max_tokens, no messages, empty text blocks.
// Error messages name the field the way Anthropic does: `messages.2.content.0.text: …`.

import { z } from 'zod';
import { ApiError } from '../../errors.js';
import { tooDeepAt, tooDeepMessage, tooDeepParam } from '../../http/json-depth.js';
import { describeFirstIssue, expectedTypes, explainingBranch, type Issue, type Path, valueAt } from '../../http/zod-issues.js';

const JsonObject = z.record(z.string(), z.unknown());

const TextBlock = z.looseObject({
  type: z.literal('text'),
  text: z.string().min(1, 'text content blocks must be non-empty'),
});

const ImageBlock = z.looseObject({
  type: z.literal('image'),
  source: z.looseObject({ type: z.string() }),
});

const ToolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: JsonObject,
});

/** Any block of a type this server does not model (document, search_result, tool_reference, …). */
const OtherBlock = z.looseObject({ type: z.literal('other'), block: z.looseObject({ type: z.string() }) });

/**
 * A block whose `type` is not one of `known` becomes `{type: 'other', block}` before the
 * discriminated union sees it, so unknown (newer) block types pass through to the converter,
 * which turns them into text; known types still get their precise error messages.
 */
function blockUnion<const T extends readonly [z.ZodObject, ...z.ZodObject[]]>(known: T) {
  const types = new Set(known.map((schema) => (schema.shape as { type: z.ZodLiteral<string> }).type.value));
  return z.preprocess(
    (value) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
      const type = (value as { type?: unknown }).type;
      return typeof type === 'string' && !types.has(type) ? { type: 'other', block: value } : value;
    },
    z.discriminatedUnion('type', [...known, OtherBlock]),
  );
}

const ToolResultContentBlock = blockUnion([TextBlock, ImageBlock]);

const ToolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(ToolResultContentBlock)]).nullish(),
  is_error: z.boolean().nullish(),
});

const ThinkingBlock = z.looseObject({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string().nullish(),
});

const RedactedThinkingBlock = z.looseObject({ type: z.literal('redacted_thinking'), data: z.string().nullish() });

const ContentBlock = blockUnion([TextBlock, ImageBlock, ToolUseBlock, ToolResultBlock, ThinkingBlock, RedactedThinkingBlock]);

const Content = z.union([z.string(), z.array(ContentBlock)]);

const MessageParam = z.looseObject({
  role: z.enum(['user', 'assistant', 'system']),
  content: Content,
});

const Tool = z.looseObject({
  name: z.string().min(1),
  description: z.string().nullish(),
  // Required for custom tools; Anthropic's server tools (web_search_…) have none. See request.ts.
  input_schema: JsonObject.nullish(),
  type: z.string().nullish(),
});

const ToolChoiceOptions = { disable_parallel_tool_use: z.boolean().nullish() };
const ToolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), ...ToolChoiceOptions }),
  z.looseObject({ type: z.literal('any'), ...ToolChoiceOptions }),
  z.looseObject({ type: z.literal('tool'), name: z.string().min(1), ...ToolChoiceOptions }),
  z.looseObject({ type: z.literal('none') }),
]);

/** `enabled` needs a budget (checked in request.ts); unknown future modes are ignored. */
const Thinking = z.looseObject({
  type: z.string(),
  budget_tokens: z.number().int().min(1).nullish(),
});

const System = z.union([z.string(), z.array(TextBlock)]);

const CommonFields = {
  model: z.string().min(1),
  messages: z.array(MessageParam).min(1, 'at least one message is required'),
  system: System.nullish(),
  tools: z.array(Tool).nullish(),
  tool_choice: ToolChoice.nullish(),
  thinking: Thinking.nullish(),
};

const OutputFormat = z.looseObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) });

export const MessagesBodySchema = z.looseObject({
  ...CommonFields,
  max_tokens: z.number().int().min(1),
  stream: z.boolean().nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  // Structured outputs: `output_config.format` (Claude Code's title requests use it) and the
  // earlier beta spelling `output_format`.
  output_config: z.looseObject({ format: OutputFormat.nullish() }).nullish(),
  output_format: OutputFormat.nullish(),
});

export const CountTokensBodySchema = z.looseObject(CommonFields);

export type MessagesBody = z.output<typeof MessagesBodySchema>;
export type CountTokensBody = z.output<typeof CountTokensBodySchema>;
export type MessageParamIn = MessagesBody['messages'][number];
export type ContentBlockIn = Exclude<MessageParamIn['content'], string>[number];
export type ToolResultContentIn = Exclude<NonNullable<Extract<ContentBlockIn, { type: 'tool_result' }>['content']>, string>[number];

export function parseMessagesBody(body: unknown): MessagesBody {
  return parse(MessagesBodySchema, body);
}

export function parseCountTokensBody(body: unknown): CountTokensBody {
  return parse(CountTokensBodySchema, body);
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError('invalid_request', 'Request body must be a JSON object');
  }
  const deep = tooDeepAt(body);
  if (deep !== undefined) {
    const param = tooDeepParam(deep, formatPath);
    throw new ApiError('invalid_request', tooDeepMessage(param), { param });
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const { message, param } = describeZodError(result.error, body);
    throw new ApiError('invalid_request', message, param === undefined ? {} : { param });
  }
  return result.data;
}

// ---------------------------------------------------------------------------------------
// Error description, in Anthropic's words where they are known.

/** `['messages', 2, 'content', 0]` → `messages.2.content.0` (Anthropic's notation). */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** One message naming the first field at fault, e.g. `max_tokens: Field required`. */
export function describeZodError(error: z.ZodError, input: unknown): { message: string; param?: string } {
  return describeFirstIssue(error, input, describeIssue, formatPath);
}

function describeIssue(issue: Issue, base: Path, input: unknown): { path: Path; message: string } {
  const path: Path = [...base, ...issue.path];
  const value = valueAt(input, path);
  if (issue.code === 'invalid_type' && value === undefined) return { path, message: 'Field required' };
  if (issue.code !== 'invalid_union') return { path, message: issue.message };

  if (issue.errors.length === 0) {
    // A discriminated union whose discriminator matched no option.
    const options = (issue as { options?: unknown[] }).options;
    // Zod puts the discriminator (`type`, `role`) at the end of the path.
    if (value === undefined) return { path, message: 'Field required' };
    if (Array.isArray(options) && options.length > 0) {
      const list = options.map((o) => JSON.stringify(o)).join(', ');
      return { path, message: `Input tag ${JSON.stringify(value)} does not match any of the expected tags: ${list}` };
    }
    return { path, message: issue.message };
  }
  // A plain union (`string | blocks`): explain the branch that got past the value's type.
  const branch = explainingBranch(issue);
  if (branch) return describeIssue(branch, path, input);
  if (value === undefined) return { path, message: 'Field required' };
  return { path, message: `Input should be ${expectedTypes(issue).join(' or ')}` };
}
