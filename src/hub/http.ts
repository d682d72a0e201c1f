// HTTP for the Hub: redirects followed by hand so the token goes only to the Hub's own origin
// (file downloads 302 to a CDN host that must never see it), and retries with backoff.
import { setTimeout as sleep } from 'node:timers/promises';
import { HubError } from './errors.js';

export interface HubRequest {
  /** Sent as `Authorization: Bearer …`, only to `tokenOrigin`. */
  token?: string;
  /** The origin (scheme://host:port) allowed to see the token: the Hub endpoint's. */
  tokenOrigin: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  maxRedirects?: number;
}

export interface HubResponse {
  response: Response;
  /** The URL that finally answered. */
  url: string;
  /** Headers of the first response (the Hub's own, with X-Linked-Size / X-Linked-Etag when it redirected). */
  firstHeaders: Headers;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
export const USER_AGENT = 'llama-bridge-hfd/1';

export async function hubFetch(url: string, request: HubRequest): Promise<HubResponse> {
  let current = new URL(url);
  let firstHeaders: Headers | undefined;
  const maxRedirects = request.maxRedirects ?? 10;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...request.headers };
    if (request.token && current.origin === request.tokenOrigin) headers.authorization = `Bearer ${request.token}`;
    let response: Response;
    try {
      response = await fetch(current, { headers, redirect: 'manual', ...(request.signal ? { signal: request.signal } : {}) });
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason ?? error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new HubError(`Could not reach ${current.host}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, undefined, true, { cause: error });
    }
    firstHeaders ??= response.headers;
    if (!REDIRECTS.has(response.status)) return { response, url: current.href, firstHeaders };
    const location = response.headers.get('location');
    await response.body?.cancel().catch(() => undefined);
    if (!location) throw new HubError(`${current.host} answered HTTP ${response.status} without a Location header.`, response.status, true);
    if (hop >= maxRedirects) throw new HubError(`Too many redirects fetching ${url}.`);
    const next = new URL(location, current);
    if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new HubError(`Refusing redirect to ${next.protocol} URL.`);
    current = next;
  }
}

export interface RetryOptions {
  /** Attempts after the first failure before giving up (default 5). */
  retries?: number;
  /** First wait in ms, doubled each time (default 1000), capped at `maxDelayMs` (default 30000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export function isTransient(error: unknown): boolean {
  return error instanceof HubError && error.transient;
}

export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? 1000;
  const capped = Math.min(options.maxDelayMs ?? 30_000, base * 2 ** attempt);
  return capped / 2 + Math.random() * (capped / 2); // jitter: runs started together do not retry in step
}

/** Runs `work` until it succeeds, retrying transient HubErrors with exponential backoff. */
export async function withRetries<T>(
  work: () => Promise<T>,
  options: RetryOptions & { signal?: AbortSignal; onRetry?: (error: HubError, delayMs: number) => void } = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isTransient(error) || attempt >= (options.retries ?? 5)) throw error;
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(error as HubError, delay);
      await sleep(delay, undefined, options.signal ? { signal: options.signal } : undefined);
    }
  }
}
