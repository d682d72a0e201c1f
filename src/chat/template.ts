// The model's own chat template, rendered by us.
//
// A ChatTemplate is created once per model: it parses the Jinja source once (a template that
// does not parse fails at load time), probes what the template can do (system role, tool-call
// argument shape, id format — as llama.cpp does) and then renders ChatRequest messages into the
// prompt text on every request.
//
// Rendering uses @huggingface/jinja's parser and a subclass of its interpreter that behaves
// more like Python's Jinja2 (template/interpreter.ts). The context matches what transformers'
// apply_chat_template and llama.cpp give templates: messages in the OpenAI shape, `tools` as
// OpenAI function objects, `add_generation_prompt`, `bos_token`, `eos_token`,
// `raise_exception`, `strftime_now`, llama.cpp's `date_string` / `datetime`, and the request's
// chat_template_kwargs (`enable_thinking`, `reasoning_effort`, …).
//
// Real templates: template.test.ts renders all 70 of llama.cpp's models/templates/*.jinja in four
// conversations and compares the output with Python Jinja2 under transformers' settings
// (template/golden/). Every one renders byte-identical to Jinja2 wherever Jinja2 renders, except:
//   functionary-medium-v3.1  differs in tool descriptions: Python's Markup (from `|safe`) HTML-
//                            escapes strings added to it; we print them as they are.
// and these fail in Jinja2 too, by design of the template:
//   Mistral Nemo / Small 3.2 / Ministral 3  raise on a user message right after tool results
//                            (an assistant message must come between), as in transformers.
//   Gemma 2                  raises on tool turns; has no system role (we merge the system
//                            message into the first user turn, as llama.cpp does).
//   Command R+ (tool_use)    needs a description on every tool parameter.
//   firefunction-v2          needs a `functions` variable transformers does not provide (we give
//                            it the tools, see FUNCTIONS_VARIABLE).
// What it took (template/interpreter.ts): Python's printing (True, None, reprs), str.format /
// join / find / strip(chars), list.append / pop, dict.update, int dict keys (Seed-OSS's
// `{0: 0, 512: 128, …}` with `|dictsort` and `[16384]`), the filters min / max / sum /
// string (repr) / map(filter) / select / reject / from_json, `is float`, undefined iterating as
// empty, tuple unpacking in for, output kept before {% break %}; and, in the context, arguments
// as objects or text per template (template/caps.ts), `description` always present on tools,
// tool names on tool results, 9-character ids for Mistral, reasoning as `thinking` for gpt-oss.

import { ApiError, FatalError } from '../errors.js';
import { DEFAULT_RENDER_LIMITS, RenderBudget, TemplateBudgetError, type RenderLimits } from './template/budget.js';
import { detectCaps, type TemplateCaps } from './template/caps.js';
import { CompatInterpreter } from './template/interpreter.js';
import { Environment, Template, type Statement } from './template/jinja.js';
import { checkJinjaVersion } from './template/jinja-version.js';
import { toTemplateMessages, toTemplateTools } from './template/messages.js';
import { strftime } from './template/python.js';
import type { ChatMessage, ToolDefinition } from './types.js';

export type { TemplateCaps } from './template/caps.js';
export { fixedLengthId, parseArguments, type TemplateMessage, type TemplateTool } from './template/messages.js';
export { strftime } from './template/python.js';

/**
 * Used when a model has no `tokenizer.chat_template`. ChatML (`<|im_start|>role\n…<|im_end|>`)
 * because it is what llama.cpp falls back to and what transformers used as its default, so
 * untemplated models are most likely to have seen it; it is also the format of the Qwen, Hermes
 * and many fine-tuned families. Tools use the Hermes / Qwen 2.5 convention (`<tools>` in the
 * system message, `<tool_call>` JSON, `<tool_response>`), so history with tool calls is not lost.
 * Without tools it is exactly plain ChatML.
 */
