import { describe, expect, it } from 'vitest';
import { filterPaths, fnmatchToRegExp } from './fnmatch.js';

const match = (pattern: string, path: string) => fnmatchToRegExp(pattern).test(path);

describe('fnmatch (Hugging Face --include / --exclude semantics)', () => {
  it('lets * cross /, as Python fnmatch does', () => {
    expect(match('*Q6_K_XL*', 'UD-Q6_K_XL/model-UD-Q6_K_XL-00001-of-00002.gguf')).toBe(true);
    expect(match('*.gguf', 'sub/dir/model.gguf')).toBe(true);
    expect(match('*.gguf', 'model.gguf.part')).toBe(false);
  });

  it('supports ?, [seq], [!seq] and treats everything else literally', () => {
    expect(match('model-Q?_K_M.gguf', 'model-Q4_K_M.gguf')).toBe(true);
    expect(match('model-Q[45]_K_M.gguf', 'model-Q5_K_M.gguf')).toBe(true);
    expect(match('model-Q[!45]_K_M.gguf', 'model-Q5_K_M.gguf')).toBe(false);
    expect(match('model-Q[!45]_K_M.gguf', 'model-Q6_K_M.gguf')).toBe(true);
    expect(match('a+b(c).gguf', 'a+b(c).gguf')).toBe(true);
    expect(match('[unclosed', '[unclosed')).toBe(true);
    expect(match('x.gguf', 'xxgguf')).toBe(false);
  });

  it('is case-sensitive and anchored', () => {
    expect(match('*q4_k_m*', 'model-Q4_K_M.gguf')).toBe(false);
    expect(match('model', 'model.gguf')).toBe(false);
  });

  it('filters like huggingface_hub: any include, then no exclude; a trailing / means the folder', () => {
    const paths = ['README.md', 'a/x.gguf', 'a/y.bin', 'b/x.gguf', 'mmproj-F16.gguf'];
    expect(filterPaths(paths, {}, (p) => p)).toEqual(paths);
    expect(filterPaths(paths, { include: ['*.gguf'], exclude: ['mmproj*'] }, (p) => p)).toEqual(['a/x.gguf', 'b/x.gguf']);
    expect(filterPaths(paths, { include: ['a/'] }, (p) => p)).toEqual(['a/x.gguf', 'a/y.bin']);
    expect(filterPaths(paths, { include: ['README.md', 'b/*'] }, (p) => p)).toEqual(['README.md', 'b/x.gguf']);
  });
});
