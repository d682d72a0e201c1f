// `serve`'s flags and `--config` as the CLI parses them, down to the Config the server starts from.
import { Command } from '@commander-js/extra-typings';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { speculationOf, type Config } from '../config/config.js';
import { resolveServeConfig, type ServeFlags } from '../config/flags.js';
import { rewriteLlamaFlags } from './llama-flags.js';
import { ContextCreationError } from '../engine/errors.js';
import { contextRemedy, registerServe } from './serve.js';

const tmp = mkdtempSync(join(tmpdir(), 'llama-bridge-serve-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const config = join(tmp, 'c.toml');
writeFileSync(config, '[server]\nport = 9100\n\n[model]\npath = "m.gguf"\nn_ctx = 2048\n\n[[cache]]\nname = "main"\nslots = 2\n');

/** Parse `serve` arguments as the CLI does, returning what the action would serve with. */
function parseServe(args: string[]): { config: Config; warnings: string[] } {
  // Rejected values throw (exitOverride) with the message; commander need not print it too.
  const program = new Command('llama-bridge').exitOverride().configureOutput({ writeErr: () => {} });
  registerServe(program);
  let result: { config: Config; warnings: string[] } | undefined;
  const serve = program.commands.find((command) => command.name() === 'serve')!;
  serve.action(function (this: typeof serve) {
    result = resolveServeConfig(this.opts() as ServeFlags, {
      isFromCli: (name) => this.getOptionValueSource(name) === 'cli',
      flagOf: (name) => this.options.find((option) => option.attributeName() === name)?.long ?? name,
    });
  });
  program.parse(rewriteLlamaFlags(['serve', ...args]), { from: 'user' });
  return result!;
}

describe('serve --config', () => {
  it('takes settings from the file, with defaults for the rest and no warning', () => {
    const { config: parsed, warnings } = parseServe(['--config', config]);
    expect(warnings).toEqual([]);
    expect(parsed.server).toMatchObject({ port: 9100, host: '127.0.0.1', logLevel: 'info' });
    expect(parsed.model).toMatchObject({ batchSize: 512, path: 'm.gguf' });
    expect(parsed.caches).toEqual([{ name: 'main', slots: 2, contextSize: 2048, queueSize: 64, routes: [], default: true }]);
  });

  it('ignores model and server flags given on the command line, with one warning naming each', () => {
    const { config: parsed, warnings } = parseServe(['--config', config, '--port', '1234', '-c', '99', '-np', '8', '--no-mmap', '--mock']);
    expect(parsed.server.port).toBe(9100);
    expect(parsed.model.mmap).toBe(true);
    expect(parsed.mock).toEqual({});
    expect(parsed.caches).toMatchObject([{ slots: 2, contextSize: 2048 }]);
    expect(warnings).toEqual(['--config given: ignoring --port, --n-ctx, --parallel, --no-mmap from the command line (set them in the config file instead)']);
  });

  it('leaves the flags alone without --config', () => {
    const { config: parsed, warnings } = parseServe(['-m', 'x.gguf', '--port', '1234']);
    expect(warnings).toEqual([]);
    expect(parsed.model.path).toBe('x.gguf');
    expect(parsed.server.port).toBe(1234);
    // No [[cache]]: the single default cache of --parallel slots.
    expect(parsed.caches).toEqual([{ name: 'default', slots: 4, contextSize: 0, queueSize: 64, routes: [], default: true }]);
  });

  it('--cache-isolation (cache_isolation in TOML) scopes prompt reuse to the API key; off by default', () => {
    expect(parseServe(['-m', 'x.gguf']).config.server.cacheIsolation).toBe(false);
    expect(parseServe(['-m', 'x.gguf', '--cache-isolation']).config.server.cacheIsolation).toBe(true);
    const isolated = join(tmp, 'isolated.toml');
    writeFileSync(isolated, '[server]\ncache_isolation = true\n\n[model]\npath = "m.gguf"\n');
    expect(parseServe(['--config', isolated]).config.server.cacheIsolation).toBe(true);
  });

  it('--reject-images restores the 400 for images (off by default: a note takes their place)', () => {
    expect(parseServe(['-m', 'x.gguf']).config.server.rejectImages).toBe(false);
    expect(parseServe(['-m', 'x.gguf', '--reject-images']).config.server.rejectImages).toBe(true);
    const strict = join(tmp, 'strict.toml');
    writeFileSync(strict, '[server]\nreject_images = true\n\n[model]\npath = "m.gguf"\n');
    expect(parseServe(['--config', strict]).config.server.rejectImages).toBe(true);
    expect(parseServe(['--config', config, '--reject-images']).warnings).toEqual([
      '--config given: ignoring --reject-images from the command line (set it in the config file instead)',
    ]);
  });

  it('--swa-full, --ctx-checkpoints and --checkpoint-memory reach Config.model (llama-server spellings too); --config replaces them', () => {
    expect(parseServe(['-m', 'x.gguf']).config.model).toMatchObject({ swaFull: false, ctxCheckpoints: 32 });
    expect(parseServe(['-m', 'x.gguf']).config.model).toMatchObject({ checkpointMemoryMiB: 2048 });
    const given = parseServe(['-m', 'x.gguf', '--swa-full', '--ctx-checkpoints', '8', '--checkpoint-memory', '512']).config.model;
    expect(given).toMatchObject({ swaFull: true, ctxCheckpoints: 8, checkpointMemoryMiB: 512 });
    expect(parseServe(['-m', 'x.gguf', '-ctxcp', '4']).config.model.ctxCheckpoints).toBe(4);
    expect(parseServe(['-m', 'x.gguf', '--swa-checkpoints=6']).config.model.ctxCheckpoints).toBe(6);
    const file = join(tmp, 'checkpoints.toml');
    writeFileSync(file, '[model]\npath = "m.gguf"\nswa_full = true\nctx_checkpoints = 3\ncheckpoint_memory_mib = 64\n');
    const fromFile = parseServe(['--config', file, '--ctx-checkpoints', '9', '--checkpoint-memory', '1', '--swa-full']);
    expect(fromFile.config.model).toMatchObject({ swaFull: true, ctxCheckpoints: 3, checkpointMemoryMiB: 64 });
    expect(fromFile.warnings).toEqual(['--config given: ignoring --swa-full, --ctx-checkpoints, --checkpoint-memory from the command line (set them in the config file instead)']);
  });

  it('--spec-type, --draft-max, --draft-min and --model-draft reach Config.model, in llama-server spellings too; --config replaces them', () => {
    expect(parseServe(['-m', 'x.gguf']).config.model).toMatchObject({ specType: 'none', draftMin: 0 });
    expect(speculationOf(parseServe(['-m', 'x.gguf']).config.model)).toBeUndefined();
    const ngram = parseServe(['-m', 'x.gguf', '--spec-type', 'ngram-mod', '--spec-draft-n-max', '24']).config.model;
    expect(speculationOf(ngram)).toEqual({ type: 'ngram', max: 24, min: 0 });
    expect(speculationOf(parseServe(['-m', 'x.gguf', '--spec-type', 'ngram']).config.model)).toEqual({ type: 'ngram', max: 64, min: 0 });
    // A draft model alone turns draft speculation on, as llama-server's -md does.
    const draft = parseServe(['-m', 'x.gguf', '-md', 'd.gguf', '--draft-min', '2']).config.model;
    expect(speculationOf(draft)).toEqual({ type: 'draft', max: 8, min: 2, draftModel: 'd.gguf' });
    const file = join(tmp, 'spec.toml');
    writeFileSync(file, '[model]\npath = "m.gguf"\nspec_type = "ngram-simple"\ndraft_max = 12\n');
    const fromFile = parseServe(['--config', file, '--spec-type', 'none']);
    expect(speculationOf(fromFile.config.model)).toEqual({ type: 'ngram', max: 12, min: 0 });
    expect(fromFile.warnings).toEqual(['--config given: ignoring --spec-type from the command line (set it in the config file instead)']);
  });

  it('rejects speculation settings that cannot work, saying what to change', () => {
    expect(() => parseServe(['-m', 'x.gguf', '--spec-type', 'draft-eagle3'])).toThrow('--spec-type takes none, ngram, ngram-simple');
    expect(() => parseServe(['-m', 'x.gguf', '--spec-type', 'draft'])).toThrow('--spec-type draft needs a draft model: pass --model-draft <file.gguf>');
    expect(() => parseServe(['-m', 'x.gguf', '--spec-type', 'ngram', '-md', 'd.gguf'])).toThrow('--model-draft is given but --spec-type is ngram');
    expect(() => parseServe(['-m', 'x.gguf', '--spec-type', 'ngram', '--draft-max', '4', '--draft-min', '5'])).toThrow('--draft-min (5) is larger than --draft-max (4).');
    expect(() => parseServe(['-m', 'x.gguf', '--draft-max', '0'])).toThrow('--draft-max takes a whole number ≥ 1, not "0".');
  });

  it('rejects a checkpoint count under 1 and a checkpoint memory that is not a positive number, naming the flag', () => {
    expect(() => parseServe(['-m', 'x.gguf', '--ctx-checkpoints', '0'])).toThrow('--ctx-checkpoints takes a whole number ≥ 1, not "0".');
    expect(() => parseServe(['-m', 'x.gguf', '-ctxcp', '1.5'])).toThrow('--ctx-checkpoints takes a whole number ≥ 1, not "1.5".');
    expect(() => parseServe(['-m', 'x.gguf', '--checkpoint-memory', '0'])).toThrow('--checkpoint-memory takes a number > 0, not "0".');
    expect(() => parseServe(['-m', 'x.gguf', '--checkpoint-memory', 'lots'])).toThrow('--checkpoint-memory takes a number > 0, not "lots".');
  });

  it('needs [model].path unless --mock', () => {
    const noModel = join(tmp, 'no-model.toml');
    writeFileSync(noModel, '[server]\nport = 1\n');
    expect(() => parseServe(['--config', noModel])).toThrow(/\[model\] path is missing/);
    expect(parseServe(['--config', noModel, '--mock']).config.mock).toEqual({});
  });
});

describe('a context that cannot be created', () => {
  const error = new ContextCreationError({ cache: 'main', contextSize: 65536, slots: 4, holding: [], reason: 'failed to allocate' });

  it('is reported by the engine with facts only', () => {
    expect(error.message).toBe('Could not create cache "main" (a context of 65536 tokens × 4 slots): failed to allocate');
    expect(error.message).not.toMatch(/--/);
  });

  it('gets its remedy in the words the user configured it with', () => {
    expect(contextRemedy(error, undefined)).toBe('Try a smaller --n-ctx or fewer --parallel slots.');
    expect(contextRemedy(error, 'c.toml')).toBe('Give cache "main" a smaller n_ctx (or share) or fewer slots in c.toml.');
  });
});
