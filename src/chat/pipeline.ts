// The ChatService the APIs call: render the model's template, run the engine, parse the
// raw output into GenerationEvents.

import type { CompletionEvent, Engine, OutputConstraint } from '../engine/types.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RouteDecision, Router } from '../routing/router.js';
import { newToolCallId } from './ids.js';
import { schemaForGrammar } from './json-schema.js';
import type { OutputParser, ParsedEvent } from './output-parser.js';
import { linkSignals } from './linked-signal.js';
import { type FamilyThinking, templateKwargs, thinkingMarkers } from './thinking-markers.js';
import { ToolArgumentChecker } from './tool-arguments.js';
import { buildToolCallGrammar, literal, mistralSyntaxOf, type ToolCallGrammar } from './tool-grammar/index.js';
import { createOutputParser, templateThinks } from './parsers/index.js';
import type { FamilyId } from './parsers/types.js';
import type { ChatFormat } from './chat-format.js';
import type { DerivedSyntax } from './derived/syntax.js';
import type { ChatService, ChatServiceInfo } from './service.js';
import type { ChatTemplate } from './template.js';
import { conversationKey } from './affinity.js';
import type { ChatRequest, GenerationEvent, PromptInfo, ToolDefinition, Usage } from './types.js';

export interface ChatPipelineOptions {
  engine: Engine;
  template: ChatTemplate;
  logger: Logger;
  /** Output syntax of the model (detected from its template, or --chat-format). */
  family: FamilyId;
  /** How the family was chosen, for /props; with family `derived`, its inferred markup. */
  chatFormat?: ChatFormat;
  /** `auto`: thinking becomes reasoning events; `none`: it stays in the text. */
  reasoningFormat: 'auto' | 'none';
  /** Aborts every running generation (server shutdown). */
  shutdownSignal?: AbortSignal;
  /** Picks the cache each request goes to; without one, everything goes to the engine's default cache. */
  router?: Router;
}

/** `response_format` becomes a grammar: the model can only produce what the client asked for. */
function responseFormatConstraint(request: ChatRequest): OutputConstraint | undefined {
  const format = request.responseFormat;
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json' };
  return { type: 'json_schema', schema: schemaForGrammar(format.schema, 'response_format') };
}

/** Distinct tool sets whose grammars are kept (main agent, subagents, background requests…). */
const TOOL_GRAMMAR_CACHE_SIZE = 16;

export class ChatPipeline implements ChatService {
  readonly info: ChatServiceInfo;
  private readonly engine: Engine;
  private readonly template: ChatTemplate;
  private readonly logger: Logger;
  private readonly shutdownSignal: AbortSignal | undefined;
  private readonly router: Router | undefined;
  private readonly family: FamilyId;
  /** Family `derived`: the markup inferred from the template. */
  private readonly derived: DerivedSyntax | undefined;
  private readonly reasoningFormat: 'auto' | 'none';
  /** Whether the template knows thinking at all; if not, `<think>` in output is plain text (as llama.cpp). */
  private readonly templateThinks: boolean;
  /** Tool-call grammars by tool set, least recently used first. */
  private readonly toolGrammars = new Map<string, Promise<ToolCallGrammar | undefined>>();

  constructor(options: ChatPipelineOptions) {
    this.family = options.family;
    this.derived = options.family === 'derived' ? options.chatFormat?.derived : undefined;
    // A derived syntax knows whether the template thinks (its tags need not be `<think>`).
    this.templateThinks = this.derived ? this.derived.reasoning !== undefined : templateThinks(options.template.source);
    this.reasoningFormat = options.reasoningFormat;
    this.engine = options.engine;
    this.template = options.template;
    this.logger = options.logger;
    this.shutdownSignal = options.shutdownSignal;
    this.router = options.router;
    this.info = {
      modelName: options.engine.info.name,
      loadedAt: Math.floor(Date.now() / 1000),
      slotContextSize: options.engine.info.slotContextSize,
      ...(options.chatFormat ? { chatFormat: options.chatFormat } : {}),
    };
  }

  /** The exact prompt text a request renders to (also used for token counting). */
  render(request: ChatRequest): string {
    return this.template.render({
      messages: request.messages,
      ...(request.tools?.length ? { tools: request.tools } : {}),
      addGenerationPrompt: true,
      kwargs: templateKwargs(this.templateThinks, request.templateKwargs),
    });
  }

