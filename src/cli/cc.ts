// `llama-bridge cc [options] [claude args…]`: run Claude Code against a llama-bridge server.
//
// Everything Claude Code needs to talk to a local model is environment (docs/claude-code.md):
// the base URL, a token, the model name for every tier, the context size for auto-compaction,
// a long timeout. This command reads what it can from the server, sets those, and runs the
// real `claude` on the terminal, passing its arguments through untouched.
//
// Argument grammar, kept simple so it is obvious which program gets which flag:
//   llama-bridge cc [our options] [--] [claude args…]
//   llama-bridge cc [our options] --serve [serve flags…] [-- claude args…]
// Our options come first; the first argument that is not one of ours (or `--`) starts
// Claude Code's. After `--serve`, everything up to `--` goes to `llama-bridge serve`
// (e.g. `--model models/qwen.gguf -c 65536`). Claude Code's own `--model` therefore never
// clashes with serve's.

import { CommanderError, type Command } from '@commander-js/extra-typings';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_KEY_ENV, DEFAULTS } from '../config/config.js';
import { FatalError } from '../errors.js';

/** Local prefill of a long agent history can take minutes; Claude Code's default gives up sooner. */
export const API_TIMEOUT_MS = 60 * 60 * 1000;
/** Claude Code reads CLAUDE_CODE_AUTO_COMPACT_WINDOW as at least this (it says so and ignores smaller values). */
export const MIN_AUTO_COMPACT_WINDOW = 100_000;
/** Compact when the history fills this share of the server's context, leaving room for the summary. */
const COMPACT_AT = 0.75;
/** The token Claude Code sends when the server needs none: the server ignores it. */
export const PLACEHOLDER_TOKEN = 'llama-bridge-local';

export interface CcOptions {
  url: string;
  apiKey?: string;
  modelName?: string;
  /** Start `llama-bridge serve` with these flags; undefined: use a running server. */
  serveArgs?: string[];
  printEnv: boolean;
  help: boolean;
  claude?: string;
  /** How long to wait for a server started with --serve to load its model. */
  serveTimeoutMs: number;
  claudeArgs: string[];
}

const VALUE_OPTIONS = new Set(['--url', '--host', '--port', '--api-key', '--model-name', '--claude', '--serve-timeout']);

/** Splits `cc`'s argv (after `cc`) into our options, serve's flags and Claude Code's arguments. */
export function parseCcArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CcOptions {
  const values = new Map<string, string>();
  let printEnv = false;
  let help = false;
  let serveArgs: string[] | undefined;
  let index = 0;
  while (index < argv.length) {
    const arg = argv[index]!;
    if (arg === '--') {
      index++;
      break;
    }
    const eq = arg.indexOf('=');
    const [flag, inline] = arg.startsWith('--') && eq !== -1 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    if (VALUE_OPTIONS.has(flag)) {
      const value = inline ?? argv[index + 1];
      if (value === undefined) throw new FatalError(`cc: ${flag} needs a value`);
      values.set(flag, value);
      index += inline === undefined ? 2 : 1;
    } else if (flag === '--print-env') {
      printEnv = true;
      index++;
    } else if (flag === '--help' || flag === '-h') {
      help = true;
      index++;
    } else if (flag === '--serve') {
      const end = argv.indexOf('--', index + 1);
      serveArgs = argv.slice(index + 1, end === -1 ? argv.length : end);
      index = end === -1 ? argv.length : end + 1;
      break;
    } else {
      break; // the first argument that is not ours: Claude Code's from here on
    }
  }

  const host = values.get('--host') ?? DEFAULTS.host;
  const portText = values.get('--port');
  const port = portText === undefined ? DEFAULTS.port : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FatalError(`cc: --port takes a port number (1-65535), not "${portText}"`);
  const url = (values.get('--url') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/./.test(url)) throw new FatalError(`cc: --url must be an http(s) URL, not "${url}"`);
  const timeoutText = values.get('--serve-timeout');
  const serveTimeoutS = timeoutText === undefined ? 600 : Number(timeoutText);
  if (!(serveTimeoutS > 0)) throw new FatalError(`cc: --serve-timeout takes seconds, not "${timeoutText}"`);

  const apiKey = values.get('--api-key') ?? env[API_KEY_ENV];
  const modelName = values.get('--model-name');
  const claude = values.get('--claude');
  let finalServeArgs = serveArgs;
  if (serveArgs) {
    // The server must listen where we will look for it.
    finalServeArgs = [...serveArgs];
    if (values.has('--url')) {
      const target = new URL(url);
      if (!hasFlag(serveArgs, '--host')) finalServeArgs.push('--host', target.hostname.replace(/^\[|\]$/g, ''));
      if (!hasFlag(serveArgs, '--port')) finalServeArgs.push('--port', target.port || (target.protocol === 'https:' ? '443' : '80'));
    } else {
      if (!hasFlag(serveArgs, '--host')) finalServeArgs.push('--host', host);
      if (!hasFlag(serveArgs, '--port')) finalServeArgs.push('--port', String(port));
    }
    if (hasFlag(serveArgs, '--port') && !values.has('--port') && !values.has('--url')) {
      throw new FatalError('cc: give the port to cc (`llama-bridge cc --port 9000 --serve …`), not to serve: cc has to know where to connect.');
    }
  }
  return {
    url,
    ...(apiKey ? { apiKey } : {}),
    ...(modelName ? { modelName } : {}),
    ...(finalServeArgs ? { serveArgs: finalServeArgs } : {}),
    ...(claude ? { claude } : {}),
    printEnv,
    help,
    serveTimeoutMs: serveTimeoutS * 1000,
    claudeArgs: argv.slice(index),
  };
}

