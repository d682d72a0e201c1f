// Downloads one file so that it can be trusted: under a lock, into `<file>.part`, resuming with
// HTTP Range, hashed as it arrives, checked against the Hub's size and hash, then renamed into
// place. A file already present and verified is left alone.
import { constants } from 'node:fs';
import { lstat, open, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HubError } from './errors.js';
import { hubErrorFromResponse } from './errors.js';
import { backoffDelay, hubFetch, isTransient, type RetryOptions } from './http.js';
import type { RemoteFile } from './hub-client.js';
import { acquireLock, type LockOptions } from './lock.js';
import { createContentHasher, describeHash, expectedHash, hashFileInto, type ContentHasher } from './verify.js';

export interface FileJob {
  repo: string;
  commit: string;
  file: RemoteFile;
  url: string;
  /** Final local path (its folder already created and checked to be inside the target). */
  localPath: string;
  /** Where the "verified" record for this file lives. */
  metaPath: string;
}

export interface FileEvents {
  start?(path: string, size: number, resumedFrom: number): void;
  /** Bytes written (negative when a restart throws bytes away). */
  progress?(path: string, delta: number): void;
  restart?(path: string, reason: string): void;
  waiting?(path: string, holder: string): void;
  retry?(path: string, message: string): void;
}

export interface FileDownloadOptions {
  token?: string;
  tokenOrigin: string;
  endpoint: string;
  revision: string;
  retry?: RetryOptions;
  /** Abort and resume a request that delivers nothing for this long (default 60 s). */
  idleTimeoutMs?: number;
  lock?: LockOptions;
  signal?: AbortSignal;
  events?: FileEvents;
}

export type FileOutcome = 'downloaded' | 'skipped';

interface VerifiedRecord {
  path: string;
  size: number;
  hash: string | null;
  commit: string;
  mtimeMs: number;
}

const OPEN_PART = constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);

/** Cheap check (no hashing): present with the right size and a matching "verified" record. */
export async function isRecordedAsVerified(job: Pick<FileJob, 'file' | 'localPath' | 'metaPath'>): Promise<boolean> {
  const stats = await lstat(job.localPath).catch(() => undefined);
  if (!stats?.isFile() || stats.size !== job.file.size) return false;
  const record = await readRecord(job.metaPath);
  return record !== undefined && record.size === job.file.size && record.hash === (expectedHash(job.file) ?? null) && record.mtimeMs === stats.mtimeMs;
}

/** Present and correct: by its record, else by hashing it (and then recording that). */
async function isPresentAndVerified(job: FileJob): Promise<boolean> {
  if (await isRecordedAsVerified(job)) return true;
  const stats = await lstat(job.localPath).catch(() => undefined);
  // A symlink at the final name is never trusted: the download's rename replaces the link itself.
  if (!stats?.isFile() || stats.size !== job.file.size) return false;
  const expected = expectedHash(job.file);
  if (expected) {
    const hasher = createContentHasher(job.file);
    await hashFileInto(job.localPath, hasher);
    if (hasher.digest() !== expected) return false;
  }
  await writeRecord(job, stats.mtimeMs);
  return true;
}

async function readRecord(path: string): Promise<VerifiedRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as VerifiedRecord;
  } catch {
    return undefined;
  }
}

async function writeRecord(job: FileJob, mtimeMs: number): Promise<void> {
  const record: VerifiedRecord = { path: job.file.path, size: job.file.size, hash: expectedHash(job.file) ?? null, commit: job.commit, mtimeMs };
  const temp = `${job.metaPath}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`, { flag: 'w' });
  await rename(temp, job.metaPath);
}

/** Bytes that cannot be this file (more than its size): delete and fetch again. */
class ContentMismatch extends Error {}

export async function downloadFile(job: FileJob, options: FileDownloadOptions): Promise<FileOutcome> {
  const lock = await acquireLock(`${job.localPath}.lock`, {
    ...options.lock,
    ...(options.signal ? { signal: options.signal } : {}),
    onWait: (holder) => options.events?.waiting?.(job.file.path, holder),
  });
  try {
    if (await isPresentAndVerified(job)) return 'skipped';
    const part = `${job.localPath}.part`;
    const expected = expectedHash(job.file);
    for (let attempt = 1; ; attempt++) {
      let digest: string | undefined;
      let mismatch: string;
      try {
        digest = await fetchIntoPart(job, part, options);
        if (!expected || digest === expected) {
          await rename(part, job.localPath);
          await writeRecord(job, (await stat(job.localPath)).mtimeMs);
          return 'downloaded';
        }
        mismatch = `${describeHash(job.file)} ${digest} differs from the Hub's ${expected}`;
      } catch (error) {
        if (!(error instanceof ContentMismatch)) throw error;
        mismatch = error.message;
      }
      await unlink(part).catch(() => undefined);
      if (attempt >= 2) {
        throw new HubError(
          `${job.file.path}: downloaded twice and the content was wrong both times (${mismatch}). The partial file was deleted. ` +
            `The server or a proxy on the way serves corrupt data; try again later${options.endpoint.includes('huggingface.co') ? '' : ` or without HF_ENDPOINT=${options.endpoint}`}.`,
        );
      }
      options.events?.restart?.(job.file.path, `content check failed (${mismatch}): deleted, downloading again`);
    }
  } finally {
    await lock.release();
  }
}