  /**
   * Where a later prompt may diverge from this one, as offsets in `prompt`: the start of the
   * generation prompt (the next turn re-renders it, often without its think block) and of the
   * last user message's text (a client that edits or retries it). Only a model whose memory
   * cannot roll back to any token needs them (the engine keeps checkpoints there), so only then
   * are the three extra renderings done.
   */
  private reusePoints(request: ChatRequest, prompt: string): number[] {
    if ((this.engine.info.memory?.rollback ?? 'any') === 'any') return [];
    const render = (messages: ChatRequest['messages'], addGenerationPrompt: boolean): string | undefined => {
      try {
        return this.template.render({
          messages,
          ...(request.tools?.length ? { tools: request.tools } : {}),
          addGenerationPrompt,
          kwargs: templateKwargs(this.templateThinks, request.templateKwargs),
        });
      } catch {
        return undefined; // a template may refuse an odd conversation; then there is simply no point
      }
    };
    const points: number[] = [];
    // The last user message's text starts where two renderings with different text in it part.
    // (Rendering the conversation without it is no help: Qwen-style templates then show the
    // previous assistant turn's thinking, which they hide once a user message follows.)
    const last = request.messages.at(-1);
    if (last?.role === 'user') {
      const withText = (text: string) => render([...request.messages.slice(0, -1), { ...last, content: text }], true);
      const [a, b] = [withText('\u0001'), withText('\u0002')];
      if (a !== undefined && b !== undefined) {
        let at = 0;
        while (at < a.length && a[at] === b[at]) at++;
        if (prompt.startsWith(a.slice(0, at))) points.push(at);
      }
    }
    const history = render(request.messages, false);
    if (history !== undefined && prompt.startsWith(history)) points.push(history.length);
    return points;
  }

  /** Prompt tokens of the request: the same rendering and tokenizer as `generate`. */
  countTokens(request: ChatRequest): number {
    return this.engine.countTokens(this.render(request));
  }

  async *generate(request: ChatRequest, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    const prompt = this.render(request);
    const parser = createOutputParser(this.family, {
      reasoningFormat: this.reasoningFormat,
      toolsEnabled: (request.tools?.length ?? 0) > 0 && request.toolChoice?.type !== 'none',
      prompt,
      ...(request.tools ? { tools: request.tools } : {}),
      templateThinks: this.templateThinks,
      ...(this.derived ? { derived: this.derived } : {}),
      newToolCallId,
      warn: (message, details) => {
        this.logger.warn({ requestId: request.id, family: this.family, ...details }, message);
        request.trace?.note(message, details);
      },
    });
    request.trace?.prompt(prompt, { family: this.family, tools: request.tools?.length ?? 0, toolChoice: request.toolChoice?.type ?? 'auto' });
    const thinking = thinkingMarkers(this.family, prompt, this.templateThinks, this.derived);
    const route = this.route(request);
    // A prompt that surely cannot fit is refused before a grammar is built for its tools.
    await this.engine.refuseIfSurelyTooLong?.(prompt, route?.cache, signal);
    const constraint = await this.constraintFor(request, thinking);
    if (constraint) request.trace?.promptDetails({ constraint: constraint.type });
    const linked = this.shutdownSignal ? linkSignals(signal, this.shutdownSignal) : undefined;
    const combined = linked?.signal ?? signal;
    const completion = this.engine.complete({
      id: request.id,
      ...(route ? { cache: route.cache } : {}),
      prompt,
      sampling: request.sampling,
      signal: combined,
      reusePoints: this.reusePoints(request, prompt),
      // The debug trace marks the reused part of the prompt; measuring it costs a detokenize.
      ...(request.trace ? { measureReusedText: true } : {}),
      ...withKey(conversationKey(request)),
      ...(request.cacheScope !== undefined ? { cacheScope: request.cacheScope } : {}),
      ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
      ...(request.stop?.length ? { stop: request.stop } : {}),
      ...(constraint ? { constraint } : {}),
      ...(thinking ? { thinking: { ...thinking, ...(request.reasoningBudget !== undefined ? { budget: request.reasoningBudget } : {}) } } : {}),
    });
    const checker = request.tools?.length ? new ToolArgumentChecker(request.tools) : undefined;
    try {
      yield* this.events(completion, parser, checker, request, route?.rule);
    } finally {
      linked?.dispose();
    }
  }

