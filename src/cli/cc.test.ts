import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { argsAfterCommand, buildClaudeEnv, compactionEnv, findClaude, formatExports, parseCcArgs, PLACEHOLDER_TOKEN } from './cc.js';

describe('parseCcArgs', () => {
  it('passes everything from the first foreign argument to claude, untouched', () => {
    const options = parseCcArgs(['--port', '9000', '-p', 'hello', '--model', 'sonnet', '--', '--resume'], {});
    expect(options.url).toBe('http://127.0.0.1:9000');
    expect(options.claudeArgs).toEqual(['-p', 'hello', '--model', 'sonnet', '--', '--resume']);
    expect(options.serveArgs).toBeUndefined();
  });

  it('ends our options at `--`, so claude can get flags that look like ours', () => {
    expect(parseCcArgs(['--', '--port', '1'], {}).claudeArgs).toEqual(['--port', '1']);
    expect(parseCcArgs(['--url=http://box:8080/', '--api-key=k'], {})).toMatchObject({ url: 'http://box:8080', apiKey: 'k', claudeArgs: [] });
  });

  it('sends the flags after --serve up to `--` to serve, pointed at our host and port', () => {
    const options = parseCcArgs(['--port', '9001', '--serve', '--model', 'm.gguf', '-c', '8192', '--', '-p', 'hi'], {});
    expect(options.serveArgs).toEqual(['--model', 'm.gguf', '-c', '8192', '--host', '127.0.0.1', '--port', '9001']);
    expect(options.claudeArgs).toEqual(['-p', 'hi']);
    expect(parseCcArgs(['--serve', '--mock'], {})).toMatchObject({ serveArgs: ['--mock', '--host', '127.0.0.1', '--port', '8000'], claudeArgs: [] });
  });

  it('refuses a port given to serve only (cc would look elsewhere) and bad values', () => {
    expect(() => parseCcArgs(['--serve', '--mock', '--port', '9'], {})).toThrow(/give the port to cc/);
    expect(() => parseCcArgs(['--port', 'x'], {})).toThrow(/--port takes a port number/);
    expect(() => parseCcArgs(['--url'], {})).toThrow(/needs a value/);
    expect(() => parseCcArgs(['--url', 'localhost:8000'], {})).toThrow(/http/);
  });

  it('takes the key from LLAMA_BRIDGE_API_KEY, and --help / --print-env', () => {
    expect(parseCcArgs([], { LLAMA_BRIDGE_API_KEY: 'secret' }).apiKey).toBe('secret');
    expect(parseCcArgs(['--print-env', '-h'], {})).toMatchObject({ printEnv: true, help: true });
    // -h after claude's args is claude's.
    expect(parseCcArgs(['-p', 'x', '-h'], {}).help).toBe(false);
  });

  it('finds the arguments after the subcommand', () => {
    expect(argsAfterCommand(['cc', '-p', 'cc'], 'cc')).toEqual(['-p', 'cc']);
  });
});

describe('buildClaudeEnv', () => {
  const base = { url: 'http://127.0.0.1:8000' };

  it('points Claude Code at the server with the model for every tier and a bearer placeholder', () => {
    const env = buildClaudeEnv(base, { modelId: 'qwen3.gguf', nCtx: 131072 }, {});
    expect(env).toMatchObject({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:8000',
      ANTHROPIC_AUTH_TOKEN: PLACEHOLDER_TOKEN,
      ANTHROPIC_MODEL: 'qwen3.gguf',
      ANTHROPIC_DEFAULT_OPUS_MODEL: 'qwen3.gguf',
      ANTHROPIC_DEFAULT_SONNET_MODEL: 'qwen3.gguf',
      ANTHROPIC_DEFAULT_HAIKU_MODEL: 'qwen3.gguf',
      CLAUDE_CODE_SUBAGENT_MODEL: 'qwen3.gguf',
      CLAUDE_CODE_AUTO_COMPACT_WINDOW: '131072',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_ATTRIBUTION_HEADER: '0',
    });
    expect(Number(env.API_TIMEOUT_MS)).toBeGreaterThanOrEqual(600_000);
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
  });

  it('uses the server key as the token, --model-name over the served id, and lets user values win', () => {
    const env = buildClaudeEnv(
      { ...base, apiKey: 'sk-local-123456', modelName: 'local' },
      { modelId: 'file.gguf' },
      { ANTHROPIC_DEFAULT_HAIKU_MODEL: 'mine', API_TIMEOUT_MS: '5' },
    );
    expect(env.ANTHROPIC_AUTH_TOKEN).toBe('sk-local-123456');
    expect(env.ANTHROPIC_MODEL).toBe('local');
    expect(env.ANTHROPIC_DEFAULT_HAIKU_MODEL).toBeUndefined(); // the user's own stays
    expect(env.API_TIMEOUT_MS).toBeUndefined();
    expect(env.CLAUDE_CODE_AUTO_COMPACT_WINDOW).toBeUndefined(); // no n_ctx known
    // A user's own ANTHROPIC_API_KEY is their choice: no second credential next to it.
    expect(buildClaudeEnv(base, {}, { ANTHROPIC_API_KEY: 'x' }).ANTHROPIC_AUTH_TOKEN).toBeUndefined();
  });

  it('lowers the compaction threshold by percentage for contexts under the 100k floor', () => {
    expect(compactionEnv(32768)).toEqual({ CLAUDE_CODE_AUTO_COMPACT_WINDOW: '100000', CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: '24' });
    expect(compactionEnv(200000)).toEqual({ CLAUDE_CODE_AUTO_COMPACT_WINDOW: '200000' });
    expect(compactionEnv(512).CLAUDE_AUTOCOMPACT_PCT_OVERRIDE).toBe('1');
  });

  it('prints shell exports with secrets masked', () => {
    const text = formatExports({ ANTHROPIC_BASE_URL: 'http://h:1', ANTHROPIC_AUTH_TOKEN: 'sk-very-secret-key', ANTHROPIC_MODEL: "it's" });
    expect(text).toBe(`export ANTHROPIC_BASE_URL=http://h:1\nexport ANTHROPIC_AUTH_TOKEN='sk-****ey'\nexport ANTHROPIC_MODEL='it'\\''s'`);
    expect(text).not.toContain('very-secret');
    expect(formatExports({ ANTHROPIC_AUTH_TOKEN: PLACEHOLDER_TOKEN })).toContain(PLACEHOLDER_TOKEN);
  });
});

describe('findClaude', () => {
  it('prefers PATH, falls back to the project bin, and reports absence', () => {
    const onPath = mkdtempSync(join(tmpdir(), 'cc-path-'));
    const project = mkdtempSync(join(tmpdir(), 'cc-bin-'));
    const empty = mkdtempSync(join(tmpdir(), 'cc-empty-'));
    for (const dir of [onPath, project]) {
      writeFileSync(join(dir, 'claude'), '#!/bin/sh\n');
      chmodSync(join(dir, 'claude'), 0o755);
    }
    expect(findClaude({ PATH: onPath }, project)).toBe(join(onPath, 'claude'));
    expect(findClaude({ PATH: empty }, project)).toBe(join(project, 'claude'));
    expect(findClaude({ PATH: empty }, empty)).toBeUndefined();
  });
});
