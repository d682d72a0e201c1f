// `llama-bridge hfd` as a user runs it: a child process against the fake Hub (HF_ENDPOINT).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bytes, startFakeHub, type FakeHub } from '../../test/fixtures/fake-hub.js';
import { main } from './main.js';

const root = join(import.meta.dirname, '..', '..');
// Runs in a scratch folder (the default target is ./models), so point --import at tsx by path.
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
let hub: FakeHub;

beforeAll(async () => {
  hub = await startFakeHub();
  hub.addRepo('unsloth/Tiny-GGUF', {
    files: [
      { path: 'README.md', content: Buffer.from('# tiny\n') },
      { path: 'Tiny-Q4_K_M.gguf', content: bytes(5000, 1) },
      { path: 'UD-Q6_K_XL/Tiny-UD-Q6_K_XL-00001-of-00002.gguf', content: bytes(4000, 2) },
      { path: 'UD-Q6_K_XL/Tiny-UD-Q6_K_XL-00002-of-00002.gguf', content: bytes(4000, 3) },
    ],
  });
  hub.addRepo('meta/Gated', { files: [{ path: 'w.gguf', content: bytes(3000, 4) }], gated: 'manual', tokens: ['hf_ok'] });
});
const savedEnv = { endpoint: process.env.HF_ENDPOINT, token: process.env.HF_TOKEN };
afterAll(async () => {
  await hub.close();
  for (const [key, value] of [
    ['HF_ENDPOINT', savedEnv.endpoint],
    ['HF_TOKEN', savedEnv.token],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

function hfd(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, join(root, 'src/cli/bin.ts'), 'hfd', ...args], {
      cwd,
      env: { ...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** In-process run of the CLI (fast): exit code and what went to stderr. */
async function hfdInProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  try {
    return { code: await main(['hfd', ...args]), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('llama-bridge hfd', () => {
  it('downloads --include matches into models/<repo_id>/ with a summary, stdout left clean (the real bin)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'hfd-cli-'));
    const run = await hfd(['unsloth/Tiny-GGUF', '--include', '*Q6_K_XL*'], cwd);
    expect(run.stderr).toMatch(/Done: 2 files downloaded/);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(readFileSync(join(cwd, 'models/unsloth/Tiny-GGUF/UD-Q6_K_XL/Tiny-UD-Q6_K_XL-00002-of-00002.gguf')).equals(bytes(4000, 3))).toBe(true);
  });

  it('honours --local-dir, --exclude, --token and skips what is already there', async () => {
    process.env.HF_ENDPOINT = hub.url;
    const dir = mkdtempSync(join(tmpdir(), 'hfd-cli-'));
    const run = await hfdInProcess(['unsloth/Tiny-GGUF', '--exclude', '*.gguf', '--local-dir', dir]);
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('# tiny\n');
    expect((await hfdInProcess(['unsloth/Tiny-GGUF', '--exclude', '*.gguf', '--local-dir', dir])).stderr).toMatch(/0 files downloaded .*1 already present and verified/);
    expect((await hfdInProcess(['meta/Gated', '--token', 'hf_ok', '--local-dir', join(dir, 'g')])).code).toBe(0);
  });

  it('exits 1 with a plain message (no stack) for a gated repo without a token and a filter matching nothing', async () => {
    process.env.HF_ENDPOINT = hub.url;
    delete process.env.HF_TOKEN;
    const dir = mkdtempSync(join(tmpdir(), 'hfd-cli-'));
    const gated = await hfdInProcess(['meta/Gated', '--local-dir', dir]);
    expect(gated.code).toBe(1);
    expect(gated.stderr).toMatch(/error: meta\/Gated is a gated repository.*accept the conditions.*--token/s);
    expect(gated.stderr).not.toMatch(/\n\s+at /);
    const nothing = await hfdInProcess(['unsloth/Tiny-GGUF', '--include', '*Q8_0*', '--local-dir', dir]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('Tiny-Q4_K_M.gguf (4.88 KiB)');
  });

  it('rejects a bad --concurrency', async () => {
    const run = await hfdInProcess(['unsloth/Tiny-GGUF', '--concurrency', '0']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--concurrency takes a whole number');
  });
});
