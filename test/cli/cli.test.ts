// The `llama-bridge` command as a user runs it: a child process, its exit code and messages.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, openSync, closeSync, ftruncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { makeScriptedModel } from '../fixtures/models.js';

interface Run {
  code: number | null;
  stderr: string;
}

const root = join(import.meta.dirname, '..', '..');

function cli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/bin.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('llama-bridge serve', () => {
  it('exits with a clear message for a missing model', async () => {
    const run = await cli(['serve', '--model', '/nonexistent/model.gguf', '--port', '0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Model not found');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits with a clear message for a non-GGUF and a truncated GGUF file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    writeFileSync(join(dir, 'notes.gguf'), 'definitely not a model');
    const notGguf = await cli(['serve', '--model', join(dir, 'notes.gguf'), '--port', '0']);
    expect(notGguf.code).toBe(1);
    expect(notGguf.stderr).toContain('Not a GGUF file');

    const model = await makeScriptedModel({ vocab: 'byte', script: 'Hi!' });
    const truncated = join(dir, 'truncated.gguf');
    copyFileSync(model.path, truncated);
    const fd = openSync(truncated, 'r+');
    ftruncateSync(fd, Math.floor(statSync(truncated).size / 2));
    closeSync(fd);
    const run = await cli(['serve', '--model', truncated, '--port', '0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Could not load model');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a non-loopback address without an API key', async () => {
    const run = await cli(['serve', '--mock', '--host', '0.0.0.0', '--port', '0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--api-key');
  });

  it('serves --mock without a model and exits 0 on SIGTERM', async () => {
    let answer: string | null | undefined;
    const run = await cli(['serve', '--mock', '--port', '0'], (stderr, child) => {
      const url = /serving mock at (http:\/\/\S+) /.exec(stderr)?.[1];
      if (!url || answer !== undefined) return;
      answer = null;
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
      void client.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
        .then((completion) => (answer = completion.choices[0]?.message.content))
        .finally(() => child.kill('SIGTERM'));
    });
    expect(answer).toContain('mock engine');
    expect(run.code).toBe(0);
  });

  it('explains a bad flag value', async () => {
    const run = await cli(['serve', '--mock', '--port', 'eighty']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--port takes a whole number');
  });
});

describe('the installed bin (bin/llama-bridge.cjs → dist/)', () => {
  function bin(
    args: string[],
    env: NodeJS.ProcessEnv,
    onStderr?: (text: string, child: ReturnType<typeof spawn>) => void,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, 'bin/llama-bridge.cjs'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
      child.stderr.on('data', (data: Buffer) => {
        stderr += data.toString();
        onStderr?.(stderr, child);
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('runs the built CLI', async () => {
    const version = await bin(['--version'], process.env);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('gives libuv one worker unless the user chose a number', async () => {
    const { UV_THREADPOOL_SIZE: _unset, ...env } = process.env;
    const workers = async (extra: NodeJS.ProcessEnv) => {
      const run = await bin(['serve', '--mock', '--port', '0', '--log-level', 'debug'], { ...env, ...extra }, (text, child) => {
        if (text.includes('libuv workers')) child.kill('SIGINT');
      });
      return /libuv workers[^\n]*?(\d+)/.exec(run.stderr.split('\n').find((line) => line.includes('libuv workers')) ?? '')?.[1];
    };
    expect(await workers({})).toBe('1');
    expect(await workers({ UV_THREADPOOL_SIZE: '3' })).toBe('3');
  });
});
