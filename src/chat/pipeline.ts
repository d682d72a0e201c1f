// The ChatService the APIs call: render the model's template, run the engine, parse the
// raw output into GenerationEvents.

import type { Engine } from '../engine/types.js';
import type { Logger } from '../log.js';
import { PlainTextParser, type OutputParser } from './output-parser.js';
import type { ChatService, ChatServiceInfo } from './service.js';
import type { ChatTemplate } from './template.js';
import type { ChatRequest, GenerationEvent } from './types.js';

export interface ChatPipelineOptions {
  engine: Engine;
  template: ChatTemplate;
  logger: Logger;
  /** Aborts every running generation (server shutdown). */
  shutdownSignal?: AbortSignal;
}

export class ChatPipeline implements ChatService {
  readonly info: ChatServiceInfo;
  private readonly engine: Engine;
  private readonly template: ChatTemplate;
  private readonly logger: Logger;
  private readonly shutdownSignal: AbortSignal | undefined;

  constructor(options: ChatPipelineOptions) {
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

  async *generate(request: ChatRequest, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    const prompt = this.render(request);
    const parser: OutputParser = new PlainTextParser();
    const combined = this.shutdownSignal ? AbortSignal.any([signal, this.shutdownSignal]) : signal;
    const completion = this.engine.complete({
      id: request.id,
      prompt,
      sampling: request.sampling,
      signal: combined,
      ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
      ...(request.stop?.length ? { stop: request.stop } : {}),
    });
    for await (const event of completion) {
      switch (event.type) {
        case 'accepted':
          this.logger.debug({ requestId: request.id, ...event }, 'request accepted');
          yield { type: 'accepted', promptTokens: event.promptTokens, cachedTokens: event.cachedTokens, route: `slot ${event.slot}` };
          break;
        case 'text':
          yield* parser.push(event.text);
          break;
        case 'done': {
          yield* parser.finish();
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
}
