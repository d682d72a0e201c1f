// Errors from talking to the Hub, worded for the person at the terminal. A HubError is a
// FatalError (printed without a stack by the CLI); `transient` ones are retried first.
import { FatalError } from '../errors.js';

export class HubError extends FatalError {
  constructor(
    message: string,
    readonly status?: number,
    readonly transient = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubError';
  }
}

export interface ErrorContext {
  endpoint: string;
  repo: string;
  revision: string;
  /** The file being fetched, when the request was for one file. */
  path?: string;
  hasToken: boolean;
}

/** Statuses worth another try: the Hub or CDN is busy or briefly broken. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

function gatedAdvice(context: ErrorContext): string {
  const page = `${context.endpoint}/${context.repo}`;
  return context.hasToken
    ? `Your token has no access to it: open ${page} while logged in as the token's owner and accept the conditions (access may need the authors' approval), then run again.`
    : `Open ${page} while logged in, accept the conditions, create a read token at ${context.endpoint}/settings/tokens, and pass it with --token <token> or HF_TOKEN=<token>.`;
}

/** One clear message for a failed Hub response (X-Error-Code tells repo, revision and file apart). */
export function hubErrorFromResponse(status: number, headers: Headers, context: ErrorContext): HubError {
  const code = headers.get('x-error-code') ?? undefined;
  const serverMessage = headers.get('x-error-message');
  const detail = serverMessage ? ` (Hub says: ${serverMessage})` : '';
  const what = context.path ? `${context.repo}/${context.path}` : context.repo;
  if (code === 'GatedRepo') {
    return new HubError(`${context.repo} is a gated repository (HTTP ${status}). ${gatedAdvice(context)}`, status);
  }
  if (code === 'RevisionNotFound') {
    return new HubError(`Revision "${context.revision}" not found in ${context.repo}${detail}. Check --revision (a branch, tag or commit).`, status);
  }
  if (code === 'EntryNotFound') {
    return new HubError(`File "${context.path ?? '?'}" not found in ${context.repo} at revision ${context.revision}${detail}.`, status);
  }
  if (status === 401 || code === 'RepoNotFound' || (status === 404 && !context.path)) {
    const access = context.hasToken
      ? 'or your token cannot access it (check the token at ' + `${context.endpoint}/settings/tokens)`
      : 'or it is private or gated and needs a token: pass --token <token> or set HF_TOKEN';
    return new HubError(`Repository ${context.repo} not found on ${context.endpoint} (HTTP ${status}): check the name, ${access}${detail}.`, status);
  }
  if (status === 403) {
    return new HubError(`Access to ${what} refused (HTTP 403)${detail}. ${gatedAdvice(context)}`, status);
  }
  if (status === 404) {
    return new HubError(`Not found: ${what} at revision ${context.revision} (HTTP 404)${detail}.`, status);
  }
  return new HubError(`The Hub answered HTTP ${status} for ${what}${detail}.`, status, isTransientStatus(status));
}
