// Engine failures that carry facts, not advice: the engine does not know whether the user
// typed flags or wrote a config file, so whoever started it (the CLI) words the remedy.

import { FatalError } from '../errors.js';

export interface ContextCreationFacts {
  /** The cache whose context could not be created. */
  cache: string;
  /** Tokens per slot asked for; 0 = the model's training context. */
  contextSize: number;
  slots: number;
  /** Caches created before it, which already hold their memory. */
  holding: string[];
  /** llama.cpp's (or node-llama-cpp's) own explanation. */
  reason: string;
}

/** A KV cache's context could not be created (usually: not enough memory for n_ctx × slots). */
export class ContextCreationError extends FatalError {
  constructor(
    readonly facts: ContextCreationFacts,
    cause?: unknown,
  ) {
    const size = `${facts.contextSize || 'auto'} tokens × ${facts.slots} slots`;
    const holding = facts.holding.length ? ` (the caches before it, ${facts.holding.join(', ')}, already hold their memory)` : '';
    super(`Could not create cache "${facts.cache}" (a context of ${size}): ${facts.reason}${holding}`, { cause });
    this.name = 'ContextCreationError';
  }
}

/** The message of anything thrown, for logs and error texts that quote native failures. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
