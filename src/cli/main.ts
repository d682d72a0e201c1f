// The `llama-bridge` command: one bin, one subcommand per file.
import { Command, CommanderError } from '@commander-js/extra-typings';
import { createRequire } from 'node:module';
import { FatalError } from '../errors.js';
import { registerCc } from './cc.js';
import { registerHfd } from './hfd.js';
import { rewriteLlamaFlags } from './llama-flags.js';
import { registerServe } from './serve.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('llama-bridge')
    .description('Run GGUF models in-process through llama.cpp and serve them to agents')
    .version(version)
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerCc(program);
  registerHfd(program);
  try {
    await program.parseAsync(rewriteLlamaFlags(argv), { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander already printed it
    if (error instanceof FatalError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
