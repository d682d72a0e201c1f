// `npm run replay -- <session.jsonl> [--url URL] [--api-key KEY] [--max-tokens N]`
//
// Replays a recorded sequence of /v1/messages requests (one JSON record per line:
// `{path, headers, body}`, as scripts/capture-claude-code.ts writes them) against a running
// server, in order, and prints per request: prompt tokens, tokens reused from the KV cache,
// time to first token; then the cached ratio over all requests after the first.
//
// The recorded history holds the answers Claude Code got when it was captured, not what this
// server generates now, so reuse stops where our own answer began: the numbers are a lower
// bound on what a live session reuses. Generation is cut short (`--max-tokens`, default 16):
// this measures prompt processing, not decoding.

import { DEFAULTS } from '../src/config/config.js';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseSse } from '../src/debug/sse-events.js';

interface Recorded {
  path: string;
  headers?: Record<string, string>;
  body: Record<string, unknown>;
}

export interface ReplayResult {
  index: number;
  model: string;
  status: number;
  promptTokens: number;
  cachedTokens: number;
  ttftMs: number;
  error?: string;
}

/** Headers worth sending again: routing hints and versions, never credentials or transport. */
const KEEP_HEADER = /^(anthropic-version|anthropic-beta|x-claude-code-session-id|x-app|user-agent|content-type)$/i;

export async function replaySession(records: Recorded[], options: { url: string; apiKey?: string; maxTokens: number }): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for (const [index, record] of records.entries()) {
    if (!record.path.startsWith('/v1/messages') || record.path.startsWith('/v1/messages/count_tokens')) continue;
    const headers: Record<string, string> = Object.fromEntries(Object.entries(record.headers ?? {}).filter(([name]) => KEEP_HEADER.test(name)));
    headers['content-type'] = 'application/json';
    headers['anthropic-version'] ??= '2023-06-01';
    if (options.apiKey) headers['x-api-key'] = options.apiKey;
    const body = { ...record.body, stream: true, max_tokens: options.maxTokens };
    const started = performance.now();
    const response = await fetch(new URL(record.path, options.url), { method: 'POST', headers, body: JSON.stringify(body) });
    let ttftMs = NaN;
    let text = '';
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      // The first generated token: the first content block delta (message_start comes before prompt processing).
      if (Number.isNaN(ttftMs) && text.includes('event: content_block_delta')) ttftMs = performance.now() - started;
    }
    const result: ReplayResult = { index, model: String(record.body.model ?? ''), status: response.status, promptTokens: 0, cachedTokens: 0, ttftMs };
    if (response.status !== 200 || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
      result.error = text.slice(0, 300);
    } else {
      for (const event of parseSse(text)) {
        const data = event.data as {
          type?: string;
          usage?: { input_tokens?: number; cache_read_input_tokens?: number };
          message?: { usage?: { input_tokens?: number; cache_read_input_tokens?: number } };
          error?: { message?: string };
        };
        // Ours reports the final usage in message_delta; llama-server only in message_start.
        const usage = data.type === 'message_delta' ? data.usage : data.type === 'message_start' ? data.message?.usage : undefined;
        if (usage?.input_tokens !== undefined) {
          result.cachedTokens = usage.cache_read_input_tokens ?? 0;
          result.promptTokens = usage.input_tokens + result.cachedTokens;
        }
        if (data.type === 'error') result.error = data.error?.message ?? 'error event';
      }
    }
    results.push(result);
  }
  return results;
}

/** Cached share of prompt tokens over every request after the first (the first can have nothing cached). */
export function cachedRatio(results: readonly ReplayResult[]): number {
  const rest = results.slice(1).filter((result) => !result.error);
  const prompt = rest.reduce((sum, result) => sum + result.promptTokens, 0);
  const cached = rest.reduce((sum, result) => sum + result.cachedTokens, 0);
  return prompt === 0 ? 0 : cached / prompt;
}

export function formatResults(results: readonly ReplayResult[]): string {
  const lines = ['  #  model                         prompt   cached   new    TTFT ms'];
  for (const result of results) {
    const fresh = result.promptTokens - result.cachedTokens;
    const row = `${String(result.index + 1).padStart(3)}  ${result.model.slice(0, 28).padEnd(28)} ${String(result.promptTokens).padStart(7)} ${String(result.cachedTokens).padStart(8)} ${String(fresh).padStart(6)} ${Number.isNaN(result.ttftMs) ? '      -' : result.ttftMs.toFixed(0).padStart(9)}`;
    lines.push(result.error ? `${row}  ERROR ${result.status}: ${result.error}` : row);
  }
  lines.push(`cached ratio after the first request: ${(cachedRatio(results) * 100).toFixed(1)} %`);
  return lines.join('\n');
}

/** Where `llama-bridge serve` listens unless told otherwise. */
const DEFAULT_URL = `http://${DEFAULTS.host}:${DEFAULTS.port}`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: DEFAULT_URL },
      'api-key': { type: 'string' },
      'max-tokens': { type: 'string', default: '16' },
    },
  });
  if (positionals.length === 0) {
    process.stderr.write(`usage: npm run replay -- <session.jsonl>… [--url ${DEFAULT_URL}] [--api-key KEY] [--max-tokens 16]\n`);
    process.exit(2);
  }
  const records = positionals.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Recorded),
  );
  const apiKey = values['api-key'] ?? process.env.LLAMA_BRIDGE_API_KEY;
  const results = await replaySession(records, { url: values.url!, ...(apiKey ? { apiKey } : {}), maxTokens: Number(values['max-tokens']) });
  process.stdout.write(`${formatResults(results)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`replay failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
