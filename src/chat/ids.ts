// Random ids: tool calls the pipeline parses get OpenAI-style ids here; the APIs make their own
// message ids from the same alphabet.

import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `n` random base62 characters (rejection sampling, so every character is equally likely). */
export function randomBase62(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const byte of randomBytes(n * 2)) {
      // 248 = 4 × 62: bytes above it would favour the first characters.
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === n) break;
    }
  }
  return out;
}

/** OpenAI-style tool-call id: `call_` + 24 random alphanumerics. */
export function newToolCallId(): string {
  return `call_${randomBase62(24)}`;
}
