// Request validation for POST /v1/chat/completions.
// Loose objects everywhere: clients send many fields we do not know; those are ignored.
// `null` is accepted wherever a field is optional (several clients send explicit nulls).

import { z } from 'zod';
import { ApiError } from '../../errors.js';
import { MAX_JSON_DEPTH, tooDeepAt, tooDeepMessage, tooDeepParam } from '../../http/json-depth.js';
import { describeFirstIssue, expectedTypes, explainingBranch, type Issue, type Path, valueAt } from '../../http/zod-issues.js';

const TextPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const ImageUrlPart = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.union([z.string(), z.looseObject({ url: z.string(), detail: z.string().nullish() })]),
});
const RefusalPart = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });

const TextContent = z.union([z.string(), z.array(TextPart)]);
const UserContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [TextPart, ImageUrlPart]))]);
const AssistantContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [TextPart, RefusalPart]))]);

const JsonObject = z.record(z.string(), z.unknown());

const MessageToolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function').nullish(),
  function: z.looseObject({
    name: z.string().min(1),
    // Spec: a JSON string. Some clients send the object itself; we re-serialize it.
    arguments: z.union([z.string(), JsonObject]).nullish(),
  }),
});

const SystemMessage = z.looseObject({ role: z.literal('system'), content: TextContent, name: z.string().nullish() });
const DeveloperMessage = z.looseObject({
  role: z.literal('developer'),
  content: TextContent,
  name: z.string().nullish(),
});
const UserMessage = z.looseObject({ role: z.literal('user'), content: UserContent, name: z.string().nullish() });
const AssistantMessage = z.looseObject({
  role: z.literal('assistant'),
  content: AssistantContent.nullish(),
  tool_calls: z.array(MessageToolCall).nullish(),
  reasoning_content: z.string().nullish(),
  name: z.string().nullish(),
});
const ToolMessage = z.looseObject({
  role: z.literal('tool'),
  content: TextContent,
  tool_call_id: z.string(),
  name: z.string().nullish(),
});

const Message = z.discriminatedUnion('role', [SystemMessage, DeveloperMessage, UserMessage, AssistantMessage, ToolMessage]);

const Tool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().nullish(),
    parameters: JsonObject.nullish(),
    strict: z.boolean().nullish(),
  }),
});

const ToolChoice = z.union([z.enum(['auto', 'none', 'required']), z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string().min(1) }) })]);

const ResponseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string().nullish(),
      description: z.string().nullish(),
      schema: JsonObject.nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const PositiveInt = z.number().int().min(1);

export const ChatCompletionBodySchema = z.looseObject({
  model: z.string().nullish(),
  messages: z.array(Message).min(1),
  tools: z.array(Tool).nullish(),
  tool_choice: ToolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: ResponseFormat.nullish(),
  max_tokens: PositiveInt.nullish(),
  max_completion_tokens: PositiveInt.nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  repeat_penalty: z.number().min(0).nullish(),
  n: z.number().int().nullish(),
  logprobs: z.boolean().nullish(),
  // Token id (as a JSON object key) → bias added to its logit, as OpenAI and llama-server take it.
  logit_bias: z.record(z.string().regex(/^\d+$/, 'keys must be token ids'), z.number().min(-100).max(100)).nullish(),
  chat_template_kwargs: JsonObject.nullish(),
});

export type ChatCompletionBody = z.output<typeof ChatCompletionBodySchema>;
export type ChatCompletionMessageParam = ChatCompletionBody['messages'][number];

/**
 * Validate a parsed JSON body. Throws `ApiError('invalid_request')` naming the first bad
 * field, e.g. `messages[2].role: Invalid option: expected one of "system"|…`.
 */
export function parseChatCompletionBody(body: unknown): ChatCompletionBody {
  rejectTooDeep(tooDeepAt(body));
  const result = ChatCompletionBodySchema.safeParse(body);
  if (!result.success) {
    const { message, param } = describeZodError(result.error, body);
    throw new ApiError('invalid_request', message, param === undefined ? {} : { param });
  }
  const parsed = result.data;
  checkSemantics(parsed);
  return parsed;
}

