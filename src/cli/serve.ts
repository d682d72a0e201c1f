// `llama-bridge serve`: the flags (or `--config`) become one Config (config/), and the server
// starts from it (server/start.ts). Serves until SIGINT/SIGTERM, then lets in-flight requests finish.

import { InvalidArgumentError, Option, type Command } from '@commander-js/extra-typings';
import { FAMILY_IDS } from '../chat/parsers/types.js';
import { API_KEY_ENV, DEFAULT_DRAFT_MAX, DEFAULTS, LOG_LEVELS, REASONING_FORMATS, REMOTE_API_KEY_ENV, type Config } from '../config/config.js';
import { REMOTE_PROTOCOLS } from '../engine/remote/options.js';
import { SPECULATION_TYPES, speculationType, type SpeculationType } from '../engine/speculation/options.js';
import { resolveServeConfig, type ServeFlags } from '../config/flags.js';
import { ContextCreationError } from '../engine/errors.js';
import { FatalError } from '../errors.js';
import { startServer } from '../server/start.js';
import { createCliLogger } from './logger.js';
import { intOption, parseGpuLayers } from './parse.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve a GGUF model over the Anthropic Messages and OpenAI Chat Completions APIs')
    .option('-m, --model <path>', 'GGUF file, folder holding one, a path under models/, or a Hugging Face repo id (org/repo, org/repo:Q4_K_M, org/repo/file.gguf)')
    .option('--pull', 'download a --model repo id into models/ first if it is not there yet')
    .option('--config <file.toml>', 'read server, model and cache settings from a TOML file (see configs/); replaces the model and server flags')
    .option('--mock', 'serve scripted answers without loading a model (for testing clients)')
    .option('--mock-script <file>', 'JSON file of scripted mock responses (with --mock)')
    .option('--host <address>', 'address to bind', DEFAULTS.host)
    .addOption(new Option('--port <n>', 'port to listen on').default(DEFAULTS.port).argParser(intOption('--port', 0, 65535)))
    .addOption(new Option('--api-key <key>', 'require this key (Authorization: Bearer or x-api-key)').env(API_KEY_ENV))
    .option('--allow-remote-without-key', 'allow binding a non-loopback address without --api-key')
    .option('--cors <origins>', "comma-separated allowed CORS origins, or '*' (default: CORS off)")
    .addOption(new Option('-c, --n-ctx <n>', 'context tokens per slot; 0 = model training context, capped to memory').default(DEFAULTS.nCtx).argParser(intOption('--n-ctx', 0)))
    .addOption(new Option('-b, --n-batch <n>', 'logical batch size for prompt processing').default(DEFAULTS.batchSize).argParser(intOption('--n-batch', 1)))
    .addOption(new Option('--n-ubatch <n>', 'physical batch size (node-llama-cpp decodes with ubatch = batch: the smaller one is used)').argParser(intOption('--n-ubatch', 1)))
    .addOption(new Option('-t, --n-threads <n>', 'CPU threads for generation and prompt processing (default: all math cores)').argParser(intOption('--n-threads', 1)))
    .addOption(new Option('--flash-attn [on|off]', 'flash attention (default: auto)').argParser(parseOnOff))
    .addOption(new Option('--n-gpu-layers <n|auto|max>', 'layers to offload to the GPU (default: auto, all that fit)').argParser(parseGpuLayers))
    .addOption(
      new Option('--parallel <n>', 'number of slots: requests served at once, each with its own KV cache').default(DEFAULTS.parallel).argParser(intOption('--parallel', 1, 256)),
    )
    .addOption(
      new Option('--queue-size <n>', 'requests that may wait for a free slot before the server answers 503').default(DEFAULTS.queueSize).argParser(intOption('--queue-size', 0)),
    )
    .option('--chat-template-file <file>', "Jinja chat template to use instead of the model's own")
    .addOption(new Option('--chat-format <family>', 'output syntax to parse (tool calls, thinking); default: detected from the chat template').choices(FAMILY_IDS))
    .addOption(
      new Option('--reasoning-format <format>', 'auto: split thinking into reasoning_content; none: leave it in the text')
        .choices(REASONING_FORMATS)
        .default(DEFAULTS.reasoningFormat),
    )
    .option('--no-mmap', 'read the whole model into memory instead of memory-mapping it')
    .option('--swa-full', 'give sliding-window layers a cache of the whole context: any earlier point of a prompt reusable without checkpoints, at the cost of memory')
    .addOption(
      new Option('--ctx-checkpoints <n>', 'most prompt-cache checkpoints per slot on sliding-window and recurrent models (oldest dropped first)')
        .default(DEFAULTS.ctxCheckpoints)
        .argParser(intOption('--ctx-checkpoints', 1)),
    )
    .addOption(
      new Option('--checkpoint-memory <MiB>', "most memory one slot's checkpoints take, oldest dropped first (one always stays)")
        .default(DEFAULTS.checkpointMemoryMiB)
        .argParser(positiveNumberOption('--checkpoint-memory')),
    )
    .addOption(
      new Option(
        '--spec-type <type>',
        `speculative decoding: none, ngram (drafts from the prompt and output so far), draft (a draft model, --model-draft); llama-server spellings accepted (default: ${DEFAULTS.specType}, draft with --model-draft)`,
      ).argParser(parseSpecType),
    )
    .addOption(
      new Option('--draft-max <n>', `most tokens drafted per step (default: ngram ${DEFAULT_DRAFT_MAX.ngram}, draft ${DEFAULT_DRAFT_MAX.draft})`).argParser(
        intOption('--draft-max', 1),
      ),
    )
    .addOption(new Option('--draft-min <n>', 'drafts shorter than this are not verified').default(DEFAULTS.draftMin).argParser(intOption('--draft-min', 0)))
    .option('--model-draft <file.gguf>', 'draft model for --spec-type draft: a small model with the same vocabulary (alias -md)')
    .option(
      '--remote <url>',
      `a remote engine evaluates and samples (e.g. a llama.cpp server: http://gpu-box:8080); --model then supplies only the chat template and vocabulary. Its API key comes from $${REMOTE_API_KEY_ENV}`,
    )
    .addOption(new Option('--remote-protocol <protocol>', `how to talk to --remote (default: ${DEFAULTS.remoteProtocol})`).choices(REMOTE_PROTOCOLS))
    .addOption(
      new Option(
        '--remote-timeout <seconds>',
        `with --remote: give a request up after this long without a byte from the remote (default: ${DEFAULTS.remoteTimeoutSeconds})`,
      ).argParser(intOption('--remote-timeout', 1)),
    )
    .option(
      '--remote-affinity-header <names>',
      `with --remote: headers that carry each conversation's key, for prefix-cache-aware routers (comma-separated; "" for none; default: ${DEFAULTS.remoteAffinityHeaders.join(',')})`,
    )
    .addOption(new Option('--log-level <level>', 'log level (default: info, debug with --debug)').choices(LOG_LEVELS))
    .option('--debug', 'keep four snapshots per request (request, prompt, raw output, response) and log verbosely')
    .option('--debug-dir <dir>', 'where --debug writes its snapshots', DEFAULTS.debugDir)
    .option('--cache-isolation', "reuse a slot's cached prompt only for requests with the same API key (clients cannot probe each other's prompts through cached_tokens)")
    .option('--reject-images', "answer a request holding an image with a 400 (default: a text note takes the image's place; no model served has vision)")
    .option('--cache-dir <dir>', "save the slots' KV caches here on shutdown and restore them at start (hot restarts)")
    .addOption(
      new Option('--cache-save-idle <seconds>', 'with --cache-dir, also save changed caches after this long without requests (0: on shutdown only)')
        .default(DEFAULTS.cacheSaveIdleSeconds)
        .argParser(intOption('--cache-save-idle', 0)),
    )
    .addOption(
      new Option('--shutdown-grace-ms <ms>', 'on SIGINT/SIGTERM, how long in-flight requests may finish')
        .default(DEFAULTS.shutdownGraceMs)
        .argParser(intOption('--shutdown-grace-ms', 0)),
    )
    .action(async (flags, command) => {
      const { config, warnings } = resolveServeConfig(flags as ServeFlags, {
        isFromCli: (name) => command.getOptionValueSource(name) === 'cli',
        flagOf: (name) => command.options.find((option) => option.attributeName() === name)?.long ?? name,
      });
      await serve(config, warnings, flags.config);
    });
}

