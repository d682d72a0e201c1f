// Remote file names come from the network: they must never put a byte outside the target
// folder, whether by `..`, an absolute path, a Windows separator, a NUL, or a symlink already
// sitting inside the folder that points elsewhere.
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { HubError } from './errors.js';

// Control characters (U+0000–U+001F, U+007F) have no place in a file name.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = new RegExp('[\\u0000-\\u001f\\u007f]');

/** Throws unless `path` is a plain relative path of normal segments separated by `/`. */
export function assertSafeRemotePath(path: string): void {
  const segments = path.split('/');
  let reason: string | undefined;
  if (path === '') reason = 'empty path';
  else if (path.includes('\0')) reason = 'NUL character';
  else if (path.includes('\\')) reason = 'backslash';
  else if (path.startsWith('/') || isAbsolute(path) || /^[A-Za-z]:/.test(path)) reason = 'absolute path';
  else if (segments.includes('..')) reason = '".." segment';
  else if (segments.some((segment) => segment === '' || segment === '.')) reason = 'empty or "." segment';
  else if (CONTROL.test(path)) reason = 'control character';
  if (reason) throw new HubError(`Refusing remote file path ${JSON.stringify(path)}: ${reason}. Nothing was written for it.`);
}

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The local path for a remote file under `root`, with its parent folders created. The parent's
 * real path (symlinks resolved) must still be inside root's real path.
 */
export async function prepareLocalPath(root: string, remotePath: string): Promise<string> {
  assertSafeRemotePath(remotePath);
  await mkdir(root, { recursive: true });
  const realRoot = await realpath(root);
  const target = join(realRoot, ...remotePath.split('/'));
  const parent = join(target, '..');
  // Create folder by folder, checking each one: mkdir -p would follow a symlinked folder out.
  let current = realRoot;
  for (const segment of remotePath.split('/').slice(0, -1)) {
    current = join(current, segment);
    let stats = await lstat(current).catch(() => undefined);
    if (!stats) {
      // Another run may create it at the same moment: then look at what is there.
      await mkdir(current).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      stats = await lstat(current);
    }
    if (stats.isSymbolicLink()) {
      const resolved = await realpath(current).catch(() => current);
      if (!isInside(realRoot, resolved)) throw new HubError(`Refusing to write ${remotePath}: ${current} is a symlink leading outside ${realRoot}.`);
    } else if (!stats.isDirectory()) {
      throw new HubError(`Cannot write ${remotePath}: ${current} exists and is not a folder.`);
    }
  }
  const realParent = await realpath(parent);
  if (!isInside(realRoot, realParent)) throw new HubError(`Refusing to write ${remotePath}: its folder resolves to ${realParent}, outside ${realRoot}.`);
  return join(realParent, basename(target));
}
