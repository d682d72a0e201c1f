// `serve --model <repo id> --pull`: download the model a reference names (only its GGUF file or
// split parts) into models/<repo>/, then let the normal lookup find it.
import { join, resolve } from 'node:path';
import { resolveModelPath, type ResolveOptions } from './model-path.js';
import { downloadRepo, type DownloadOptions } from './download.js';
import { parseModelRef, selectModelFiles } from './model-ref.js';
import { createProgressReporter } from './progress.js';

export type PullOptions = ResolveOptions & Pick<DownloadOptions, 'endpoint' | 'token' | 'reporter' | 'retry' | 'signal'>;

/** The local GGUF for `--model`; with `pull`, downloads a Hugging Face reference that is not there yet. */
export async function resolveOrPullModel(input: string, pull: boolean | undefined, options: PullOptions = {}): Promise<string> {
  const ref = parseModelRef(input);
  try {
    return resolveModelPath(input, options);
  } catch (error) {
    if (!pull || !ref) throw error;
  }
  const modelsDir = resolve(options.cwd ?? process.cwd(), options.modelsDir ?? 'models');
  await downloadRepo({
    repo: ref.repo,
    localDir: join(modelsDir, ...ref.repo.split('/')),
    select: (files) => selectModelFiles(files, ref),
    selectLabel: ref.file ? `the file ${ref.file}` : ref.quant ? `a GGUF model file named like ${ref.quant}` : 'a GGUF model file',
    reporter: options.reporter ?? createProgressReporter(),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return resolveModelPath(input, options);
}
