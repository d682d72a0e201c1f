// Capture what the real Claude Code CLI sends to an Anthropic-compatible server.
//
//   npx tsx scripts/capture-claude-code.ts [--out <dir>] [--port <n>] [--serve-only]
//
// Starts a stand-alone fake Anthropic Messages server (node:http only, nothing from src/),
// records every request to <out>/NNN-<method>-<path>.json, and answers with a script so that
// one session contains a text turn, a tool_use turn (Bash `echo hi`) followed by the answer to
// its tool_result, and whatever background requests Claude Code makes. Without --serve-only it
// then drives `claude -p` and `claude -p --continue` itself, with a throwaway HOME, and writes
// <out>/session.jsonl: one `{path, headers, body}` per request, credentials stripped and the
// temporary HOME / cwd replaced by stable placeholders (the fixture format of
// test/fixtures/claude-code/).
//
// This is a tool, not product code: the SSE is written by hand on purpose so it depends on
// nothing we are testing.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(tmpdir(), `claude-capture-${Date.now()}`) },
    port: { type: 'string', default: '0' },
    'serve-only': { type: 'boolean', default: false },
    // Let Claude Code make its "nonessential" requests too (titles, summaries…), to see them.
    nonessential: { type: 'boolean', default: false },
    // A session whose second turn delegates to a subagent (the Agent tool), to capture
    // subagent traffic interleaved with the main conversation.
    agents: { type: 'boolean', default: false },
    claude: { type: 'string', default: resolve(import.meta.dirname, '../node_modules/.bin/claude') },
  },
});

const outDir = resolve(args.out);
mkdirSync(outDir, { recursive: true });

/** Headers that carry credentials never reach the disk. */
const SECRET_HEADERS = new Set(['x-api-key', 'authorization', 'cookie', 'proxy-authorization']);

interface Captured {
  seq: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

const captured: Captured[] = [];
let seq = 0;
let toolUseCounter = 0;

// ---------------------------------------------------------------------------------------------
// Scripted answers

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

interface MessagesBody {
  model?: string;
  stream?: boolean;
  system?: unknown;
  messages?: { role: string; content: unknown }[];
  tools?: { name: string }[];
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block: { type?: string; text?: string; content?: unknown }) =>
      block.type === 'text' ? (block.text ?? '') : block.type === 'tool_result' ? `[tool_result] ${textOf(block.content)}` : '',
    )
    .join('\n');
}

/** Decide the answer from the conversation, so the same script works whatever order requests come in. */
function answer(body: MessagesBody): Block[] {
  // Claude Code appends `role: "system"` messages (environment, skills) *after* the user's
  // turn and wraps injected context in <system-reminder> blocks: look at the last user
  // message only, without its reminders.
  const last = (body.messages ?? []).filter((message) => message.role === 'user').at(-1);
  const lastText = last
    ? textOf(last.content)
        .replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '')
        .trim()
    : '';
  const hasTools = (body.tools ?? []).some((tool) => tool.name === 'Bash');
  const lastIsToolResult = Array.isArray(last?.content) && (last.content as { type?: string }[]).some((b) => b.type === 'tool_result');

  if (!hasTools) {
    // Background requests (title generation, summaries, topic detection…): short text.
    if (/title|topic/i.test(JSON.stringify(body.system ?? '')) || /title/i.test(lastText)) {
      return [{ type: 'text', text: '{"title": "Greeting and echo test", "isNewTopic": true}' }];
    }
    return [{ type: 'text', text: 'Background answer.' }];
  }
  if (lastIsToolResult) return [{ type: 'text', text: `The command printed: ${lastText.replace('[tool_result] ', '').trim()}. DONE-TOOL` }];
  if (/subagent/i.test(lastText) && (body.tools ?? []).some((tool) => tool.name === 'Agent')) {
    toolUseCounter++;
    return [
      { type: 'text', text: 'I will ask a subagent.' },
      {
        type: 'tool_use',
        id: `toolu_capture_${String(toolUseCounter).padStart(4, '0')}`,
        name: 'Agent',
        input: {
          description: 'Run echo hi',
          prompt: 'Run the shell command echo hi with the Bash tool and report what it printed.',
          subagent_type: 'general-purpose',
          run_in_background: false,
        },
      },
    ];
  }
  if (/run|echo|bash/i.test(lastText)) {
    toolUseCounter++;
    return [
      { type: 'text', text: 'I will run it.' },
      { type: 'tool_use', id: `toolu_capture_${String(toolUseCounter).padStart(4, '0')}`, name: 'Bash', input: { command: 'echo hi', description: 'Print hi' } },
    ];
  }
  return [{ type: 'text', text: 'Hello from the capture server. DONE-TEXT' }];
}