function hasFlag(args: readonly string[], flag: string): boolean {
  return args.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
}

// ---------------------------------------------------------------------------------------
// Environment

export interface ServerFacts {
  /** The model id the server lists (GET /v1/models). */
  modelId?: string;
  /** Context tokens per slot (GET /props `n_ctx`), when the server reports it. */
  nCtx?: number;
}

/** Variables whose values are secrets: masked by --print-env. */
const SECRET_VARS = new Set(['ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_API_KEY']);

/**
 * What we set for Claude Code. Values the user already set in the environment win (they are
 * left out of the result), so e.g. `ANTHROPIC_MODEL=x llama-bridge cc` does what it says.
 */
export function buildClaudeEnv(options: Pick<CcOptions, 'url' | 'apiKey' | 'modelName'>, facts: ServerFacts, userEnv: NodeJS.ProcessEnv): Record<string, string> {
  const set: Record<string, string> = {
    ANTHROPIC_BASE_URL: options.url,
    API_TIMEOUT_MS: String(API_TIMEOUT_MS),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    // Drops the per-conversation `x-anthropic-billing-header` line at the source; the server
    // strips it too (claude-code-prompt.ts) for clients started without this.
    CLAUDE_CODE_ATTRIBUTION_HEADER: '0',
  };
  // A bearer token, also when the server needs no key: with ANTHROPIC_API_KEY the interactive
  // CLI asks "Do you want to use this API key?" (default No) and then says "Not logged in".
  // The user's own ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN, when set, win.
  if (userEnv.ANTHROPIC_API_KEY === undefined) set.ANTHROPIC_AUTH_TOKEN = options.apiKey ?? PLACEHOLDER_TOKEN;

  const model = options.modelName ?? facts.modelId;
  if (model) {
    // Every tier and the background/subagent models go to the one loaded model; otherwise
    // Claude Code asks for claude-opus-… / claude-haiku-… names the server would just accept,
    // but its own per-model limits would follow those names.
    for (const name of [
      'ANTHROPIC_MODEL',
      'ANTHROPIC_DEFAULT_OPUS_MODEL',
      'ANTHROPIC_DEFAULT_SONNET_MODEL',
      'ANTHROPIC_DEFAULT_HAIKU_MODEL',
      'ANTHROPIC_SMALL_FAST_MODEL',
      'CLAUDE_CODE_SUBAGENT_MODEL',
    ]) {
      set[name] = model;
    }
  }
  if (facts.nCtx !== undefined && facts.nCtx > 0) Object.assign(set, compactionEnv(facts.nCtx));

  for (const name of Object.keys(set)) if (userEnv[name] !== undefined) delete set[name];
  return set;
}

/**
 * Auto-compaction sized to the server's context. Claude Code treats a window under 100k as
 * 100k, so for smaller contexts the threshold is lowered with the percentage override
 * (a share of that 100k window) instead.
 */
export function compactionEnv(nCtx: number): Record<string, string> {
  if (nCtx >= MIN_AUTO_COMPACT_WINDOW) return { CLAUDE_CODE_AUTO_COMPACT_WINDOW: String(nCtx) };
  const percent = Math.max(1, Math.floor((nCtx * COMPACT_AT * 100) / MIN_AUTO_COMPACT_WINDOW));
  return { CLAUDE_CODE_AUTO_COMPACT_WINDOW: String(MIN_AUTO_COMPACT_WINDOW), CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: String(percent) };
}

/** `export NAME='value'` lines, secrets masked. */
export function formatExports(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([name, value]) => `export ${name}=${shellQuote(SECRET_VARS.has(name) && value !== PLACEHOLDER_TOKEN ? mask(value) : value)}`)
    .join('\n');
}

