// Claude Code sends, within one conversation, requests whose earlier parts differ although
// the conversation did not change; across conversations, a system prompt that differs in its
// first line only. Every such difference before the new turn makes the prompt's prefix miss
// the KV cache, so the whole history is processed again. This removes them, on the raw
// request body, before validation and rendering (docs/claude-code.md has the captures):
//
//   1. The attribution line `x-anthropic-billing-header: cc_version=2.1.331.f79;
//      cc_entrypoint=cli;` (some versions add `cch=…;`) opens the system prompt. Its hash
//      is derived from the first user message, so it differs per conversation and per
//      background request (title, subagent), in front of ~10 k tokens of system prompt and
//      tools that are otherwise identical. It means nothing to the model: dropped.
//   2. `cache_control` rides on the newest message each request and is taken off the one
//      before. Anthropic's cache hint; we cache by prefix anyway: dropped everywhere.
//   3. To carry that marker, a message whose content was a string becomes
//      `[{type: "text", text, cache_control}]` for one request and a string again in the next.
//      Content that is exactly one plain text block is written as a string.
//
// Not touched, because they are stable within a conversation or never rendered: the date
// ("Today's date is …", fixed when the conversation starts), the cwd/git-status snapshot (a
// <system-reminder> in the first user message, replayed as sent), `metadata.user_id` and the
// `x-claude-code-session-id` header (per conversation; useful for routing, not in the
// prompt), `safeguards`, tool order (stable).
//
// Pure and input-preserving: the result shares no mutable structure with the input that this
// function changed, and anything it does not recognise passes through as is.

/** Claude Code's attribution line, whatever fields follow the prefix. */
const ATTRIBUTION_LINE = /^x-anthropic-billing-header:[^\n]*(?:\n|$)/;

export interface NeutraliseReport {
  /** Whether the attribution line was found and removed. */
  attributionRemoved: boolean;
  /** How many `cache_control` markers were dropped. */
  cacheControlRemoved: number;
  /** How many one-text-block contents were written as strings. */
  contentCollapsed: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/**
 * Returns the body with Claude Code's per-request variations removed. Bodies that are not
 * objects come back unchanged (validation reports them later).
 */
export function neutraliseClaudeCodeRequest<T>(body: T, report?: NeutraliseReport): T {
  if (!isObject(body)) return body;
  const stats: NeutraliseReport = report ?? { attributionRemoved: false, cacheControlRemoved: 0, contentCollapsed: 0 };
  const out: JsonObject = { ...(body as JsonObject) };

  if ('system' in out) out.system = neutraliseSystem(out.system!, stats);
  if (Array.isArray(out.messages)) out.messages = out.messages.map((message) => neutraliseMessage(message, stats));
  if (Array.isArray(out.tools)) out.tools = out.tools.map((tool) => dropCacheControl(tool, stats));
  return out as T;
}

function neutraliseSystem(system: Json, stats: NeutraliseReport): Json {
  if (typeof system === 'string') return stripAttribution(system, stats);
  if (!Array.isArray(system)) return system;
  const blocks: Json[] = [];
  for (const block of system) {
    const cleaned = dropCacheControl(block, stats);
    if (isObject(cleaned) && cleaned.type === 'text' && typeof cleaned.text === 'string') {
      const text = stripAttribution(cleaned.text, stats);
      // A block that held only the attribution line goes; an empty text block would still
      // add a separator to the rendered system prompt.
      if (text === '' && cleaned.text !== '') continue;
      blocks.push(text === cleaned.text ? cleaned : { ...cleaned, text });
    } else {
      blocks.push(cleaned);
    }
  }
  return blocks;
}

function stripAttribution(text: string, stats: NeutraliseReport): string {
  const match = ATTRIBUTION_LINE.exec(text);
  if (!match) return text;
  stats.attributionRemoved = true;
  return text.slice(match[0].length);
}

function neutraliseMessage(message: Json, stats: NeutraliseReport): Json {
  if (!isObject(message) || !Array.isArray(message.content)) return message;
  const content = message.content.map((block) => dropCacheControl(block, stats));
  const only = content.length === 1 ? content[0] : undefined;
  if (isPlainText(only)) {
    stats.contentCollapsed++;
    return { ...message, content: only.text };
  }
  return { ...message, content };
}

/** A text block with nothing but `type` and `text` (no citations or other extras to lose). */
function isPlainText(block: Json | undefined): block is { type: 'text'; text: string } {
  return isObject(block) && block.type === 'text' && typeof block.text === 'string' && Object.keys(block).length === 2;
}

/** Drops `cache_control` from a block, and from the blocks nested in a tool_result's content. */
function dropCacheControl(block: Json, stats: NeutraliseReport): Json {
  if (!isObject(block)) return block;
  let out = block;
  if ('cache_control' in out) {
    const { cache_control: _marker, ...rest } = out;
    stats.cacheControlRemoved++;
    out = rest;
  }
  if (out.type === 'tool_result' && Array.isArray(out.content)) {
    out = { ...out, content: out.content.map((inner) => dropCacheControl(inner, stats)) };
  }
  return out;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
