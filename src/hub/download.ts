// `hfd` end to end: resolve the revision to a commit, list the files, filter them, check paths
// and disk space, then download in bounded parallel and summarise.
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { checkFreeSpace, type FreeSpaceProbe } from './disk-space.js';
import { HubError } from './errors.js';
import { downloadFile, isRecordedAsVerified, type FileJob } from './file-download.js';
import { filterPaths } from './fnmatch.js';
import { formatBytes } from './format.js';
import { HubClient, type RemoteFile } from './hub-client.js';
import type { RetryOptions } from './http.js';
import type { LockOptions } from './lock.js';
import { mapPool } from './pool.js';
import { silentReporter, type DownloadSummary, type ProgressReporter } from './progress.js';
import { assertSafeRemotePath, prepareLocalPath } from './safe-path.js';

export interface DownloadOptions {
  repo: string;
  /** Branch, tag or commit (default: main). */
  revision?: string;
  include?: readonly string[];
  exclude?: readonly string[];
  /** Default: models/<repo> under the current folder. */
  localDir?: string;
  /** Default: HF_TOKEN. */
  token?: string;
  /** Default: HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Files downloaded at once (default 4). */
  concurrency?: number;
  retry?: RetryOptions;
  idleTimeoutMs?: number;
  lock?: LockOptions;
  signal?: AbortSignal;
  reporter?: ProgressReporter;
  freeSpace?: FreeSpaceProbe;
  /** Pick files from the listing after include/exclude (used by `serve --pull` for a quant hint). */
  select?: (files: RemoteFile[]) => RemoteFile[];
  /** How to name `select` in the "matches nothing" message. */
  selectLabel?: string;
}

/** Where the "verified" records live: inside the target, out of the way of model files. */
export const RECORD_DIR = '.cache/hfd';

export function defaultLocalDir(repo: string, cwd = process.cwd()): string {
  return resolve(cwd, 'models', ...repo.split('/'));
}

export function listingForHumans(files: readonly RemoteFile[], limit = 40): string {
  const lines = files.slice(0, limit).map((file) => `  ${file.path} (${formatBytes(file.size)})`);
  if (files.length > limit) lines.push(`  … and ${files.length - limit} more`);
  return lines.join('\n');
}

export async function downloadRepo(options: DownloadOptions): Promise<DownloadSummary> {
  const started = performance.now();
  const reporter = options.reporter ?? silentReporter;
  const token = options.token ?? (process.env.HF_TOKEN || undefined);
  const client = new HubClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(token ? { token } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    onRetry: (message) => reporter.note(message),
  });
  const revision = options.revision ?? 'main';
  const info = await client.revisionInfo(options.repo, revision, options.signal);
  const all = await client.listFiles(options.repo, info.sha, options.signal);

  let selected = filterPaths(all, { ...(options.include ? { include: options.include } : {}), ...(options.exclude ? { exclude: options.exclude } : {}) }, (file) => file.path);
  if (options.select) selected = options.select(selected);
  if (selected.length === 0) {
    const filters = [...(options.include ?? []).map((g) => `--include "${g}"`), ...(options.exclude ?? []).map((g) => `--exclude "${g}"`)].join(' ');
    throw new HubError(
      all.length === 0
        ? `${options.repo} @ ${revision} has no files.`
        : `No file of ${options.repo} @ ${revision} matches ${[filters, options.selectLabel].filter(Boolean).join(' and ') || 'the selection'}. Patterns follow fnmatch: * also matches /, and case matters. The repository has:\n${listingForHumans(all)}`,
    );
  }
  const unsafe: string[] = [];
  for (const file of selected) {
    try {
      assertSafeRemotePath(file.path);
    } catch (error) {
      unsafe.push((error as Error).message);
    }
  }
  if (unsafe.length) throw new HubError(`The Hub listed unsafe file paths for ${options.repo}; nothing was downloaded.\n  ${unsafe.join('\n  ')}`);

  const dir = resolve(options.localDir ?? defaultLocalDir(options.repo));
  const jobs: FileJob[] = [];
  const skipped: RemoteFile[] = [];
  let needed = 0;
  for (const file of selected) {
    const job: FileJob = {
      repo: options.repo,
      commit: info.sha,
      file,
      url: client.fileUrl(options.repo, info.sha, file.path),
      localPath: await prepareLocalPath(dir, file.path),
      metaPath: await prepareLocalPath(dir, `${RECORD_DIR}/${file.path}.json`),
    };
    if (await isRecordedAsVerified(job)) {
      skipped.push(file);
      continue;
    }
    const part = await lstat(`${job.localPath}.part`).catch(() => undefined);
    needed += file.size - (part?.isFile() && part.size <= file.size ? part.size : 0);
    jobs.push(job);
  }
  await checkFreeSpace(dir, needed, options.freeSpace);

  reporter.plan({ repo: options.repo, commit: info.sha, dir, toFetch: jobs.map((job) => job.file), skipped });
  let transferred = 0;
  const results = await mapPool(jobs, options.concurrency ?? 4, async (job) => {
    const outcome = await downloadFile(job, {
      ...(token ? { token } : {}),
      tokenOrigin: client.tokenOrigin,
      endpoint: client.endpoint,
      revision,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      ...(options.lock ? { lock: options.lock } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      events: {
        start: (path, size, from) => reporter.start?.(path, size, from),
        progress: (path, delta) => {
          if (delta > 0) transferred += delta;
          reporter.progress?.(path, delta);
        },
        restart: (path, reason) => reporter.restart?.(path, reason),
        retry: (path, message) => reporter.retry?.(path, message),
        waiting: (path, holder) => reporter.waiting?.(path, holder),
      },
    }).catch((error: unknown) => {
      reporter.fileFailed(job.file.path, (error as Error).message);
      throw error;
    });
    reporter.fileDone(job.file.path, outcome);
    return outcome;
  });

  const summary: DownloadSummary = {
    repo: options.repo,
    commit: info.sha,
    dir,
    downloaded: [],
    skipped,
    failed: [],
    bytesTransferred: transferred,
    seconds: (performance.now() - started) / 1000,
  };
  results.forEach((result, index) => {
    const file = jobs[index]!.file;
    if (result.status === 'rejected') summary.failed.push({ file, message: (result.reason as Error).message });
    else if (result.value === 'skipped') summary.skipped.push(file);
    else summary.downloaded.push(file);
  });
  reporter.finish(summary);
  if (options.signal?.aborted) throw options.signal.reason;
  if (summary.failed.length) {
    const first = summary.failed[0]!;
    throw new HubError(
      summary.failed.length === 1 ? first.message : `${summary.failed.length} files failed:\n${summary.failed.map(({ file, message }) => `  ${file.path}: ${message}`).join('\n')}`,
    );
  }
  return summary;
}
