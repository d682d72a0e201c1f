// Request headers as routing sees them: lower-case names, one string each, credentials gone
// (they must not reach logs, traces or rules).

const DROPPED = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'cookie', 'set-cookie']);

export function routingHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (value === undefined || DROPPED.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
