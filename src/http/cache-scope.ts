// `--cache-isolation`: which requests may share a slot's cached prompt. Without it, a client can
// tell from `cached_tokens` (or a short time to first token) that another client's prompt began
// with the text it guessed. With it, only requests that send the same API key share: the key is
// hashed, never kept, and requests without one share the anonymous scope.

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export function cacheScopeOf(headers: IncomingHttpHeaders): string {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
  const header = headers['x-api-key'];
  const key = bearer || (Array.isArray(header) ? header[0] : header) || '';
  return key ? createHash('sha256').update(key).digest('hex').slice(0, 16) : 'anonymous';
}
