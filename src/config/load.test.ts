import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHECKPOINTS } from '../engine/llama/load.js';
import { buildConfig, DEFAULTS, totalSlots } from './config.js';
import { ignoredFlagsWarning } from './flags.js';
import { configToInput, loadConfigFile, parseConfig } from './load.js';

const configsDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../configs');
const tmp = mkdtempSync(join(tmpdir(), 'llama-bridge-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

function errorOf(text: string): string {
  try {
    parseConfig(text, 'c.toml');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('example configs', () => {
  const files = readdirSync(configsDir).filter((name) => name.endsWith('.toml'));

  it('includes claude-code.toml and single.toml', () => {
    expect(files).toEqual(expect.arrayContaining(['claude-code.toml', 'single.toml']));
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('%s is valid, with consistent caches and exactly one default', (name) => {
    const input = loadConfigFile(join(configsDir, name), { LLAMA_BRIDGE_API_KEY: 'k', VLLM_API_KEY: 'v' });
    const caches = input.caches!;
    expect(caches.length).toBeGreaterThan(0);
    expect(caches.filter((cache) => cache.default)).toHaveLength(1);
    expect(new Set(caches.map((cache) => cache.name)).size).toBe(caches.length);
    // The Config the server starts from: the same caches, validated, their slots in total.
    const config = buildConfig(input);
    expect(config.caches).toEqual(caches);
    expect(totalSlots(config)).toBe(caches.reduce((sum, cache) => sum + cache.slots, 0));
    for (const cache of caches) {
      expect(cache.slots).toBeGreaterThan(0);
      // 0: a remote cache takes the remote's context size.
      expect(cache.contextSize > 0 || input.cacheRemotes?.[cache.name] !== undefined).toBe(true);
      if (!cache.default) expect(cache.routes.length).toBeGreaterThan(0);
    }
    // A relative model path is taken relative to the configs folder; a repo id is passed on as is
    // (serve looks it up under models/).
    const model = input.model!.path!;
    expect(model.startsWith(resolve(configsDir, '..', 'models')) || /^[\w.-]+\/[\w.-]+(:[\w.-]+)?$/.test(model)).toBe(true);
  });

  it('remote-cluster.toml sends the conversation and subagents to a remote, background requests in-process', () => {
    const input = loadConfigFile(join(configsDir, 'remote-cluster.toml'), { VLLM_API_KEY: 'secret' });
    const config = buildConfig(input);
    expect(Object.keys(config.cacheRemotes!)).toEqual(['main', 'subagents']);
    expect(config.cacheRemotes!.main).toEqual({
      url: 'http://vllm-router.internal:8000',
      protocol: 'openai-completions',
      timeoutSeconds: 900,
      affinityHeaders: ['x-session-id', 'x-smg-routing-key'],
      apiKey: 'secret',
    });
    expect(config.cacheRemotes!.subagents!.timeoutSeconds).toBe(DEFAULTS.remoteTimeoutSeconds);
    expect(config.caches.find((cache) => cache.name === 'main')!.contextSize).toBe(0);
    expect(config.caches.find((cache) => cache.name === 'background')!.contextSize).toBe(16384);
    expect(() => loadConfigFile(join(configsDir, 'remote-cluster.toml'), {})).toThrow(/cache "main": remote_api_key_env: environment variable VLLM_API_KEY is not set/);
  });

  it('refuses a remote cache with a bad URL or protocol', () => {
    const file = (remote: string) => `[model]\npath = "m.gguf"\n\n[[cache]]\nname = "main"\nslots = 1\n${remote}\n`;
    expect(() => buildConfig(configToInput(parseConfig(file('remote = "gpu-box:8080"'), 'c.toml'), tmp, {}))).toThrow(/\[\[cache\]\] "main" remote must be an http\(s\) URL/);
    expect(errorOf(file('remote = "http://x"\nremote_protocol = "grpc"'))).toMatch(/remote_protocol/);
  });

  it('claude-code.toml routes subagents and background requests', () => {
    const caches = loadConfigFile(join(configsDir, 'claude-code.toml'), {}).caches!;
    expect(caches.map((cache) => cache.name)).toEqual(['main', 'subagents', 'background']);
    expect(caches[0]!.default).toBe(true);
    expect(caches[1]!.routes).toContainEqual({ headers: { 'x-claude-code-agent-id': '*' } });
    expect(caches[2]!.routes).toContainEqual({ systemContains: 'You are naming a coding session' });
    expect(caches[2]!.routes).toContainEqual({ model: '*haiku*' });
    // Hot restarts on, resolved against the config's folder.
    expect(loadConfigFile(join(configsDir, 'claude-code.toml'), {}).server!.cacheDir).toBe(join(configsDir, '..', 'cache'));
  });

  it('openai-agents.toml splits n_ctx_total by share across slots', () => {
    const caches = loadConfigFile(join(configsDir, 'openai-agents.toml'), { LLAMA_BRIDGE_API_KEY: 'k' }).caches!;
    expect(caches.map((cache) => [cache.name, cache.contextSize])).toEqual([
      ['planner', 65536],
      ['workers', 26214],
      ['utility', 26214],
    ]);
  });
});

describe('loadConfigFile', () => {
  it('maps every section onto the Config', () => {
    const file = write(
      'full.toml',
      `[server]
host = "0.0.0.0"
port = 9000
api_key = "secret"
cors = ["http://a.example", "http://b.example"]
debug = true
debug_dir = "traces"
reject_images = true
queue_size = 5
shutdown_grace_ms = 100

[model]
path = "model.gguf"
n_ctx = 4096
n_batch = 256
n_ubatch = 128
threads = 6
flash_attn = false
gpu_layers = 20
mmap = false
chat_template_file = "templates/t.jinja"
chat_format = "hermes"
reasoning_format = "none"
swa_full = true
ctx_checkpoints = 8
checkpoint_memory_mib = 256.5
spec_type = "draft-simple"
draft_max = 6
draft_min = 1
model_draft = "draft.gguf"
`,
    );
    expect(buildConfig(loadConfigFile(file, {}))).toEqual({
      server: {
        host: '0.0.0.0',
        port: 9000,
        apiKey: 'secret',
        allowRemoteWithoutKey: false,
        corsOrigins: ['http://a.example', 'http://b.example'],
        debug: true,
        debugDir: join(tmp, 'traces'),
        rejectImages: true,
        cacheIsolation: false,
        logLevel: 'debug',
        cacheSaveIdleSeconds: 60,
        shutdownGraceMs: 100,
      },
      model: {
        path: 'model.gguf', // not beside the file: looked up as on the command line
        pull: false,
        batchSize: 256,
        ubatchSize: 128,
        threads: 6,
        flashAttention: false,
        gpuLayers: 20,
        mmap: false,
        chatTemplateFile: join(tmp, 'templates/t.jinja'),
        chatFormat: 'hermes',
        reasoningFormat: 'none',
        swaFull: true,
        ctxCheckpoints: 8,
        checkpointMemoryMiB: 256.5,
        specType: 'draft',
        draftMax: 6,
        draftMin: 1,
        modelDraft: join(tmp, 'draft.gguf'),
      },
      // No [[cache]]: one cache of the default slots, [model].n_ctx each, [server].queue_size waiting.
      caches: [{ name: 'default', slots: 4, contextSize: 4096, queueSize: 5, routes: [], default: true }],
    });
  });

  it("leaves checkpoints at the defaults (llama.cpp's 32 per slot, at most 2 GiB, no --swa-full) when [model] does not set them", () => {
    const model = buildConfig(loadConfigFile(write('plain.toml', '[model]\npath = "m.gguf"\n'), {})).model;
    expect(model).toMatchObject({ swaFull: false, ctxCheckpoints: 32, checkpointMemoryMiB: 2048 });
    // The engine's own default, so a server without the flag keeps as many as one given the default.
    expect(DEFAULTS.ctxCheckpoints).toBe(DEFAULT_CHECKPOINTS);
  });

  it('resolves relative paths against the config file folder', () => {
    writeFileSync(join(tmp, 'beside.gguf'), 'GGUF');
    const beside = loadConfigFile(write('beside.toml', '[model]\npath = "beside.gguf"\n'), {});
    expect(beside.model!.path).toBe(join(tmp, 'beside.gguf'));
    const dotted = loadConfigFile(write('dotted.toml', '[model]\npath = "../elsewhere/m.gguf"\n'), {});
    expect(dotted.model!.path).toBe(resolve(tmp, '../elsewhere/m.gguf'));
    const repo = loadConfigFile(write('repo.toml', '[model]\npath = "Qwen/Qwen3-4B-GGUF"\n'), {});
    expect(repo.model!.path).toBe('Qwen/Qwen3-4B-GGUF');
  });

  it('reads the API key from api_key_env, and from LLAMA_BRIDGE_API_KEY by default', () => {
    const named = write('env.toml', '[server]\napi_key_env = "MY_KEY"\n');
    expect(loadConfigFile(named, { MY_KEY: 'from-env' }).server!.apiKey).toBe('from-env');
    expect(() => loadConfigFile(named, {})).toThrow(/server\.api_key_env: environment variable MY_KEY is not set/);
    const none = write('none.toml', '[server]\nport = 1\n');
    expect(loadConfigFile(none, { LLAMA_BRIDGE_API_KEY: 'default' }).server!.apiKey).toBe('default');
    expect(loadConfigFile(none, {}).server!.apiKey).toBeUndefined();
  });

  it('builds caches: n_ctx per slot, [model].n_ctx by default, a lone cache is the default', () => {
    const single = loadConfigFile(write('one.toml', '[model]\nn_ctx = 8192\n[[cache]]\nname = "only"\nslots = 3\n'), {});
    expect(single.caches).toEqual([{ name: 'only', slots: 3, contextSize: 8192, queueSize: 64, routes: [], default: true }]);
    const routed = loadConfigFile(
      write(
        'routed.toml',
        `[server]
queue_size = 7
[[cache]]
name = "a"
slots = 1
default = true
[[cache]]
name = "b"
slots = 2
n_ctx = 100
queue_size = 3
[[cache.route]]
model = "claude-*"
headers = { "X-Agent" = "w*" }
system_contains = "hello"
system_fingerprint = "ABC123"
`,
      ),
      {},
    );
    expect(totalSlots(buildConfig({ ...routed, model: { path: 'm.gguf' } }))).toBe(3);
    expect(routed.queueSize).toBe(7);
    expect(routed.caches).toEqual([
      { name: 'a', slots: 1, contextSize: 0, queueSize: 7, routes: [], default: true },
      { name: 'b', slots: 2, contextSize: 100, queueSize: 3, routes: [{ model: 'claude-*', headers: { 'x-agent': 'w*' }, systemContains: 'hello', systemFingerprint: 'abc123' }] },
    ]);
  });

  it('names a file it cannot read', () => {
    expect(() => loadConfigFile(join(tmp, 'missing.toml'))).toThrow(/Could not read config file .*missing\.toml/);
  });
});

describe('config errors name the key and its line', () => {
  it('TOML syntax errors, with line and column', () => {
    expect(errorOf('[server]\nport = 80\nhost = \n')).toMatch(/^c\.toml:3:\d+: invalid TOML/);
  });

  it('unknown keys, top-level, in a section and in a route', () => {
    expect(errorOf('[server]\nport = 80\nhots = "x"\n')).toContain('c.toml:3: server.hots: unknown key');
    expect(errorOf('[modle]\npath = "x"\n')).toContain('c.toml:1: modle: unknown key (top-level sections are [server], [model] and [[cache]])');
    const text = '[[cache]]\nname = "a"\nslots = 1\n\n[[cache]]\nname = "b"\nslots = 1\ndefault = true\n[[cache.route]]\nmodel = "x"\n[[cache.route]]\nheader = { a = "b" }\n';
    expect(errorOf(text)).toContain('c.toml:12: cache[1].route[1].header: unknown key');
  });

  it('wrong types and out-of-range values', () => {
    expect(errorOf('[server]\nhost = "h"\nport = "eighty"\n')).toMatch(/c\.toml:3: server\.port: .*number/i);
    expect(errorOf('[server]\nport = 70000\n')).toMatch(/c\.toml:2: server\.port: .*65535/);
    expect(errorOf('[model]\ngpu_layers = "some"\n')).toContain('c.toml:2: model.gpu_layers:');
    expect(errorOf('[model]\nchat_format = "nope"\n')).toContain('c.toml:2: model.chat_format:');
    expect(errorOf('[server]\ndebug = "yes"\n')).toContain('c.toml:2: server.debug:');
    expect(errorOf('[model]\nctx_checkpoints = 0\n')).toMatch(/c\.toml:2: model\.ctx_checkpoints: .*>0/);
    expect(errorOf('[model]\nctx_checkpoints = 2.5\n')).toMatch(/c\.toml:2: model\.ctx_checkpoints: .*int/i);
    expect(errorOf('[model]\ncheckpoint_memory_mib = 0\n')).toMatch(/c\.toml:2: model\.checkpoint_memory_mib: .*>0/);
    expect(errorOf('[model]\nswa_full = "on"\n')).toMatch(/c\.toml:2: model\.swa_full: .*boolean/);
    expect(errorOf('[model]\nspec_type = "eagle"\n')).toContain('c.toml:2: model.spec_type: one of none, ngram, ngram-simple');
    expect(errorOf('[model]\ndraft_max = 0\n')).toMatch(/c\.toml:2: model\.draft_max: .*>0/);
  });

  it('a missing required key points at its table', () => {
    expect(errorOf('[model]\nn_ctx = 1\n\n[[cache]]\nname = "a"\n')).toContain('c.toml:4: cache[0].slots: required');
  });

  it('cache consistency: defaults, names, n_ctx vs share, share budget, empty routes', () => {
    const two = '[[cache]]\nname = "a"\nslots = 1\n[[cache]]\nname = "b"\nslots = 1\n';
    expect(errorOf(two)).toContain('c.toml:1: cache: mark one cache with default = true');
    expect(errorOf('[[cache]]\nname = "a"\nslots = 1\ndefault = true\n[[cache]]\nname = "b"\nslots = 1\ndefault = true\n')).toContain(
      'c.toml:8: cache[1].default: only one cache may be the default; "a" already is',
    );
    expect(errorOf('[[cache]]\nname = "a"\nslots = 1\ndefault = true\n[[cache]]\nname = "a"\nslots = 1\n')).toContain(
      'c.toml:6: cache[1].name: another cache is already named "a"',
    );
    expect(errorOf('[model]\nn_ctx_total = 100\n[[cache]]\nname = "a"\nslots = 1\nn_ctx = 5\nshare = 0.5\n')).toContain('c.toml:7: cache[0].share: give n_ctx');
    expect(errorOf('[[cache]]\nname = "a"\nslots = 1\nshare = 0.5\n')).toContain('c.toml:4: cache[0].share: share needs [model].n_ctx_total');
    expect(errorOf('[model]\nn_ctx_total = 100\n[[cache]]\nname = "a"\nslots = 1\nshare = 0.7\ndefault = true\n[[cache]]\nname = "b"\nslots = 1\nshare = 0.6\n')).toContain(
      "c.toml:11: cache[1].share: the caches' shares add up to 1.3, more than 1",
    );
    expect(errorOf('[[cache]]\nname = "a"\nslots = 1\n[[cache.route]]\n')).toContain('c.toml:4: cache[0].route[0]: a route needs at least one of');
  });

  it('api_key with api_key_env', () => {
    expect(errorOf('[server]\napi_key = "a"\napi_key_env = "B"\n')).toContain('c.toml:3: server.api_key_env: give api_key or api_key_env, not both');
  });

  it('reports every problem at once', () => {
    const message = errorOf('[server]\nport = -1\nfoo = 1\n[model]\nn_batch = 0\n');
    expect(message).toContain('server.port');
    expect(message).toContain('server.foo');
    expect(message).toContain('model.n_batch');
  });
});

describe('ignoredFlagsWarning', () => {
  it('names each model/server flag given on the command line, once', () => {
    const fromCli = new Set(['nCtx', 'port', 'mmap', 'mock']);
    const flags: Record<string, string> = { nCtx: '--n-ctx', port: '--port', mmap: '--no-mmap' };
    const warning = ignoredFlagsWarning(
      (name) => fromCli.has(name),
      (name) => flags[name] ?? name,
    );
    expect(warning).toBe('--config given: ignoring --port, --n-ctx, --no-mmap from the command line (set them in the config file instead)');
    expect(
      ignoredFlagsWarning(
        () => false,
        (name) => name,
      ),
    ).toBeUndefined();
  });
});