  /** The engine's events as the API layers want them: parsed output, checked calls, the stop reason. */
  private async *events(
    completion: AsyncIterable<CompletionEvent>,
    parser: OutputParser,
    checker: ToolArgumentChecker | undefined,
    request: ChatRequest,
    rule: string | undefined,
  ): AsyncGenerator<GenerationEvent> {
    for await (const event of completion) {
      switch (event.type) {
        case 'accepted':
          this.logger.debug({ requestId: request.id, ...event }, 'request accepted');
          request.trace?.promptDetails({ promptTokens: event.promptTokens, reusedTokens: event.cachedTokens, route: `slot ${event.slot}` });
          if (event.reusedChars !== undefined) request.trace?.promptDetails({ reusedChars: event.reusedChars });
          yield {
            type: 'accepted',
            promptTokens: event.promptTokens,
            cachedTokens: event.cachedTokens,
            cache: event.cache,
            route: `${event.cache}/slot ${event.slot}`,
            slot: event.slot,
            ...(rule !== undefined ? { rule } : {}),
          };
          break;
        case 'text':
          request.trace?.rawOutput(event.text);
          yield* this.checked(parser.push(event.text), checker, request);
          break;
        case 'done': {
          yield* this.checked(parser.finish(), checker, request);
          request.trace?.promptDetails({ completionTokens: event.usage.completionTokens, stop: event.stop, ...speculationDetails(event.usage) });
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

  /** The cache this request goes to, by the router's rules (system = the system messages' text). */
  private route(request: ChatRequest): RouteDecision | undefined {
    if (!this.router) return undefined;
    const system = request.messages
      .filter((message) => message.role === 'system')
      .map((message) => message.content)
      .join('\n\n');
    const decision = this.router.route({ model: request.model, headers: request.headers ?? {}, system });
    this.logger.debug({ requestId: request.id, cache: decision.cache, rule: decision.rule }, 'request routed');
    request.trace?.promptDetails({ cache: decision.cache, routeRule: decision.rule });
    return decision;
  }

  /**
   * What constrains the output. Tools offered (choice `auto`): a lazy grammar, so a call, once
   * started, can only have the tool's arguments. `required` / a named tool: the grammar applies
   * from the first token, or from the end of thinking when the prompt leaves thinking open.
   * Otherwise `response_format`, if any.
   */
  private async constraintFor(request: ChatRequest, thinking: FamilyThinking | undefined): Promise<OutputConstraint | undefined> {
    const choice = request.toolChoice ?? { type: 'auto' };
    const tools = request.tools ?? [];
    const forced = choice.type === 'required' || choice.type === 'function';
    if (choice.type === 'function' && !tools.some((tool) => tool.name === choice.name)) {
      throw new ApiError('invalid_request', `tool_choice names "${choice.name}", which is not among the tools offered.`, { param: 'tool_choice' });
    }
    if (forced && tools.length === 0) throw new ApiError('invalid_request', `tool_choice "${choice.type}" needs at least one tool in "tools".`, { param: 'tool_choice' });
    if (tools.length === 0 || choice.type === 'none' || (!forced && request.responseFormat && request.responseFormat.type !== 'text')) {
      return responseFormatConstraint(request);
    }
    const grammar = await this.toolGrammar(tools, choice.type === 'function' ? choice.name : undefined, request.parallelToolCalls !== false);
    if (!grammar) return responseFormatConstraint(request);
    if (grammar.approximated.length) {
      const message = 'tool schemas the grammar enforces more strictly than written (e.g. every property of a nested object required)';
      this.logger.debug({ requestId: request.id, tools: grammar.approximated }, message);
      request.trace?.note(message, { tools: grammar.approximated });
    }
    if (grammar.unconstrained.length) {
      const message = 'tool schemas the grammar cannot enforce: their arguments are generated free and validated afterwards';
      this.logger.info({ requestId: request.id, tools: grammar.unconstrained }, message);
      request.trace?.note(message, { tools: grammar.unconstrained });
    }
    const rules = grammar.rules;
    if (!forced) return { type: 'lazy_gbnf', grammar: `root ::= ${grammar.calls}\n${rules}`, triggers: grammar.triggers };
    if (thinking?.startOpen) {
      // Let the model finish thinking; from its end-of-thinking marker on, only calls.
      const root = `root ::= ${literal(thinking.close)} [ \\t\\n]{0,4} ${grammar.calls}`;
      return { type: 'lazy_gbnf', grammar: `${root}\n${rules}`, triggers: [{ text: thinking.close }], insideThinking: true };
    }
    return { type: 'gbnf', grammar: `root ::= ${grammar.calls}\n${rules}` };
  }

  /**
   * The tool-call grammar, built once per tool set: agents send the same tools with every
   * request, and converting two dozen large schemas each time would add to every turn's latency.
   */
  private toolGrammar(tools: readonly ToolDefinition[], only: string | undefined, parallel: boolean): Promise<ToolCallGrammar | undefined> {
    const key = JSON.stringify([tools, only ?? null, parallel]);
    let grammar = this.toolGrammars.get(key);
    if (grammar) {
      // Most recently used last, so the oldest is first to go.
      this.toolGrammars.delete(key);
    } else {
      grammar = buildToolCallGrammar({
        family: this.family,
        tools,
        ...(only !== undefined ? { only } : {}),
        parallel,
        jsonSchemaGrammar: (schema) => this.engine.jsonSchemaGrammar(schema),
        mistralSyntax: mistralSyntaxOf(this.template.source),
        ...(this.derived ? { derived: this.derived } : {}),
      });
      // A failed build is not kept: the next request tries again and reports its own error.
      grammar.catch(() => this.toolGrammars.delete(key));
      if (this.toolGrammars.size >= TOOL_GRAMMAR_CACHE_SIZE) this.toolGrammars.delete(this.toolGrammars.keys().next().value!);
    }
    this.toolGrammars.set(key, grammar);
    return grammar;
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

/** Speculative decoding's figures for the debug trace's 2-prompt.txt. */
function speculationDetails(usage: Usage): PromptInfo {
  const spec = usage.speculative;
  if (!spec) return {};
  return { draftedTokens: spec.drafted, acceptedDraftTokens: spec.accepted, draftAcceptance: spec.drafted > 0 ? (spec.accepted / spec.drafted).toFixed(3) : 'n/a' };
}

function withKey(key: string | undefined): { affinityKey?: string } {
  return key !== undefined ? { affinityKey: key } : {};
}