function mask(secret: string): string {
  return secret.length <= 8 ? '****' : `${secret.slice(0, 3)}****${secret.slice(-2)}`;
}

function shellQuote(value: string): string {
  return /^[\w./:@%+,=-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------
// Finding claude

export const INSTALL_HINT = 'Claude Code is not installed. Install it with:\n  npm i -g @anthropic-ai/claude-code\nor point to it with --claude <path>.';

/** `claude` on PATH, else in this project's node_modules/.bin; undefined when neither exists. */
export function findClaude(env: NodeJS.ProcessEnv = process.env, projectBin = projectBinDir()): string | undefined {
  const names = process.platform === 'win32' ? ['claude.exe', 'claude.cmd', 'claude'] : ['claude'];
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), projectBin];
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

function projectBinDir(): string {
  // src/cli/cc.ts and dist/cli/cc.js both sit two levels under the package root.
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.bin');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// Talking to the server

type Health = 'ready' | 'loading' | 'failed' | 'down';

async function health(url: string): Promise<Health> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
    if (response.ok) return 'ready';
    const body = (await response.json().catch(() => ({}))) as { status?: string };
    return body.status === 'failed' ? 'failed' : 'loading';
  } catch {
    return 'down';
  }
}

/** The model id and context size, from GET /v1/models and GET /props. Missing facts stay undefined. */
export async function serverFacts(url: string, apiKey?: string): Promise<ServerFacts> {
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const get = async (path: string): Promise<unknown> => {
    try {
      const response = await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(5_000) });
      if (response.status === 401 || response.status === 403)
        throw new FatalError(`The server at ${url} refused the API key (HTTP ${response.status}). Pass the server's key with --api-key or ${API_KEY_ENV}.`);
      return response.ok ? await response.json() : undefined;
    } catch (error) {
      if (error instanceof FatalError) throw error;
      return undefined;
    }
  };
  const [models, props] = await Promise.all([get('/v1/models'), get('/props')]);
  const modelId = (models as { data?: { id?: unknown }[] } | undefined)?.data?.[0]?.id;
  const nCtx =
    (props as { n_ctx?: unknown; default_generation_settings?: { n_ctx?: unknown } } | undefined)?.n_ctx ??
    (props as { default_generation_settings?: { n_ctx?: unknown } } | undefined)?.default_generation_settings?.n_ctx;
  return {
    ...(typeof modelId === 'string' ? { modelId } : {}),
    ...(typeof nCtx === 'number' && nCtx > 0 ? { nCtx } : {}),
  };
}

interface StartedServer {
  child: ChildProcess;
  logPath: string;
  stop(): Promise<void>;
}

