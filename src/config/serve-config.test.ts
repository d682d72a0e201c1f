import { Command } from '@commander-js/extra-typings';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rewriteLlamaFlags } from '../cli/llama-flags.js';
import { registerServe, resolveServeOptions, type ServeOptions } from '../cli/serve.js';

const tmp = mkdtempSync(join(tmpdir(), 'llama-bridge-serve-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const config = join(tmp, 'c.toml');
writeFileSync(config, '[server]\nport = 9100\n\n[model]\npath = "m.gguf"\nn_ctx = 2048\n\n[[cache]]\nname = "main"\nslots = 2\n');

/** Parse `serve` arguments as the CLI does, returning what the action would serve with. */
function parseServe(args: string[]): { options: ServeOptions; warnings: string[] } {
  const program = new Command('llama-bridge').exitOverride();
  registerServe(program);
  let result: { options: ServeOptions; warnings: string[] } | undefined;
  const serve = program.commands.find((command) => command.name() === 'serve')!;
  serve.action(function (this: typeof serve) {
    result = resolveServeOptions(this.opts(), this);
  });
  program.parse(rewriteLlamaFlags(['serve', ...args]), { from: 'user' });
  return result!;
}

describe('serve --config', () => {
  it('takes settings from the file, with defaults for the rest and no warning', () => {
    const { options, warnings } = parseServe(['--config', config]);
    expect(warnings).toEqual([]);
    expect(options).toMatchObject({ port: 9100, host: '127.0.0.1', nCtx: 2048, nBatch: 512, parallel: 2, model: 'm.gguf', logLevel: 'info' });
    expect(options.caches).toEqual([{ name: 'main', slots: 2, contextSize: 2048, queueSize: 64, routes: [], default: true }]);
  });

  it('ignores model and server flags given on the command line, with one warning naming each', () => {
    const { options, warnings } = parseServe(['--config', config, '--port', '1234', '-c', '99', '-np', '8', '--no-mmap', '--mock']);
    expect(options).toMatchObject({ port: 9100, nCtx: 2048, parallel: 2, mmap: true, mock: true });
    expect(warnings).toEqual(['--config given: ignoring --port, --n-ctx, --parallel, --no-mmap from the command line (set them in the config file instead)']);
  });

  it('leaves the flags alone without --config', () => {
    const { options, warnings } = parseServe(['-m', 'x.gguf', '--port', '1234']);
    expect(warnings).toEqual([]);
    expect(options).toMatchObject({ model: 'x.gguf', port: 1234, parallel: 4 });
    expect(options.caches).toBeUndefined();
  });

  it('needs [model].path unless --mock', () => {
    const noModel = join(tmp, 'no-model.toml');
    writeFileSync(noModel, '[server]\nport = 1\n');
    expect(() => parseServe(['--config', noModel])).toThrow(/\[model\] path is missing/);
    expect(parseServe(['--config', noModel, '--mock']).options.mock).toBe(true);
  });
});
