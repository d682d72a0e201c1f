// Request checks that protect a local server: the API key, and the Host-header guard
// against DNS rebinding (a web page whose domain resolves to 127.0.0.1 must not reach us).

import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127(\.\d{1,3}){3}$/.test(host) || host.endsWith('.localhost');
}

/** Strip the port from a Host header value (`[::1]:8000` → `[::1]`, `localhost:8000` → `localhost`). */
export function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  const colon = header.lastIndexOf(':');
  return colon === -1 ? header : header.slice(0, colon);
}

export function hostAllowed(header: string | undefined, boundHost: string): boolean {
  if (!header) return false;
  const name = hostName(header).toLowerCase();
  return isLoopbackHost(name) || name === boundHost.toLowerCase();
}

/** Accepts `Authorization: Bearer <key>` (OpenAI clients) or `x-api-key: <key>` (Anthropic clients). */
export function checkApiKey(headers: IncomingHttpHeaders, expected: string): boolean {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
  const header = headers['x-api-key'];
  const candidates = [bearer, Array.isArray(header) ? header[0] : header].filter((value): value is string => !!value);
  return candidates.some((candidate) => safeEqual(candidate, expected));
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
