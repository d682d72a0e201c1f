// Refuse to start a download that cannot fit: better a clear message now than a full disk
// (and a half-written model) an hour from now.
import { statfs } from 'node:fs/promises';
import { HubError } from './errors.js';
import { formatBytes } from './format.js';

export type FreeSpaceProbe = (dir: string) => Promise<number>;

export const freeSpace: FreeSpaceProbe = async (dir) => {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
};

/** Throws when `needed` bytes (plus a small margin) do not fit in `dir`. */
export async function checkFreeSpace(dir: string, needed: number, probe: FreeSpaceProbe = freeSpace): Promise<void> {
  if (needed <= 0) return;
  let available: number;
  try {
    available = await probe(dir);
  } catch {
    return; // a file system that cannot say: go ahead, the write will fail clearly if it must
  }
  const margin = Math.min(256 * 1024 * 1024, Math.ceil(needed * 0.01));
  if (available < needed + margin) {
    throw new HubError(
      `Not enough disk space in ${dir}: the download needs ${formatBytes(needed)}, ${formatBytes(available)} is free. Free some space or choose another --local-dir.`,
    );
  }
}
