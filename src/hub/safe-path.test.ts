import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertSafeRemotePath, prepareLocalPath } from './safe-path.js';

describe('remote path safety', () => {
  it('accepts plain relative paths', () => {
    for (const path of ['model.gguf', 'UD-Q6_K_XL/model-00001-of-00002.gguf', '.gitattributes', 'a/..b/c..gguf']) expect(() => assertSafeRemotePath(path)).not.toThrow();
  });

  it.each([
    ['', /empty path/],
    ['../x', /"\.\." segment/],
    ['a/../../x', /"\.\." segment/],
    ['..', /"\.\." segment/],
    ['/etc/passwd', /absolute/],
    ['C:/x.gguf', /absolute/],
    ['a\\b', /backslash/],
    ['a\0b', /NUL/],
    ['a//b', /empty or "\." segment/],
    ['./a', /empty or "\." segment/],
    ['a\nb', /control character/],
  ])('rejects %j', (path, reason) => {
    expect(() => assertSafeRemotePath(path)).toThrow(reason);
  });

  it('creates parent folders inside the root and refuses symlinked folders leading out', async () => {
    const root = mkdtempSync(join(tmpdir(), 'safe-'));
    const outside = mkdtempSync(join(tmpdir(), 'outside-'));
    const local = await prepareLocalPath(root, 'a/b/c.gguf');
    expect(local.endsWith(join('a', 'b', 'c.gguf'))).toBe(true);
    symlinkSync(outside, join(root, 'out'));
    await expect(prepareLocalPath(root, 'out/x.gguf')).rejects.toThrow(/symlink leading outside/);
    // A symlink that stays inside the root is fine.
    mkdirSync(join(root, 'real'));
    symlinkSync(join(root, 'real'), join(root, 'alias'));
    await expect(prepareLocalPath(root, 'alias/x.gguf')).resolves.toContain('real');
  });
});
