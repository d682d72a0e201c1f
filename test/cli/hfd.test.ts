// `hfd` against a fake Hub (test/fixtures/fake-hub.ts) that speaks the real endpoints and
// headers, with the faults a real download meets: dropped connections, corrupt bytes, servers
// that ignore Range, slow and stalled servers, gated repos, malicious file names, two runs at once.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadRepo, type DownloadOptions } from '../../src/hub/download.js';
import { createProgressReporter, silentReporter } from '../../src/hub/progress.js';
import { resolveOrPullModel } from '../../src/hub/pull.js';
import { bytes, startFakeHub, type FakeHub } from '../fixtures/fake-hub.js';

let hub: FakeHub;
let dir: string;

const big = bytes(200_000, 1);
const bigQ6 = bytes(150_000, 2);
const small = Buffer.from('{"architectures":["LlamaForCausalLM"]}\n');

beforeAll(async () => {
  hub = await startFakeHub();
  hub.addRepo('org/model-GGUF', {
    files: [
      { path: 'README.md', content: Buffer.from('# model\n') },
      { path: 'config.json', content: small },
      { path: 'model-Q4_K_M.gguf', content: big },
      { path: 'UD-Q6_K_XL/model-UD-Q6_K_XL-00001-of-00002.gguf', content: bigQ6 },
      { path: 'UD-Q6_K_XL/model-UD-Q6_K_XL-00002-of-00002.gguf', content: bytes(50_000, 3) },
    ],
    refs: { v1: 'a'.repeat(40) },
  });
  hub.addRepo('org/pullable-GGUF', {
    files: [
      { path: 'README.md', content: Buffer.from('# pull me\n') },
      { path: 'tiny-Q4_K_M.gguf', content: gguf(3000, 5) },
      { path: 'tiny-Q8_0.gguf', content: gguf(4000, 6) },
      { path: 'Q6_K/tiny-Q6_K-00001-of-00002.gguf', content: gguf(2500, 7) },
      { path: 'Q6_K/tiny-Q6_K-00002-of-00002.gguf', content: gguf(2500, 8) },
      { path: 'mmproj-F16.gguf', content: gguf(2000, 9) },
    ],
  });
  hub.addRepo('org/gated', { files: [{ path: 'w.gguf', content: bytes(5000, 4) }], gated: 'manual', tokens: ['hf_good'] });
});
afterAll(() => hub.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hfd-'));
  hub.reset();
});

function run(options: Partial<DownloadOptions> = {}) {
  return downloadRepo({
    repo: 'org/model-GGUF',
    endpoint: hub.url,
    localDir: dir,
    token: '',
    retry: { retries: 4, baseDelayMs: 5, maxDelayMs: 20 },
    idleTimeoutMs: 2000,
    ...options,
  });
}

const cdnRequests = () => hub.requests.filter((request) => request.server === 'cdn');