function rejectTooDeep(path: Path | undefined): void {
  if (path === undefined) return;
  const param = tooDeepParam(path, formatPath);
  throw new ApiError('invalid_request', tooDeepMessage(param), { param });
}

/** Checks that span fields or reject values the schema accepts. */
function checkSemantics(body: ChatCompletionBody): void {
  // Arguments given as JSON text are parsed when the template renders them: held to the same depth.
  for (const [i, message] of body.messages.entries()) {
    if (message.role !== 'assistant') continue;
    for (const [j, call] of (message.tool_calls ?? []).entries()) {
      const path = ['messages', i, 'tool_calls', j, 'function', 'arguments'];
      if (typeof call.function.arguments === 'string') rejectTooDeep(argumentsTooDeep(call.function.arguments, path));
    }
  }
  if (body.n != null && body.n !== 1) {
    throw new ApiError('invalid_request', `n: only n=1 is supported (got ${body.n})`, { param: 'n' });
  }
  if (body.logprobs === true) {
    throw new ApiError('invalid_request', 'logprobs: log probabilities are not supported by this server', {
      param: 'logprobs',
    });
  }
  const choice = body.tool_choice;
  const tools = body.tools ?? [];
  if (choice != null && typeof choice === 'object') {
    const name = choice.function.name;
    if (!tools.some((tool) => tool.function.name === name)) {
      throw new ApiError('invalid_request', `tool_choice.function.name: no tool named "${name}" in tools`, { param: 'tool_choice.function.name' });
    }
  } else if (choice === 'required' && tools.length === 0) {
    throw new ApiError('invalid_request', 'tool_choice: "required" needs at least one tool in tools', {
      param: 'tool_choice',
    });
  }
  const names = new Set<string>();
  for (const [i, tool] of tools.entries()) {
    if (names.has(tool.function.name)) {
      throw new ApiError('invalid_request', `tools[${i}].function.name: duplicate tool name "${tool.function.name}"`, {
        param: `tools[${i}].function.name`,
      });
    }
    names.add(tool.function.name);
  }
}

/** Where JSON text nests too deep (the path runs on into the parsed value); text that is not JSON is left to the template. */
function argumentsTooDeep(text: string, path: Path): Path | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const inner = tooDeepAt(value, MAX_JSON_DEPTH);
  return inner === undefined ? undefined : [...path, ...inner];
}

// ---------------------------------------------------------------------------------------
// Error description

/** `['messages', 2, 'role']` → `messages[2].role`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Turn a zod error into one message naming the field at fault, and that field as `param`. */
export function describeZodError(error: z.ZodError, input: unknown): { message: string; param?: string } {
  return describeFirstIssue(error, input, describeIssue, formatPath);
}

function describeIssue(issue: Issue, base: Path, input: unknown): { path: Path; message: string } {
  const path: Path = [...base, ...issue.path];
  if (issue.code !== 'invalid_union') return { path, message: issue.message };

  if (issue.errors.length === 0) {
    // Discriminated union whose discriminator matched no option.
    const options = (issue as { options?: unknown[] }).options;
    if (Array.isArray(options) && options.length > 0) {
      const list = options.map((o) => JSON.stringify(o)).join('|');
      const value = valueAt(input, path);
      const prefix = value === undefined ? 'Required: expected one of' : 'Invalid option: expected one of';
      return { path, message: `${prefix} ${list}` };
    }
    return { path, message: issue.message };
  }

  // A plain union: explain the branch that got furthest into the value, if any got past its type.
  const branch = explainingBranch(issue);
  if (branch) return describeIssue(branch, path, input);
  const expected = expectedTypes(issue).join(' or ');
  const value = valueAt(input, path);
  if (value === undefined) return { path, message: `Required: expected ${expected}` };
  return { path, message: `Invalid input: expected ${expected}, received ${describeValue(value)}` };
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
