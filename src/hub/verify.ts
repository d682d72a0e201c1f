// What "this file is the right one" means: the size the Hub lists, and the hash it lists —
// sha256 for LFS files, the git blob id (sha1 of `blob <size>\0` + content) for small ones.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { RemoteFile } from './hub-client.js';

export interface ContentHasher {
  update(chunk: Uint8Array): void;
  /** Hex digest, or undefined when the Hub gave no hash to compare with. */
  digest(): string | undefined;
}

export function expectedHash(file: RemoteFile): string | undefined {
  return file.sha256 ?? file.gitOid;
}

export function createContentHasher(file: RemoteFile): ContentHasher {
  let hash: Hash | undefined;
  if (file.sha256) hash = createHash('sha256');
  else if (file.gitOid) hash = createHash('sha1').update(`blob ${file.size}\0`);
  return {
    update: (chunk) => hash?.update(chunk),
    digest: () => hash?.digest('hex'),
  };
}

/** Hash the first `length` bytes of a file (all of it by default) into `hasher`. */
export async function hashFileInto(path: string, hasher: ContentHasher, length?: number): Promise<void> {
  if (length === 0) return;
  const stream = createReadStream(path, length === undefined ? {} : { start: 0, end: length - 1 });
  for await (const chunk of stream) hasher.update(chunk as Buffer);
}

export function describeHash(file: RemoteFile): string {
  return file.sha256 ? 'sha256' : 'git sha1';
}