describe('hfd: listing, filtering, downloading', () => {
  it('downloads the files an fnmatch include selects (* crosses /), keeping sub-paths', async () => {
    const summary = await run({ include: ['*Q6_K_XL*'] });
    expect(summary.downloaded.map((file) => file.path).sort()).toEqual(['UD-Q6_K_XL/model-UD-Q6_K_XL-00001-of-00002.gguf', 'UD-Q6_K_XL/model-UD-Q6_K_XL-00002-of-00002.gguf']);
    expect(readFileSync(join(dir, 'UD-Q6_K_XL/model-UD-Q6_K_XL-00001-of-00002.gguf')).equals(bigQ6)).toBe(true);
    expect(existsSync(join(dir, 'model-Q4_K_M.gguf'))).toBe(false);
    // Tree pagination (page size 3) was followed: files after the first page were found.
    expect(hub.requests.filter((request) => request.url.includes('/tree/')).length).toBeGreaterThan(1);
    // Nothing left behind but the files and the verified records.
    expect(readdirSync(join(dir, 'UD-Q6_K_XL')).sort()).toEqual(['model-UD-Q6_K_XL-00001-of-00002.gguf', 'model-UD-Q6_K_XL-00002-of-00002.gguf']);
  });

  it('downloads everything without filters, verifies small files by git oid, and skips verified files next time', async () => {
    const first = await run({ exclude: ['*.gguf'] });
    expect(first.downloaded.map((file) => file.path).sort()).toEqual(['README.md', 'config.json']);
    expect(readFileSync(join(dir, 'config.json')).equals(small)).toBe(true);
    hub.requests.length = 0;
    const second = await run({ exclude: ['*.gguf'] });
    expect(second.downloaded).toEqual([]);
    expect(second.skipped.length).toBe(2);
    expect(hub.requests.filter((request) => request.url.includes('/resolve/'))).toEqual([]);
  });

  it('re-verifies (by hashing) a present file without a record and re-downloads a wrong one', async () => {
    writeFileSync(join(dir, 'model-Q4_K_M.gguf'), big);
    const ok = await run({ include: ['model-Q4_K_M.gguf'] });
    expect(ok.skipped.map((file) => file.path)).toEqual(['model-Q4_K_M.gguf']);
    expect(cdnRequests()).toEqual([]);
    const wrong = Buffer.from(big);
    wrong[5] = wrong[5]! ^ 1;
    writeFileSync(join(dir, 'model-Q4_K_M.gguf'), wrong);
    const fixed = await run({ include: ['model-Q4_K_M.gguf'] });
    expect(fixed.downloaded.length).toBe(1);
    expect(readFileSync(join(dir, 'model-Q4_K_M.gguf')).equals(big)).toBe(true);
  });

  it('uses --revision: a branch or tag resolves to a commit and every file is fetched at that commit', async () => {
    await expect(run({ revision: 'no-such-branch' })).rejects.toThrow(/Revision "no-such-branch" not found in org\/model-GGUF/);
    const summary = await run({ include: ['README.md'], revision: 'main' });
    expect(hub.requests.some((request) => request.url.includes(`/resolve/${summary.commit}/README.md`))).toBe(true);
  });

  it('explains a filter that matches nothing by listing what exists', async () => {
    const error = await run({ include: ['*Q8_0*'] }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/No file of org\/model-GGUF @ main matches --include "\*Q8_0\*"/);
    expect((error as Error).message).toContain('model-Q4_K_M.gguf (195 KiB)');
    expect((error as Error).message).toContain('UD-Q6_K_XL/model-UD-Q6_K_XL-00001-of-00002.gguf');
  });

  it('explains a missing repository and a missing file', async () => {
    await expect(run({ repo: 'org/nope' })).rejects.toThrow(/Repository org\/nope not found.*--token/s);
    await expect(run({ repo: '../etc' })).rejects.toThrow(/not a Hugging Face repository id/);
  });

  it('refuses to start without enough free disk space', async () => {
    await expect(run({ include: ['*.gguf'], freeSpace: async () => 1000 })).rejects.toThrow(/Not enough disk space.*needs 391 KiB, 1000 B is free/s);
    expect(hub.requests.filter((request) => request.url.includes('/resolve/'))).toEqual([]);
  });
});

