// One error class for everything a client can be told about. Each API maps the
// `kind` to its own envelope (OpenAI: {error:{message,type,param,code}},
// Anthropic: {type:"error",error:{type,message}}).

export type ErrorKind =
  | 'invalid_request' // 400
  | 'authentication' // 401
  | 'permission' // 403
  | 'not_found' // 404
  | 'request_too_large' // 413
  | 'rate_limit' // 429
  | 'internal' // 500
  | 'unavailable' // 503: model still loading
  | 'overloaded'; // 503 (OpenAI) / 529 (Anthropic): queue full

const STATUS: Record<ErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  request_too_large: 413,
  rate_limit: 429,
  internal: 500,
  unavailable: 503,
  overloaded: 503,
};

export interface ApiErrorOptions {
  /** The request field at fault, e.g. `messages[2].role`. */
  param?: string;
  /** A short machine-readable code, e.g. `context_length_exceeded`. */
  code?: string;
  /** Seconds a client should wait before retrying (sent as Retry-After). */
  retryAfter?: number;
  cause?: unknown;
}

export class ApiError extends Error {
  readonly kind: ErrorKind;
  readonly param?: string;
  readonly code?: string;
  readonly retryAfter?: number;

  constructor(kind: ErrorKind, message: string, options: ApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.kind = kind;
    if (options.param !== undefined) this.param = options.param;
    if (options.code !== undefined) this.code = options.code;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }

  get status(): number {
    return STATUS[this.kind];
  }
}

/** A user-facing startup failure (bad model file, bad flag): printed without a stack, exit code 1. */
export class FatalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FatalError';
  }
}

/** A prompt that does not fit the slot's context. Each API words it its own way (Claude Code matches Anthropic's). */
export class ContextOverflowError extends ApiError {
  constructor(
    /** The prompt's length in tokens (with `atLeast`: a lower bound, from counting it in pieces). */
    readonly promptTokens: number,
    readonly contextSize: number,
    options: { atLeast?: boolean } = {},
  ) {
    super(
      'invalid_request',
      `The prompt is ${options.atLeast ? 'at least ' : ''}${promptTokens} tokens long, but the context holds at most ${contextSize} tokens (including at least one generated token). Shorten the conversation, or serve the model with a larger context per slot (n_ctx).`,
      { param: 'messages', code: 'context_length_exceeded' },
    );
  }
}