/** `llama-bridge serve …` in the background, its output in a log file so it cannot garble Claude Code's screen. */
function startServe(serveArgs: string[], apiKey: string | undefined): StartedServer {
  const logPath = join(mkdtempSync(join(tmpdir(), 'llama-bridge-cc-')), 'serve.log');
  const log = openSync(logPath, 'a');
  // The same runtime and entry point as this process (tsx in development, the built bin otherwise).
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'serve', ...serveArgs], {
    stdio: ['ignore', log, log],
    env: { ...process.env, ...(apiKey ? { [API_KEY_ENV]: apiKey } : {}) },
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    logPath,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Polls /health until ready, with a progress line; fails early when the server process dies. */
async function waitReady(url: string, server: StartedServer, timeoutMs: number): Promise<void> {
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  for (;;) {
    const state = await health(url);
    if (state === 'ready') break;
    const exit = server.child.exitCode ?? server.child.signalCode;
    if (exit !== null || state === 'failed') {
      throw new FatalError(
        `llama-bridge serve ${state === 'failed' ? 'failed to load the model' : `exited (${exit})`} before it was ready. Its log (${server.logPath}):\n${tail(server.logPath)}`,
      );
    }
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (Date.now() - started > timeoutMs)
      throw new FatalError(`llama-bridge serve was not ready after ${elapsed} s (log: ${server.logPath}); raise --serve-timeout for big models.`);
    const what = state === 'loading' ? 'loading the model' : 'starting';
    if (tty) process.stderr.write(`\rllama-bridge serve: ${what}… ${elapsed} s `);
    else if (elapsed - lastLine >= 5 || lastLine === 0) {
      process.stderr.write(`llama-bridge serve: ${what}… ${elapsed} s\n`);
      lastLine = Math.max(elapsed, 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  process.stderr.write(`${tty ? '\r' : ''}llama-bridge serve: ready at ${url} after ${((Date.now() - started) / 1000).toFixed(1)} s (log: ${server.logPath})\n`);
}

// ---------------------------------------------------------------------------------------
// Running claude

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

/** Runs claude on this terminal; resolves with its exit code (128 + signal when it was killed). */
function runClaude(claude: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(claude, args, { stdio: 'inherit', env });
    // A terminal's Ctrl+C reaches claude directly (same process group); this covers signals
    // sent to us alone (kill, a supervisor). Either way we wait for claude to exit.
    const forward = (signal: NodeJS.Signals) => () => {
      if (child.exitCode === null) child.kill(signal);
    };
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.once('error', (error) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      reject(new FatalError(`Could not start Claude Code (${claude}): ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 1) : 1));
    });
  });
}

export async function runCc(options: CcOptions): Promise<number> {
  const claude = options.claude ?? findClaude();
  if (!claude && !options.printEnv) throw new FatalError(INSTALL_HINT);

  let server: StartedServer | undefined;
  try {
    let state = await health(options.url);
    if (options.serveArgs && state === 'down') {
      process.stderr.write(`llama-bridge cc: starting llama-bridge serve ${options.serveArgs.join(' ')}\n`);
      server = startServe(options.serveArgs, options.apiKey);
      await waitReady(options.url, server, options.serveTimeoutMs);
      state = 'ready';
    } else if (options.serveArgs) {
      process.stderr.write(`llama-bridge cc: a server already answers at ${options.url}; using it instead of starting one.\n`);
    }
    if (state === 'down') {
      throw new FatalError(
        `No llama-bridge server answers at ${options.url}.\nStart one first (llama-bridge serve --model <file.gguf>), or let cc start it:\n  llama-bridge cc --serve --model <file.gguf> [serve flags…] [-- claude args…]`,
      );
    }
    if (state === 'failed') throw new FatalError(`The server at ${options.url} failed to load its model; see its log.`);
    if (state === 'loading') {
      process.stderr.write(`llama-bridge cc: the server at ${options.url} is still loading its model; Claude Code's first request will wait for it.\n`);
    }

    const facts = await serverFacts(options.url, options.apiKey);
    const vars = buildClaudeEnv(options, facts, process.env);
    if (options.printEnv) {
      process.stdout.write(`${formatExports(vars)}\n`);
      return 0;
    }
    return await runClaude(claude!, options.claudeArgs, { ...process.env, ...vars });
  } finally {
    await server?.stop();
  }
}

// ---------------------------------------------------------------------------------------
// Registration

export const CC_HELP = `Usage: llama-bridge cc [options] [--] [claude args…]
       llama-bridge cc [options] --serve [serve flags…] [-- claude args…]

Run Claude Code (the \`claude\` CLI) against a llama-bridge server. Our options come
first; everything from the first other argument (or after \`--\`) goes to claude untouched.

Options:
  --url <url>            server URL (default: http://<host>:<port>)
  --host <address>       server host (default: ${DEFAULTS.host})
  --port <n>             server port (default: ${DEFAULTS.port})
  --api-key <key>        the server's API key (env: ${API_KEY_ENV})
  --model-name <name>    model name to give Claude Code (default: the id GET /v1/models lists)
  --serve [flags…]       start \`llama-bridge serve [flags…]\` in the background, wait until it
                         is ready, stop it when claude exits; the flags end at \`--\`
  --serve-timeout <s>    how long to wait for --serve to load the model (default: 600)
  --claude <path>        the claude executable (default: on PATH, else node_modules/.bin)
  --print-env            print the environment it would set (export lines) and exit
  -h, --help             this help

Examples:
  llama-bridge cc                                  # interactive, server on :8000
  llama-bridge cc -p "explain src/main.ts"         # one non-interactive turn
  llama-bridge cc --serve --model models/qwen.gguf -c 65536 -- --resume
  eval "$(llama-bridge cc --print-env)"; claude    # set the variables in your shell
`;

export function registerCc(program: Command): void {
  program
    .command('cc')
    .description('Run Claude Code against a llama-bridge server (args after ours go to claude)')
    // We parse cc's arguments ourselves: commander would drop `--` and could take Claude
    // Code's flags (its --model, -p, --resume…) for ours.
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (_args, _options, command) => {
      const raw = (command.parent as { rawArgs?: string[] } | null)?.rawArgs ?? [];
      const options = parseCcArgs(argsAfterCommand(raw, 'cc'));
      if (options.help) {
        process.stdout.write(CC_HELP);
        return;
      }
      const code = await runCc(options);
      // main() turns a CommanderError into its exit code without printing anything more.
      if (code !== 0) throw new CommanderError(code, 'llama-bridge.cc.exit', '');
    });
}

/** The arguments after the subcommand's name (the program itself takes no option values). */
export function argsAfterCommand(raw: readonly string[], name: string): string[] {
  const at = raw.indexOf(name);
  return at === -1 ? [] : raw.slice(at + 1);
}