// ---------------------------------------------------------------------------------------------
// Anthropic wire format, by hand

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function streamMessage(res: ServerResponse, model: string, blocks: Block[]): void {
  const id = `msg_capture_${String(seq).padStart(4, '0')}`;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  sse(res, 'message_start', {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 100, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    },
  });
  sse(res, 'ping', { type: 'ping' });
  blocks.forEach((block, index) => {
    if (block.type === 'text') {
      sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      // Two deltas, so the client really assembles a stream.
      const half = Math.ceil(block.text.length / 2);
      for (const part of [block.text.slice(0, half), block.text.slice(half)]) {
        if (part) sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: part } });
      }
    } else {
      sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      const json = JSON.stringify(block.input);
      const half = Math.ceil(json.length / 2);
      for (const part of [json.slice(0, half), json.slice(half)]) {
        sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
      }
    }
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
  });
  const stopReason = blocks.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn';
  sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 20 } });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

function jsonMessage(res: ServerResponse, model: string, blocks: Block[]): void {
  const stopReason = blocks.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn';
  send(res, 200, {
    id: `msg_capture_${String(seq).padStart(4, '0')}`,
    type: 'message',
    role: 'assistant',
    model,
    content: blocks,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

// ---------------------------------------------------------------------------------------------
// Server

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const server = createServer((req, res) => {
  void (async () => {
    const raw = await readBody(req);
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      /* keep the raw text */
    }
    const path = req.url ?? '/';
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !SECRET_HEADERS.has(name)));
    const entry: Captured = { seq: ++seq, method: req.method ?? 'GET', path, headers, body };
    captured.push(entry);
    const slug =
      path
        .split('?')[0]!
        .replace(/[^a-z0-9]+/gi, '_')
        .replace(/^_|_$/g, '') || 'root';
    writeFileSync(join(outDir, `${String(entry.seq).padStart(3, '0')}-${entry.method}-${slug}.json`), JSON.stringify(entry, null, 2));
    process.stderr.write(`[capture] #${entry.seq} ${entry.method} ${path}${(body as MessagesBody)?.model ? ` model=${(body as MessagesBody).model}` : ''}\n`);

    const pathname = path.split('?')[0];
    if (req.method === 'HEAD' || (req.method === 'GET' && pathname === '/')) return void res.writeHead(200).end();
    if (req.method === 'POST' && pathname === '/v1/messages/count_tokens') {
      return send(res, 200, { input_tokens: Math.ceil(raw.length / 4) });
    }
    if (req.method === 'POST' && pathname === '/v1/messages') {
      const messagesBody = body as MessagesBody;
      const model = messagesBody.model ?? 'unknown';
      const blocks = answer(messagesBody);
      return messagesBody.stream ? streamMessage(res, model, blocks) : jsonMessage(res, model, blocks);
    }
    send(res, 404, { type: 'error', error: { type: 'not_found_error', message: `Not found: ${req.method} ${pathname}` } });
  })().catch((error: unknown) => {
    process.stderr.write(`[capture] handler failed: ${String(error)}\n`);
    if (!res.headersSent) send(res, 500, { type: 'error', error: { type: 'api_error', message: String(error) } });
  });
});

// ---------------------------------------------------------------------------------------------
// Driving the CLI

