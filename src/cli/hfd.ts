// `llama-bridge hfd <repo_id>`: download files of a Hugging Face repository into
// models/<repo_id>/ — resumable, verified, never outside the target folder.
import { Option, type Command } from '@commander-js/extra-typings';
import { FatalError } from '../errors.js';
import { downloadRepo, defaultLocalDir } from '../hub/download.js';
import { createProgressReporter } from '../hub/progress.js';
import { intOption } from './parse.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export interface HfdCliOptions {
  include: string[];
  exclude: string[];
  localDir?: string;
  revision: string;
  token?: string;
  concurrency: number;
}

export function registerHfd(program: Command): void {
  program
    .command('hfd')
    .description('Download a Hugging Face repository (or the files --include picks) into models/<repo_id>/: resumable, sha256-verified')
    .argument('<repo_id>', 'repository id, e.g. unsloth/Qwen3-Coder-30B-A3B-Instruct-GGUF')
    .option('--include <glob>', 'only files matching this pattern (fnmatch: * also matches /, case-sensitive); repeatable', collect, [] as string[])
    .option('--exclude <glob>', 'skip files matching this pattern; repeatable', collect, [] as string[])
    .option('--local-dir <dir>', 'where to put the files (default: models/<repo_id>)')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .addOption(new Option('--token <token>', 'Hugging Face token, for gated and private repositories').env('HF_TOKEN'))
    .addOption(new Option('--concurrency <n>', 'files downloaded at once').default(4).argParser(intOption('--concurrency', 1, 32)))
    .addHelpText('after', '\nHF_ENDPOINT selects a mirror (default https://huggingface.co). Interrupted downloads resume from <file>.part.')
    .action(async (repo, options) => {
      await runHfd(repo, options);
    });
}

export async function runHfd(repo: string, options: HfdCliOptions): Promise<void> {
  const abort = new AbortController();
  const onSignal = () => abort.abort(new FatalError('Interrupted. Partial files are kept as <file>.part: run the same command again to resume.'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await downloadRepo({
      repo,
      include: options.include,
      exclude: options.exclude,
      localDir: options.localDir ?? defaultLocalDir(repo),
      revision: options.revision,
      ...(options.token ? { token: options.token } : {}),
      concurrency: options.concurrency,
      reporter: createProgressReporter(),
      signal: abort.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