function parseSpecType(value: string): SpeculationType {
  const type = speculationType(value);
  if (type === undefined) throw new InvalidArgumentError(`--spec-type takes ${SPECULATION_TYPES.join(', ')}; not "${value}"`);
  return type;
}

function parseOnOff(value: string | undefined): boolean {
  if (value === undefined || value === 'on' || value === 'true' || value === '1') return true;
  if (value === 'off' || value === 'false' || value === '0') return false;
  throw new FatalError(`--flash-attn takes on or off, not "${value}"`);
}

function positiveNumberOption(flag: string) {
  return (value: string): number => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number <= 0) throw new InvalidArgumentError(`${flag} takes a number > 0, not "${value}".`);
    return number;
  };
}

export async function serve(config: Config, warnings: readonly string[] = [], configFile?: string): Promise<void> {
  const logger = createCliLogger(config.server.logLevel);
  for (const warning of warnings) logger.warn(warning);
  let server;
  try {
    server = await startServer(config, logger);
  } catch (error) {
    if (error instanceof ContextCreationError) throw new FatalError(`${error.message}. ${contextRemedy(error, configFile)}`, { cause: error });
    throw error;
  }
  process.stderr.write(`llama-bridge serving ${server.engine.info.name} at ${server.url} (Anthropic and OpenAI APIs under ${server.url}/v1)\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      logger.info({ signal }, 'shutting down: no new requests, letting in-flight requests finish');
      server.stop().then(resolve, (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        resolve();
      });
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

/** What to change when a cache's context cannot be created, in the words the user configured it with. */
export function contextRemedy(error: ContextCreationError, configFile: string | undefined): string {
  if (configFile) return `Give cache "${error.facts.cache}" a smaller n_ctx (or share) or fewer slots in ${configFile}.`;
  return 'Try a smaller --n-ctx or fewer --parallel slots.';
}