export const DEFAULT_CHAT_TEMPLATE = `{%- if tools %}
{{- '<|im_start|>system\\n' }}
{%- if messages[0].role == 'system' %}{{- messages[0].content + '\\n\\n' }}{%- endif %}
{{- '# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>' }}
{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}
{{- '\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{"name": <function-name>, "arguments": <args-json-object>}\\n</tool_call><|im_end|>\\n' }}
{%- elif messages[0].role == 'system' %}
{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'system' and loop.first %}
{%- elif message.role == 'tool' %}
{%- if loop.first or loop.previtem.role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}
{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}
{%- if loop.last or loop.nextitem.role != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}
{%- else %}
{{- '<|im_start|>' + message.role + '\\n' + message.content }}
{%- for call in message.tool_calls or [] %}
{%- if loop.first and message.content %}{{- '\\n' }}{%- elif not loop.first %}{{- '\\n' }}{%- endif %}
{{- '<tool_call>\\n{"name": ' + (call.function.name | tojson) + ', "arguments": ' + (call.function.arguments | tojson) + '}\\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
`;

export interface ChatTemplateOptions {
  /** Text of the model's BOS token (`bos_token` in templates). */
  bosToken?: string;
  /** Text of the model's EOS token (`eos_token` in templates). */
  eosToken?: string;
  /** Where the template came from, for load errors (e.g. `tokenizer.chat_template of model.gguf`). */
  origin?: string;
  /** What one rendering may spend (template/budget.ts); defaults for anything unset. */
  limits?: Partial<RenderLimits>;
}

export interface RenderInput {
  messages: readonly ChatMessage[];
  tools?: readonly ToolDefinition[] | undefined;
  /** Append the assistant header that starts the model's turn. Default true. */
  addGenerationPrompt?: boolean;
  /** Extra template variables (OpenAI `chat_template_kwargs`). Cannot replace the standard ones. */
  kwargs?: Record<string, unknown> | undefined;
  /** The time `strftime_now` and `date_string` report. Default: now. */
  now?: Date;
}

/** Names the renderer provides; kwargs with these names are ignored. */
const RESERVED = new Set([
  'messages',
  'tools',
  'add_generation_prompt',
  'bos_token',
  'eos_token',
  'raise_exception',
  'strftime_now',
  'range',
  'namespace',
  'true',
  'false',
  'none',
  'True',
  'False',
  'None',
]);

/**
 * FireFunction v2's template appends a `functions` variable to its system prompt ("Available
 * functions as JSON spec:" + functions): Fireworks' model card passes `json.dumps(functions)`,
 * Ollama the tools as JSON. Without it Jinja2 fails and llama.cpp renders nothing there, so the
 * model never sees its tools. Templates that read it get the tools (`[]` without tools) as
 * Python's json.dumps writes them.
 */
const FUNCTIONS_VARIABLE = /\+\s*functions\b/;

