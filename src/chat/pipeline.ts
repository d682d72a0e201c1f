// The ChatService the APIs call: render the model's template, run the engine, parse the
// raw output into GenerationEvents.

import type { Engine, OutputConstraint } from '../engine/types.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../log.js';
import { randomBytes } from 'node:crypto';
import { schemaForGrammar } from './json-schema.js';
import type { ParsedEvent } from './output-parser.js';
import { ToolArgumentChecker } from './tool-arguments.js';
import { createOutputParser, templateThinks } from './parsers/index.js';
import type { FamilyId } from './parsers/types.js';
import type { ChatService, ChatServiceInfo } from './service.js';
import type { ChatTemplate } from './template.js';
import type { ChatRequest, GenerationEvent } from './types.js';

export interface ChatPipelineOptions {
  engine: Engine;
  template: ChatTemplate;
  logger: Logger;
  /** Output syntax of the model (detected from its template, or --chat-format). */
  family: FamilyId;
  /** `auto`: thinking becomes reasoning events; `none`: it stays in the text. */
  reasoningFormat: 'auto' | 'none';
  /** Aborts every running generation (server shutdown). */
  shutdownSignal?: AbortSignal;
}

/** OpenAI-style tool-call id: `call_` + 24 random alphanumerics. */
function newToolCallId(): string {
  return `call_${randomBytes(18).toString('base64url').replace(/[-_]/g, '').slice(0, 24)}`;
}

/** `response_format` becomes a grammar: the model can only produce what the client asked for. */
function outputConstraint(request: ChatRequest): { constraint?: OutputConstraint } {
  const format = request.responseFormat;
  if (!format || format.type === 'text') return {};
  if (format.type === 'json_object') return { constraint: { type: 'json' } };
  return { constraint: { type: 'json_schema', schema: schemaForGrammar(format.schema, 'response_format') } };
}

export class ChatPipeline implements ChatService {
  readonly info: ChatServiceInfo;
  private readonly engine: Engine;
  private readonly template: ChatTemplate;
  private readonly logger: Logger;
  private readonly shutdownSignal: AbortSignal | undefined;
  private readonly family: FamilyId;
  private readonly reasoningFormat: 'auto' | 'none';
  /** Whether the template knows thinking at all; if not, `<think>` in output is plain text (as llama.cpp). */
  private readonly templateThinks: boolean;

  constructor(options: ChatPipelineOptions) {
    this.templateThinks = templateThinks(options.template.source);
    this.family = options.family;
    this.reasoningFormat = options.reasoningFormat;
    this.engine = options.engine;
    this.template = options.template;
    this.logger = options.logger;
    this.shutdownSignal = options.shutdownSignal;
    this.info = {
      modelName: options.engine.info.name,
      loadedAt: Math.floor(Date.now() / 1000),
      slotContextSize: options.engine.info.slotContextSize,
    };
  }

  /** The exact prompt text a request renders to (also used for token counting). */
  render(request: ChatRequest): string {
    return this.template.render({
      messages: request.messages,
      ...(request.tools?.length ? { tools: request.tools } : {}),
      addGenerationPrompt: true,
      ...(request.templateKwargs ? { kwargs: request.templateKwargs } : {}),
    });
  }

  /** Prompt tokens of the request: the same rendering and tokenizer as `generate`. */
  countTokens(request: ChatRequest): number {
    return this.engine.countTokens(this.render(request));
  }

  async *generate(request: ChatRequest, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    const choice = request.toolChoice?.type;
    if (choice === 'required' || choice === 'function') {
      // Forcing a call needs a per-family grammar; until that exists, say so rather than ignore it.
      throw new ApiError('invalid_request', `tool_choice "${choice === 'function' ? 'function' : 'required'}" is not supported yet; use "auto" or "none".`, { param: 'tool_choice' });
    }
    const prompt = this.render(request);
    const parser = createOutputParser(this.family, {
      reasoningFormat: this.reasoningFormat,
      toolsEnabled: (request.tools?.length ?? 0) > 0 && request.toolChoice?.type !== 'none',
      prompt,
      ...(request.tools ? { tools: request.tools } : {}),
      templateThinks: this.templateThinks,
      newToolCallId,
      warn: (message, details) => {
        this.logger.warn({ requestId: request.id, family: this.family, ...details }, message);
        request.trace?.note(message, details);
      },
    });
    request.trace?.prompt(prompt, { family: this.family, tools: request.tools?.length ?? 0, toolChoice: request.toolChoice?.type ?? 'auto' });
    const combined = this.shutdownSignal ? AbortSignal.any([signal, this.shutdownSignal]) : signal;
    const completion = this.engine.complete({
      id: request.id,
      prompt,
      sampling: request.sampling,
      signal: combined,
      ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
      ...(request.stop?.length ? { stop: request.stop } : {}),
      ...outputConstraint(request),
    });
    const checker = request.tools?.length ? new ToolArgumentChecker(request.tools) : undefined;
    for await (const event of completion) {
      switch (event.type) {
        case 'accepted':
          this.logger.debug({ requestId: request.id, ...event }, 'request accepted');
          request.trace?.promptDetails({ promptTokens: event.promptTokens, reusedTokens: event.cachedTokens, route: `slot ${event.slot}` });
          yield { type: 'accepted', promptTokens: event.promptTokens, cachedTokens: event.cachedTokens, route: `slot ${event.slot}` };
          break;
        case 'text':
          request.trace?.rawOutput(event.text);
          yield* this.checked(parser.push(event.text), checker, request);
          break;
        case 'done': {
          yield* this.checked(parser.finish(), checker, request);
          request.trace?.promptDetails({ completionTokens: event.usage.completionTokens, stop: event.stop });
          const stop = parser.toolCalls > 0 && event.stop === 'end' ? 'tool_calls' : event.stop;
          yield {
            type: 'done',
            stop,
            ...(event.stopSequence !== undefined ? { stopSequence: event.stopSequence } : {}),
            usage: event.usage,
          };
          break;
        }
      }
    }
  }

  /** Pass parsed events on unchanged, logging calls that do not fit the offered tools. */
  private *checked(events: ParsedEvent[], checker: ToolArgumentChecker | undefined, request: ChatRequest): Generator<ParsedEvent> {
    for (const event of events) {
      const problem = checker?.observe(event);
      if (problem) {
        const message = `tool call passed on as generated: ${problem.problem}`;
        this.logger.warn({ requestId: request.id, tool: problem.name }, message);
        request.trace?.note(message, { tool: problem.name });
      }
      yield event;
    }
  }
}