async function openPart(part: string): Promise<FileHandle> {
  const stats = await lstat(part).catch(() => undefined);
  if (stats && !stats.isFile()) {
    if (stats.isDirectory()) throw new HubError(`${part} is a folder; remove it and run again.`);
    await unlink(part); // a symlink (or worse) planted at our temp name: never write through it
  }
  return open(part, OPEN_PART, 0o644);
}

/** Fill `part` with the whole file, resuming what is there; returns the content hash. */
async function fetchIntoPart(job: FileJob, part: string, options: FileDownloadOptions): Promise<string | undefined> {
  const { file } = job;
  const events = options.events;
  const handle = await openPart(part);
  try {
    let offset = (await handle.stat()).size;
    let hasher: ContentHasher = createContentHasher(file);
    if (offset > file.size) {
      await handle.truncate(0);
      offset = 0;
    }
    if (offset > 0) await hashFileInto(part, hasher, offset);
    events?.start?.(file.path, file.size, offset);

    const restartFromZero = async (reason: string) => {
      events?.restart?.(file.path, reason);
      events?.progress?.(file.path, -offset);
      await handle.truncate(0);
      offset = 0;
      hasher = createContentHasher(file);
    };

    let failures = 0;
    let highWater = offset;
    while (offset < file.size) {
      const idle = new AbortController();
      const idleMs = options.idleTimeoutMs ?? 60_000;
      let timer = setTimeout(() => idle.abort(), idleMs);
      const poke = () => {
        clearTimeout(timer);
        timer = setTimeout(() => idle.abort(), idleMs);
      };
      const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
      try {
        const { response } = await hubFetch(job.url, {
          ...(options.token ? { token: options.token } : {}),
          tokenOrigin: options.tokenOrigin,
          headers: { 'accept-encoding': 'identity', ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) },
          signal,
        });
        if (response.status === 416 && offset > 0) {
          await response.body?.cancel().catch(() => undefined);
          const total = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1];
          if (offset === file.size || Number(total) === offset) break;
          await restartFromZero('the server refused the resume range');
          continue;
        }
        if (!response.ok) {
          await response.body?.cancel().catch(() => undefined);
          throw hubErrorFromResponse(response.status, response.headers, {
            endpoint: options.endpoint,
            repo: job.repo,
            revision: options.revision,
            path: file.path,
            hasToken: options.token !== undefined,
          });
        }
        if (response.status === 206) {
          const start = Number(/^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1]);
          if (start !== offset) {
            await response.body?.cancel().catch(() => undefined);
            await restartFromZero(`the server resumed at byte ${Number.isNaN(start) ? '?' : start} instead of ${offset}: starting over`);
            continue;
          }
        } else if (offset > 0) {
          // 200 to a Range request: the body is the whole file. Appending it would corrupt the file.
          await restartFromZero('the server ignored the resume request (HTTP 200): starting over');
        }
        if (!response.body) throw new HubError(`${file.path}: empty response body.`, response.status, true);
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          poke();
          if (offset + chunk.length > file.size) throw new ContentMismatch(`the server sent more than the ${file.size} bytes the Hub lists`);
          await handle.write(chunk, 0, chunk.length, offset);
          hasher.update(chunk);
          offset += chunk.length;
          events?.progress?.(file.path, chunk.length);
        }
        if (offset < file.size) throw new HubError(`connection closed at byte ${offset} of ${file.size}`, undefined, true);
      } catch (error) {
        let failure = error;
        if (idle.signal.aborted && !options.signal?.aborted) failure = new HubError(`no data for ${(idleMs / 1000).toFixed(1)} s at byte ${offset}`, undefined, true);
        else if (options.signal?.aborted) throw options.signal.reason ?? error;
        else if (!(error instanceof HubError) && !(error instanceof ContentMismatch)) {
          // A socket torn down mid-body surfaces as a TypeError / "terminated" from undici.
          failure = new HubError(`connection lost at byte ${offset}: ${(error as Error).message}`, undefined, true, { cause: error });
        }
        if (!isTransient(failure)) throw failure;
        if (offset > highWater) {
          highWater = offset;
          failures = 0;
        }
        const retries = options.retry?.retries ?? 5;
        if (++failures > retries) throw new HubError(`${file.path}: giving up after ${retries} retries (${(failure as Error).message}). Run the same command again to resume.`);
        const delay = backoffDelay(failures - 1, options.retry);
        events?.retry?.(file.path, `${(failure as Error).message}; retrying in ${(delay / 1000).toFixed(1)} s`);
        await sleep(delay, undefined, options.signal ? { signal: options.signal } : undefined);
      } finally {
        clearTimeout(timer);
      }
    }
    await handle.sync();
    return hasher.digest();
  } finally {
    await handle.close();
  }
}