describe('hfd: resume and verification', () => {
  it('resumes with Range after the connection drops mid-file', async () => {
    hub.fault('model-Q4_K_M.gguf', { kind: 'drop', afterBytes: 70_000 }, { kind: 'drop', afterBytes: 40_000 });
    const summary = await run({ include: ['model-Q4_K_M.gguf'] });
    expect(summary.downloaded.length).toBe(1);
    expect(readFileSync(join(dir, 'model-Q4_K_M.gguf')).equals(big)).toBe(true);
    const ranges = cdnRequests().map((request) => request.headers.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges.length).toBe(3);
    for (const range of ranges.slice(1)) expect(range).toMatch(/^bytes=[1-9]\d*-$/);
    // Resumed, not restarted: about one file's worth of bytes crossed the wire.
    expect(hub.bytesServed.get('model-Q4_K_M.gguf')).toBeLessThanOrEqual(big.length + 110_000);
  });

  it('resumes a .part left by an earlier run', async () => {
    writeFileSync(join(dir, 'model-Q4_K_M.gguf.part'), big.subarray(0, 120_000));
    await run({ include: ['model-Q4_K_M.gguf'] });
    expect(cdnRequests().map((request) => request.headers.range)).toEqual(['bytes=120000-']);
    expect(hub.bytesServed.get('model-Q4_K_M.gguf')).toBe(80_000);
    expect(readFileSync(join(dir, 'model-Q4_K_M.gguf')).equals(big)).toBe(true);
    expect(existsSync(join(dir, 'model-Q4_K_M.gguf.part'))).toBe(false);
  });

  it('restarts (never appends) when the server answers 200 to a Range request', async () => {
    writeFileSync(join(dir, 'model-Q4_K_M.gguf.part'), big.subarray(0, 120_000));
    hub.fault('model-Q4_K_M.gguf', { kind: 'ignore-range' });
    await run({ include: ['model-Q4_K_M.gguf'] });
    const file = readFileSync(join(dir, 'model-Q4_K_M.gguf'));
    expect(file.length).toBe(big.length);
    expect(file.equals(big)).toBe(true);
  });

  it('deletes and re-fetches once when the bytes are wrong but the size is right', async () => {
    hub.fault('model-Q4_K_M.gguf', { kind: 'corrupt' });
    const lines: string[] = [];
    const reporter = createProgressReporter({ stream: sink(lines), tty: false, intervalMs: 10_000 });
    await run({ include: ['model-Q4_K_M.gguf'], reporter });
    expect(readFileSync(join(dir, 'model-Q4_K_M.gguf')).equals(big)).toBe(true);
    expect(cdnRequests().length).toBe(2);
    expect(lines.join('')).toMatch(/content check failed \(sha256 [0-9a-f]{64} differs from the Hub's [0-9a-f]{64}\): deleted, downloading again/);
  });

  it('fails clearly when the bytes are wrong twice, leaving nothing half-written', async () => {
    hub.alwaysCorrupt('UD-Q6_K_XL/model-UD-Q6_K_XL-00002-of-00002.gguf');
    const error = await run({ include: ['*00002-of-00002*'] }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/downloaded twice and the content was wrong both times \(sha256 .* differs from the Hub's/);
    expect(readdirSync(join(dir, 'UD-Q6_K_XL'))).toEqual([]);
  });

  it('retries transient failures (503) with backoff', async () => {
    hub.fault('model-Q4_K_M.gguf', { kind: 'status', status: 503 }, { kind: 'status', status: 502 });
    await run({ include: ['model-Q4_K_M.gguf'] });
    expect(readFileSync(join(dir, 'model-Q4_K_M.gguf')).equals(big)).toBe(true);
    expect(cdnRequests().length).toBe(3);
  });

  it('survives a slow server and reports progress in plain lines off a terminal', async () => {
    hub.setSlow(16_384, 15);
    const lines: string[] = [];
    const reporter = createProgressReporter({ stream: sink(lines), tty: false, intervalMs: 40 });
    await run({ include: ['model-Q4_K_M.gguf'], reporter, idleTimeoutMs: 1000 });
    const text = lines.join('');
    expect(text).toMatch(/hfd: org\/model-GGUF @ [0-9a-f]{12}: 1 file to fetch \(195 KiB\)/);
    expect(text).toMatch(/hfd: \d+% [\d.]+ KiB \/ 195 KiB, [\d.]+ (KiB|MiB)\/s, ETA \S+ \(1 active\)/);
    expect(text).toMatch(/Done: 1 file downloaded \(195 KiB in/);
  });

  it('gives up on a stalled connection after the idle timeout and resumes', async () => {
    hub.fault('model-Q4_K_M.gguf', { kind: 'stall', afterBytes: 50_000 });
    await run({ include: ['model-Q4_K_M.gguf'], idleTimeoutMs: 150 });
    expect(readFileSync(join(dir, 'model-Q4_K_M.gguf')).equals(big)).toBe(true);
    expect(cdnRequests()[1]?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
  });
});

describe('hfd: tokens and gated repositories', () => {
  it('explains a gated repository without a token (how to get access) and with a token lacking access', async () => {
    const anonymous = await run({ repo: 'org/gated' }).catch((e: Error) => e);
    expect((anonymous as Error).message).toMatch(
      /org\/gated is a gated repository \(HTTP 401\)\. Open http:\/\/127\.0\.0\.1:\d+\/org\/gated while logged in, accept the conditions, create a read token at .*\/settings\/tokens, and pass it with --token <token> or HF_TOKEN=<token>\./,
    );
    const wrong = await run({ repo: 'org/gated', token: 'hf_other' }).catch((e: Error) => e);
    expect((wrong as Error).message).toMatch(/gated repository \(HTTP 403\)\. Your token has no access to it/);
  });

  it('sends the token to the Hub and never to the CDN host it redirects to', async () => {
    const summary = await run({ repo: 'org/gated', token: 'hf_good' });
    expect(summary.downloaded.length).toBe(1);
    const resolves = hub.requests.filter((request) => request.server === 'hub' && request.url.includes('/resolve/'));
    expect(resolves.length).toBe(1);
    expect(resolves[0]!.headers.authorization).toBe('Bearer hf_good');
    expect(cdnRequests().length).toBe(1);
    for (const request of cdnRequests()) expect(request.headers.authorization).toBeUndefined();
  });

  it('reads HF_TOKEN and HF_ENDPOINT from the environment', async () => {
    const saved = { token: process.env.HF_TOKEN, endpoint: process.env.HF_ENDPOINT };
    process.env.HF_TOKEN = 'hf_good';
    process.env.HF_ENDPOINT = hub.url;
    try {
      const summary = await downloadRepo({ repo: 'org/gated', localDir: dir });
      expect(summary.downloaded.length).toBe(1);
    } finally {
      for (const [key, value] of [
        ['HF_TOKEN', saved.token],
        ['HF_ENDPOINT', saved.endpoint],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    for (const request of cdnRequests()) expect(request.headers.authorization).toBeUndefined();
  });
});

describe('hfd: safety', () => {
  it.each([
    ['../escape.gguf', /"\.\." segment/],
    ['sub/../../escape.gguf', /"\.\." segment/],
    ['/etc/escape.gguf', /absolute path/],
    ['sub\\..\\escape.gguf', /backslash/],
    ['nul\u0000.gguf', /NUL character/],
  ])('rejects the remote path %j and writes nothing', async (path, reason) => {
    const id = `evil/repo-${Math.random().toString(36).slice(2)}`;
    hub.addRepo(id, { files: [{ path: 'ok.gguf', content: bytes(3000, 9) }], extraTreeEntries: [{ type: 'file', oid: 'b'.repeat(40), size: 10, path }] });
    const target = join(dir, 'target');
    const error = await run({ repo: id, localDir: target }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(reason);
    expect(readdirSync(dir)).toEqual([]);
    expect(hub.requests.filter((request) => request.url.includes('/resolve/'))).toEqual([]);
  });

  it('does not write through a symlinked folder that leads outside the target', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'hfd-outside-'));
    mkdirSync(join(dir, 'target'));
    symlinkSync(outside, join(dir, 'target', 'UD-Q6_K_XL'));
    const error = await run({ include: ['*Q6_K_XL*'], localDir: join(dir, 'target') }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/symlink leading outside/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('does not write through a symlink planted at the .part name', async () => {
    const outside = join(mkdtempSync(join(tmpdir(), 'hfd-outside-')), 'victim');
    writeFileSync(outside, 'precious');
    symlinkSync(outside, join(dir, 'model-Q4_K_M.gguf.part'));
    await run({ include: ['model-Q4_K_M.gguf'] });
    expect(readFileSync(outside, 'utf8')).toBe('precious');
    expect(readFileSync(join(dir, 'model-Q4_K_M.gguf')).equals(big)).toBe(true);
  });
});

describe('hfd: concurrent runs', () => {
  it('two runs on the same files at once: one downloads, the other waits, neither corrupts', async () => {
    hub.setSlow(32_768, 5);
    const [a, b] = await Promise.all([run({ include: ['*.gguf'], lock: { pollMs: 20 } }), run({ include: ['*.gguf'], lock: { pollMs: 20 } })]);
    for (const path of ['model-Q4_K_M.gguf', 'UD-Q6_K_XL/model-UD-Q6_K_XL-00001-of-00002.gguf']) {
      expect(readFileSync(join(dir, path)).length).toBe(path.startsWith('model') ? big.length : bigQ6.length);
    }
    expect(readFileSync(join(dir, 'model-Q4_K_M.gguf')).equals(big)).toBe(true);
    // Each file came over the wire once in total.
    expect(a.downloaded.length + b.downloaded.length).toBe(3);
    expect(a.skipped.length + b.skipped.length).toBe(3);
    expect(hub.bytesServed.get('model-Q4_K_M.gguf')).toBe(big.length);
    expect(readdirSync(dir).filter((name) => name.endsWith('.lock'))).toEqual([]);
  });

  it('takes over a stale lock', async () => {
    writeFileSync(join(dir, 'model-Q4_K_M.gguf.lock'), JSON.stringify({ pid: 1, host: 'some-other-machine', started: '2020-01-01' }));
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, 'model-Q4_K_M.gguf.lock'), old, old);
    await run({ include: ['model-Q4_K_M.gguf'] });
    expect(readFileSync(join(dir, 'model-Q4_K_M.gguf')).equals(big)).toBe(true);
    expect(existsSync(join(dir, 'model-Q4_K_M.gguf.lock'))).toBe(false);
  });
});

describe('serve --model <repo id> --pull', () => {
  const pull = (input: string, doPull = true) =>
    resolveOrPullModel(input, doPull, { cwd: dir, endpoint: hub.url, token: '', reporter: silentReporter, retry: { retries: 1, baseDelayMs: 5 } });

  it('without --pull, says which hfd command downloads it', async () => {
    await expect(pull('org/pullable-GGUF:Q8_0', false)).rejects.toThrow('download it first with: npm run hfd -- org/pullable-GGUF --include "*Q8_0*" (or add --pull to serve)');
    expect(hub.requests).toEqual([]);
  });

  it('downloads only the quantisation asked for, then finds it locally without the network', async () => {
    const path = await pull('org/pullable-GGUF:Q8_0');
    expect(path).toBe(join(dir, 'models/org/pullable-GGUF/tiny-Q8_0.gguf'));
    expect(readdirSync(join(dir, 'models/org/pullable-GGUF')).filter((name) => !name.startsWith('.'))).toEqual(['tiny-Q8_0.gguf']);
    hub.reset();
    expect(await pull('org/pullable-GGUF:Q8_0')).toBe(path);
    expect(hub.requests).toEqual([]);
  });

  it('pulls every part of a split model, by quant or by file', async () => {
    const path = await pull('org/pullable-GGUF/Q6_K/tiny-Q6_K-00001-of-00002.gguf');
    expect(path).toBe(join(dir, 'models/org/pullable-GGUF/Q6_K/tiny-Q6_K-00001-of-00002.gguf'));
    expect(readdirSync(join(dir, 'models/org/pullable-GGUF/Q6_K')).sort()).toEqual(['tiny-Q6_K-00001-of-00002.gguf', 'tiny-Q6_K-00002-of-00002.gguf']);
  });

  it('refuses an ambiguous repo and an unknown quant, listing what exists', async () => {
    await expect(pull('org/pullable-GGUF')).rejects.toThrow(/ambiguous.*tiny-Q4_K_M\.gguf/s);
    await expect(pull('org/pullable-GGUF:IQ2_XXS')).rejects.toThrow(/matches a GGUF model file named like IQ2_XXS.*tiny-Q8_0\.gguf/s);
  });
});

function gguf(length: number, seed: number): Buffer {
  return Buffer.concat([Buffer.from('GGUF'), bytes(length - 4, seed)]);
}

function sink(lines: string[]): Writable & { isTTY?: boolean } {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
}
