// The real Claude Code CLI, started through `llama-bridge cc`, against our own server:
// a scripted text answer, a tool round trip (Bash runs for real), and a real (scripted)
// model doing a whole turn through template, llama.cpp decode and our parsers.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/start.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeContextScriptedModel, makeScriptedModel } from '../fixtures/models.js';
import { builtLlamaServer, startRealLlamaServer, type RealLlamaServer } from '../helpers/llama-server.js';
import { startTestServer } from '../helpers/server.js';

const root = join(import.meta.dirname, '..', '..');
const TIMEOUT = 180_000;
/** tsx by absolute URL: the child runs in a temporary project folder where `tsx` does not resolve. */
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A throwaway HOME with an empty project folder in it, where `cc` runs. */
function newHome(): { home: string; project: string } {
  const home = mkdtempSync(join(tmpdir(), 'cc-it-'));
  const project = join(home, 'project');
  mkdirSync(project);
  return { home, project };
}

/** `llama-bridge cc …` as a user runs it, with a throwaway HOME and project folder (or the given ones). */
function cc(args: string[], { home, project: cwd } = newHome()): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, TERM: 'dumb' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoader, join(root, 'src/cli/bin.ts'), 'cc', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), TIMEOUT - 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function mockScript(responses: { match?: string; output: string }[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cc-mock-')), 'script.json');
  writeFileSync(path, JSON.stringify({ responses }));
  return path;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('Claude Code through llama-bridge cc', () => {
  describe('a mock server answering with text', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startTestServer({ mock: true, mockScript: mockScript([{ output: 'Greetings from the mock: TEXT-OK' }]) });
    });
    afterAll(() => server?.stop());

    it(
      'claude -p prints the answer',
      async () => {
        const run = await cc(['--url', server.url, '-p', 'Say hello.']);
        expect(run.stderr).not.toContain('error:');
        expect(run.stdout).toContain('TEXT-OK');
        expect(run.code).toBe(0);
      },
      TIMEOUT,
    );
  });

  it(
    'cc --serve starts a mock server that calls Bash, and the tool round trip completes',
    async () => {
      // The mock has no template, so ChatML with Hermes-style tool calls; the tool's output
      // comes back inside <tool_response>, which only the second request contains.
      const script = mockScript([
        { match: '<tool_response>\\s*hello', output: 'The command printed hello. ROUNDTRIP-OK' },
        { output: 'Running it.\n<tool_call>\n{"name": "Bash", "arguments": {"command": "echo hello", "description": "Print hello"}}\n</tool_call>' },
      ]);
      const port = await freePort();
      const run = await cc(['--port', String(port), '--serve', '--mock', '--mock-script', script, '--', '-p', 'Run echo hello with the Bash tool.', '--allowedTools', 'Bash']);
      expect(run.stderr).toContain('ready at');
      expect(run.stdout).toContain('ROUNDTRIP-OK');
      expect(run.code).toBe(0);
      // The server was stopped when claude exited.
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    },
    TIMEOUT,
  );

  it(
    'Read of a PNG: the image reaches the model as a note in the tool result, and the session ends in a text answer',
    async () => {
      const dir = newHome();
      const png = join(dir.project, 'pixel.png');
      // A valid 1×1 PNG.
      writeFileSync(png, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'));
      // Matched against the rendered prompt: the answer comes only once the tool result holds the note.
      const script = mockScript([
        {
          match: '<tool_response>[\\s\\S]*\\[image: image/\\w+, \\d+ (bytes|KB) — not shown, this model has no vision support\\]',
          output: 'The file is an image I cannot see. IMAGE-NOTE-OK',
        },
        { output: `Reading it.\n<tool_call>\n${JSON.stringify({ name: 'Read', arguments: { file_path: png } })}\n</tool_call>` },
      ]);
      const port = await freePort();
      const run = await cc(
        ['--port', String(port), '--serve', '--mock', '--mock-script', script, '--', '-p', 'Look at pixel.png with the Read tool.', '--allowedTools', 'Read'],
        dir,
      );
      expect(run.stdout).toContain('IMAGE-NOTE-OK');
      expect(run.code).toBe(0);
      // The server logged its one warning for the request that held the image (cc keeps the server's log in a file).
      const log = readFileSync(/\(log: (\S+)\)/.exec(run.stderr)![1]!, 'utf8');
      expect(log).toMatch(/1 image replaced by a text note/);
    },
    TIMEOUT,
  );

  describe('a scripted model (real inference)', () => {
    let server: RunningServer;
    beforeAll(async () => {
      const model = await makeScriptedModel({
        vocab: { gguf: vocabPath('qwen2') },
        chatTemplate: readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8'),
        script: 'Scripted model reporting: all good.',
        contextLength: 65536,
      });
      // Claude Code's system prompt and tools alone are ~15k tokens.
      server = await startTestServer({ model: model.path, nCtx: 65536, parallel: 1 });
    }, TIMEOUT);
    afterAll(() => server?.stop());

    it(
      'completes a turn',
      async () => {
        const run = await cc(['--url', server.url, '-p', 'Report status.']);
        expect(run.stdout).toContain('Scripted model reporting: all good.');
        expect(run.code).toBe(0);
      },
      TIMEOUT,
    );
  });

  // Done-when of issue 18: Claude Code through our server with llama.cpp's own server as the
  // remote engine (built by `npm run bench`; skipped where it is absent, as in CI).
  describe.runIf(builtLlamaServer())('through a remote llama.cpp server (real inference there)', () => {
    let remote: RealLlamaServer;
    let server: RunningServer;
    beforeAll(async () => {
      const model = await makeContextScriptedModel({
        vocab: { gguf: vocabPath('qwen2') },
        chatTemplate: readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8'),
        scripts: [
          {
            script: 'Running it.\n<tool_call>\n{"name": "Bash", "arguments": {"command": "echo hello", "description": "Print hello"}}\n</tool_call>',
            startAfter: 'Run echo hello with the Bash tool.<|im_end|>\n<|im_start|>assistant\n',
          },
          { script: 'The command printed hello. REMOTE-ROUNDTRIP-OK', startAfter: 'hello\n</tool_response><|im_end|>\n<|im_start|>assistant\n' },
        ],
        memory: 'auto',
        contextLength: 65536,
      });
      remote = await startRealLlamaServer(builtLlamaServer()!, model.path, { slots: 1, slotContext: 65536 });
      server = await startTestServer({ model: model.path, remote: remote.url, parallel: 1 });
    }, TIMEOUT);
    afterAll(async () => {
      await server?.stop();
      await remote?.stop();
    });

    it(
      'runs a Bash tool round trip',
      async () => {
        const run = await cc(['--url', server.url, '-p', 'Run echo hello with the Bash tool.', '--allowedTools', 'Bash']);
        expect(run.stdout).toContain('REMOTE-ROUNDTRIP-OK');
        expect(run.code).toBe(0);
      },
      TIMEOUT,
    );
  });

  describe('captured requests replayed against the server (test/fixtures/claude-code)', () => {
    let server: RunningServer;
    beforeAll(async () => {
      // One slot, so each request can only reuse what the previous one left in the cache.
      server = await startTestServer({ mock: true, parallel: 1 });
    });
    afterAll(() => server?.stop());

    const fixture = (name: string) =>
      readFileSync(join(import.meta.dirname, '..', 'fixtures/claude-code', name), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { path: string; body: unknown });

    async function replay(path: string, body: unknown): Promise<{ input: number; cached: number }> {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', authorization: 'Bearer x' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      expect(response.status, text.slice(0, 300)).toBe(200);
      expect(text).toContain('event: message_stop');
      const usage = JSON.parse(/"usage":(\{[^}]*\})/.exec(text)![1]!) as { input_tokens: number; cache_read_input_tokens: number };
      return { input: usage.input_tokens, cached: usage.cache_read_input_tokens };
    }

    it('every captured request is accepted, and each turn reuses the previous prompt', async () => {
      for (const name of ['session-1.jsonl', 'interactive-1.jsonl']) {
        const results = [];
        for (const { path, body } of fixture(name)) results.push(await replay(path, body));
        // After the opening request, only the new turn is processed.
        for (const result of results.slice(-3)) expect(result.input).toBeLessThan(200);
      }
    });

    it('a new conversation reuses the cached system prompt and tools (the server neutralises the attribution line)', async () => {
      const [first] = fixture('session-1.jsonl');
      const [other] = fixture('session-2-opening.jsonl');
      // Sent as Claude Code sent them: the per-conversation attribution line opens both.
      await replay(first!.path, first!.body);
      const next = await replay(other!.path, other!.body);
      expect(next.cached).toBeGreaterThan(10_000);
      // What made the difference: the two raw requests differ in their very first system block.
      const firstSystem = (first!.body as { system: { text: string }[] }).system[0]!.text;
      const otherSystem = (other!.body as { system: { text: string }[] }).system[0]!.text;
      expect(firstSystem).toMatch(/^x-anthropic-billing-header:/);
      expect(firstSystem).not.toBe(otherSystem);
    });
  });
});