/** Python's `json.dumps` with its default separators (`, ` and `: `); non-ASCII kept. */
function pyJsonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pyJsonDumps(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** Thrown by raise_exception inside a template. */
class TemplateRaise extends Error {}

/** Python's range(), its length checked against the rendering's budget before the list is built. */
function rangeWithin(budget: RenderBudget): (...args: number[]) => number[] {
  return (...args) => {
    const [start = 0, stop = 0, step = 1] = args.length <= 1 ? [0, args[0] ?? 0] : args;
    if (step === 0) throw new Error('range() arg 3 must not be zero');
    budget.range(Math.max(0, Math.ceil((stop - start) / step)));
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  };
}

export class ChatTemplate {
  readonly source: string;
  readonly caps: TemplateCaps;
  private readonly program: Statement;
  private readonly bosToken: string;
  private readonly eosToken: string;
  /** The template reads a `functions` variable (FUNCTIONS_VARIABLE). */
  private readonly readsFunctions: boolean;
  private readonly limits: RenderLimits;

  constructor(source: string, options: ChatTemplateOptions = {}) {
    // The interpreter subclasses @huggingface/jinja's internals: only the measured version will do.
    checkJinjaVersion();
    this.source = source;
    this.readsFunctions = FUNCTIONS_VARIABLE.test(source);
    this.bosToken = options.bosToken ?? '';
    this.eosToken = options.eosToken ?? '';
    this.limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
    try {
      this.program = new Template(source).parsed;
    } catch (error) {
      const where = options.origin ? ` (${options.origin})` : '';
      throw new FatalError(`The chat template${where} could not be parsed: ${(error as Error).message}`, { cause: error });
    }
    try {
      this.caps = detectCaps(source, (context, prepare) => this.renderRaw(context, new Date(), prepare));
    } catch (error) {
      if (!(error instanceof TemplateBudgetError)) throw error;
      const where = options.origin ? ` (${options.origin})` : '';
      throw new FatalError(`The chat template${where} went over its rendering limits on a plain conversation: ${error.message}`, { cause: error });
    }
  }

  /** Render a conversation into prompt text. Throws ApiError for input the template rejects. */
  render(input: RenderInput): string {
    const caps = this.caps;
    const messages = toTemplateMessages(input.messages, {
      objectArguments: caps.objectArguments,
      mergeSystem: !caps.systemRole,
      thinkingField: caps.thinkingField,
      reasoningOrContent: caps.reasoningOrContent,
      ...(caps.toolCallIdLength !== undefined ? { toolCallIdLength: caps.toolCallIdLength } : {}),
    });
    const context: Record<string, unknown> = {
      messages,
      add_generation_prompt: input.addGenerationPrompt ?? true,
    };
    if (input.tools?.length) context.tools = toTemplateTools(input.tools);
    for (const [key, value] of Object.entries(input.kwargs ?? {})) {
      if (!RESERVED.has(key) && value !== undefined) context[key] = value;
    }
    try {
      return this.renderRaw(context, input.now ?? new Date());
    } catch (error) {
      if (error instanceof TemplateRaise) {
        throw new ApiError('invalid_request', `chat template error: ${error.message}`, { code: 'chat_template_error' });
      }
      if (error instanceof ApiError) throw error;
      if (error instanceof TemplateBudgetError) {
        throw new ApiError('internal', `the chat template went over its rendering limits: ${error.message}`, { code: 'chat_template_limit', cause: error });
      }
      throw new ApiError('internal', `the chat template could not be rendered: ${(error as Error).message}`, {
        code: 'chat_template_failed',
        cause: error,
      });
    }
  }

  /**
   * Render with a context in the template's own terms (messages already in the OpenAI shape).
   * Standard globals are added; `context` entries win over `date_string` / `datetime` only.
   */
  renderRaw(context: Record<string, unknown>, now: Date = new Date(), prepare?: (env: Environment) => void): string {
    const env = new Environment();
    env.set('true', true);
    env.set('false', false);
    env.set('none', null);
    env.set('True', true);
    env.set('False', false);
    env.set('None', null);
    const budget = new RenderBudget(this.limits);
    env.set('range', rangeWithin(budget));
    env.set('raise_exception', (message: unknown) => {
      throw new TemplateRaise(String(message));
    });
    env.set('strftime_now', (format: unknown) => strftime(now, String(format)));
    env.set('bos_token', this.bosToken);
    env.set('eos_token', this.eosToken);
    for (const [key, value] of Object.entries(context)) {
      if (!env.variables.has(key)) env.set(key, value);
    }
    // llama.cpp's extra context (Llama 3.x reads date_string, firefunction datetime).
    if (!env.variables.has('date_string')) env.set('date_string', strftime(now, '%d %b %Y'));
    if (!env.variables.has('datetime')) env.set('datetime', strftime(now, '%b %d %Y'));
    // Also while probing caps, so FireFunction v2's are detected (FUNCTIONS_VARIABLE).
    if (this.readsFunctions && !env.variables.has('functions')) env.set('functions', pyJsonDumps(context.tools ?? []));
    prepare?.(env);
    // The library implements {% break %} / {% continue %} by throwing Error subclasses; capturing
    // their stack traces made gpt-oss's template (a break per message) 10x slower. Rendering is
    // synchronous, so nothing else runs while the limit is lowered.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return String(new CompatInterpreter(env, budget).run(this.program).value);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }
}