function runClaude(cliArgs: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(args.claude!, cliArgs, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** Replace machine-specific strings (temp HOME, cwd) with stable placeholders, everywhere in a value. */
function scrub(value: unknown, replacements: [string, string][]): unknown {
  let text = JSON.stringify(value);
  for (const [from, to] of replacements) text = text.split(JSON.stringify(from).slice(1, -1)).join(to);
  return JSON.parse(text);
}

async function drive(port: number): Promise<void> {
  const home = realpathSync(mkdtempSync(join(tmpdir(), 'cc-home-')));
  const cwd = join(home, 'project');
  mkdirSync(cwd);
  writeFileSync(join(cwd, 'notes.txt'), 'some notes\n');
  writeFileSync(join(cwd, 'CLAUDE.md'), '# Project notes\nAnswer briefly.\n');
  // A git repository, so the git-status snapshot Claude Code sends is captured too; the file
  // changes between turns to see whether that snapshot moves within a conversation.
  const git = (...gitArgs: string[]) =>
    spawnSync('git', gitArgs, {
      cwd,
      env: { ...process.env, HOME: home, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.com', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@example.com' },
    });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    TERM: 'dumb',
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`,
    ANTHROPIC_API_KEY: 'sk-capture-placeholder',
    DISABLE_AUTOUPDATER: '1',
    ...(args.nonessential ? {} : { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' }),
  };
  const turns: string[][] = args.agents
    ? [
        ['-p', 'Say hello.'],
        ['-p', '--continue', '--allowedTools', 'Bash,Agent', '--', 'Use a subagent to run echo hi, then tell me what it printed.'],
        ['-p', '--continue', 'Thanks. Say goodbye.'],
        ['-p', 'Good morning, a new conversation.'],
      ]
    : [
        ['-p', 'Say hello.'],
        // --dangerously-skip-permissions is refused under root; an allow-list works everywhere.
        ['-p', '--continue', '--allowedTools', 'Bash', '--', 'Run the shell command echo hi with the Bash tool and tell me what it printed.'],
        ['-p', '--continue', 'Thanks. Say goodbye.'],
        // A second, unrelated conversation: what differs from the first one's opening request?
        ['-p', 'Good morning, a new conversation.'],
      ];
  const turnEnds: number[] = [];
  for (const [index, turn] of turns.entries()) {
    if (index === 2) writeFileSync(join(cwd, 'notes.txt'), 'some notes\nchanged between turns\n');
    const marker = captured.length;
    const run = await runClaude(turn, env, cwd);
    process.stderr.write(`[capture] claude ${turn.join(' ')} → exit ${run.code}\n  stdout: ${run.stdout.trim()}\n${run.stderr.trim() ? `  stderr: ${run.stderr.trim()}\n` : ''}`);
    turnEnds.push(captured.length);
    writeFileSync(
      join(outDir, `turn-${index + 1}.txt`),
      `args: ${JSON.stringify(turn)}\nexit: ${run.code}\nrequests: ${marker + 1}..${captured.length}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`,
    );
  }
  const replacements: [string, string][] = [
    // Claude Code names per-project folders (memory, transcripts) after the cwd with every
    // non-alphanumeric character turned into '-'.
    [cwd.replace(/[^a-zA-Z0-9]/g, '-'), '-home-user-project'],
    [cwd, '/home/user/project'],
    [home, '/home/user'],
    [`127.0.0.1:${port}`, '127.0.0.1:8000'],
  ];
  // content-length no longer matches once paths are replaced; the replay recomputes it.
  const toLine = (entry: Captured) => {
    const { 'content-length': _length, ...headers } = entry.headers;
    return JSON.stringify(scrub({ path: entry.path, method: entry.method, headers, body: entry.body }, replacements));
  };
  const write = (name: string, entries: Captured[]) => writeFileSync(join(outDir, name), entries.map((entry) => `${toLine(entry)}\n`).join(''));
  // The first three turns are one conversation (--continue); the fourth starts another.
  const firstConversationEnd = turnEnds[2]!;
  write('session.jsonl', captured.slice(0, firstConversationEnd));
  write('other-conversation.jsonl', captured.slice(firstConversationEnd));
  write('all.jsonl', captured);
  process.stderr.write(`[capture] ${captured.length} requests; sessions written to ${outDir}/{session,other-conversation,all}.jsonl\n`);
}

server.listen(Number(args.port), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stderr.write(`[capture] listening on http://127.0.0.1:${port}, writing to ${outDir}\n`);
  if (args['serve-only']) return;
  if (!existsSync(args.claude!)) {
    process.stderr.write(`[capture] claude not found at ${args.claude}\n`);
    process.exit(1);
  }
  drive(port).then(
    () => server.close(),
    (error: unknown) => {
      process.stderr.write(`[capture] failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
