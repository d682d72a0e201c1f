// Replays requests captured from the real Claude Code CLI (scripts/capture-claude-code.ts):
// after neutralising, everything a request renders must be repeated unchanged at the start
// of the next request of the same conversation, so the KV cache of one turn serves the next.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { neutraliseClaudeCodeRequest, type NeutraliseReport } from './claude-code-prompt.js';
import { toCountRequest } from './request.js';
import { parseMessagesBody } from './schema.js';

interface Captured {
  path: string;
  headers: Record<string, string>;
  body: Body;
}

interface Body {
  system?: unknown;
  messages: unknown[];
  tools?: unknown[];
  [key: string]: unknown;
}

const fixtures = join(import.meta.dirname, '../../../test/fixtures/claude-code');

function load(name: string): Captured[] {
  return readFileSync(join(fixtures, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Captured);
}

/** `-p` then `-p --continue` twice: text turn, tool_use + tool_result turn, text turn. */
const session = load('session-1.jsonl').map((entry) => entry.body);
/** The interactive TUI: a title request (no tools) first, then seven turns of one conversation. */
const interactive = load('interactive-1.jsonl').map((entry) => entry.body);
const mainConversation = interactive.filter((body) => (body.tools ?? []).length > 0);
/** The opening request of a second, unrelated `-p` conversation in the same project. */
const otherOpening = load('session-2-opening.jsonl')[0]!.body;

/** What decides the prompt, in rendering order: system prompt, tools, then one chunk per message. */
function promptChunks(body: Body): string[] {
  return [JSON.stringify(body.system ?? null), JSON.stringify(body.tools ?? []), ...body.messages.map((message) => JSON.stringify(message))];
}

/** Index of the first chunk of `before` that `after` does not repeat; -1 when `before` is a prefix of `after`. */
function firstDivergence(before: Body, after: Body): number {
  const a = promptChunks(before);
  const b = promptChunks(after);
  return a.findIndex((chunk, index) => chunk !== b[index]);
}

function consecutivePairs<T>(items: T[]): [T, T][] {
  return items.slice(1).map((item, index) => [items[index]!, item]);
}

describe('neutraliseClaudeCodeRequest on captured Claude Code sessions', () => {
  it('the captures really vary before the new turn (else this test proves nothing)', () => {
    for (const [before, after] of consecutivePairs(session)) expect(firstDivergence(before, after)).not.toBe(-1);
    expect(JSON.stringify(session[0]!.system)).toContain('x-anthropic-billing-header');
  });

  it.each([
    ['claude -p / --continue', session],
    ['interactive', mainConversation],
  ])('%s: each request is a prefix of the next one, byte for byte', (_name, bodies) => {
    expect(bodies.length).toBeGreaterThanOrEqual(4);
    const neutral = bodies.map((body) => neutraliseClaudeCodeRequest(body));
    for (const [before, after] of consecutivePairs(neutral)) {
      expect(firstDivergence(before, after)).toBe(-1);
      expect(after.messages.length).toBeGreaterThan(before.messages.length);
      // As one string too, the way a tokenizer sees a rendered prompt.
      expect(promptChunks(after).join('\n').startsWith(promptChunks(before).join('\n'))).toBe(true);
    }
  });

  it('the converted ChatRequest messages of each request are a prefix of the next one', () => {
    const converted = session.map((body, index) => {
      const request = toCountRequest(parseMessagesBody(neutraliseClaudeCodeRequest(body)), { id: `req_${index}` });
      return { messages: request.messages, tools: request.tools };
    });
    for (const [before, after] of consecutivePairs(converted)) {
      expect(after.tools).toEqual(before.tools);
      expect(after.messages.slice(0, before.messages.length)).toEqual(before.messages);
    }
  });

  it('two conversations (and the title request) share the whole system prompt once the attribution line is gone', () => {
    const first = session[0]!;
    const title = interactive[0]!;
    // Raw: the attribution hash differs per conversation and per background request.
    expect(JSON.stringify(first.system)).not.toBe(JSON.stringify(otherOpening.system));
    const [a, b] = [neutraliseClaudeCodeRequest(first), neutraliseClaudeCodeRequest(otherOpening)];
    expect(a.system).toEqual(b.system);
    expect(a.tools).toEqual(b.tools);
    expect(JSON.stringify(neutraliseClaudeCodeRequest(title).system)).not.toContain('x-anthropic-billing-header');
  });

  it('reports what it removed and keeps everything else', () => {
    const report: NeutraliseReport = { attributionRemoved: false, cacheControlRemoved: 0, contentCollapsed: 0 };
    const body = session[1]!;
    const before = JSON.stringify(body);
    const out = neutraliseClaudeCodeRequest(body, report);
    expect(JSON.stringify(body)).toBe(before); // input untouched
    expect(report.attributionRemoved).toBe(true);
    expect(report.cacheControlRemoved).toBeGreaterThanOrEqual(3); // two system blocks + the newest message
    expect(report.contentCollapsed).toBeGreaterThanOrEqual(1);
    for (const key of Object.keys(body).filter((k) => !['system', 'messages', 'tools'].includes(k))) expect(out[key]).toEqual(body[key]);
    // Meaning stays: the date, the environment and the CLAUDE.md reminder are all still there.
    const text = JSON.stringify(out);
    expect(text).toMatch(/Today's date is \d{4}-\d{2}-\d{2}/);
    expect(text).toContain('Primary working directory: /home/user/project');
    expect(text).toContain('Contents of /home/user/project/CLAUDE.md');
    expect(text).not.toContain('cache_control');
  });
});

describe('neutraliseClaudeCodeRequest on hand-made bodies', () => {
  it('strips the attribution line from a string system prompt, with or without cch', () => {
    const out = neutraliseClaudeCodeRequest({
      system: 'x-anthropic-billing-header: cc_version=2.1.9.abc; cc_entrypoint=cli; cch=12345;\nYou are Claude Code.',
      messages: [],
    });
    expect(out.system).toBe('You are Claude Code.');
  });

  it('keeps a system block that only mentions the header later on, and leaves non-Claude-Code bodies alone', () => {
    const body = {
      system: [{ type: 'text', text: 'Explain x-anthropic-billing-header: nothing.' }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a', citations: null },
            { type: 'text', text: 'b' },
          ],
        },
      ],
    };
    expect(neutraliseClaudeCodeRequest(body)).toEqual(body);
  });

  it('drops cache_control inside tool_result content and on tools, without collapsing tool results', () => {
    const out = neutraliseClaudeCodeRequest({
      messages: [
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }], cache_control: { type: 'ephemeral' } }],
        },
      ],
      tools: [{ name: 'Bash', input_schema: {}, cache_control: { type: 'ephemeral' } }],
    });
    expect(out).toEqual({
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'hi' }] }] }],
      tools: [{ name: 'Bash', input_schema: {} }],
    });
  });

  it('passes through what it does not recognise', () => {
    expect(neutraliseClaudeCodeRequest(null)).toBeNull();
    expect(neutraliseClaudeCodeRequest('text')).toBe('text');
    expect(neutraliseClaudeCodeRequest({ messages: 'not a list' })).toEqual({ messages: 'not a list' });
  });
});
