// One lock file per downloaded file, so two hfd runs (or two processes pulling the same model)
// never write the same `.part` at once. Created with O_EXCL; the holder refreshes its mtime
// while it works. A lock is stale when its holder is gone (same host, dead pid) or it has not
// been refreshed for `staleMs`: then it is taken over.
import { constants } from 'node:fs';
import { open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LockOptions {
  /** A lock not refreshed for this long is stale (default 60 s). */
  staleMs?: number;
  /** How often the holder refreshes it (default staleMs / 4). */
  refreshMs?: number;
  /** How often a waiter looks again (default 500 ms). */
  pollMs?: number;
  signal?: AbortSignal;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?: (holder: string) => void;
}

export interface HeldLock {
  release(): Promise<void>;
}

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(path: string, staleMs: number): Promise<{ stale: boolean; holder: string }> {
  const [content, stats] = await Promise.all([readFile(path, 'utf8').catch(() => undefined), stat(path).catch(() => undefined)]);
  if (!stats) return { stale: false, holder: 'nobody' }; // gone meanwhile: just retry
  let info: Partial<LockInfo> = {};
  try {
    info = JSON.parse(content ?? '') as LockInfo;
  } catch {
    // being written, or garbage: judge by age alone
  }
  const holder = info.pid ? `pid ${info.pid} on ${info.host}` : 'another process';
  if (info.host === hostname() && typeof info.pid === 'number' && !processAlive(info.pid)) return { stale: true, holder };
  return { stale: Date.now() - stats.mtimeMs > staleMs, holder };
}

export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const staleMs = options.staleMs ?? 60_000;
  const refreshMs = options.refreshMs ?? Math.max(50, Math.floor(staleMs / 4));
  let waited = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644);
      const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
      await handle.writeFile(JSON.stringify(info));
      await handle.close();
      const timer = setInterval(() => {
        const now = new Date();
        utimes(path, now, now).catch(() => undefined);
      }, refreshMs);
      timer.unref();
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          clearInterval(timer);
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const { stale, holder } = await isStale(path, staleMs);
    if (stale) {
      // Move the stale lock aside under a unique name (rename is atomic: of several waiters that
      // judged it stale, one wins), then try O_EXCL again.
      const aside = `${path}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
      try {
        await rename(path, aside);
        await unlink(aside).catch(() => undefined);
      } catch {
        // someone else took it first
      }
      continue;
    }
    if (!waited) {
      waited = true;
      options.onWait?.(holder);
    }
    await sleep(options.pollMs ?? 500, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}
