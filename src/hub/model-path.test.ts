import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FatalError } from '../errors.js';
import { resolveModelPath } from './model-path.js';

const GGUF = Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60)]);
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'model-path-'));
});

describe('resolveModelPath', () => {
  it('accepts a GGUF file', () => {
    writeFileSync(join(root, 'm.gguf'), GGUF);
    expect(resolveModelPath('m.gguf', { cwd: root })).toBe(join(root, 'm.gguf'));
  });

  it('takes the first .gguf of a folder, skipping vision projectors', () => {
    mkdirSync(join(root, 'dir'));
    writeFileSync(join(root, 'dir', 'mmproj-f16.gguf'), GGUF);
    writeFileSync(join(root, 'dir', 'model-Q4.gguf'), GGUF);
    expect(resolveModelPath('dir', { cwd: root })).toBe(join(root, 'dir', 'model-Q4.gguf'));
  });

  it('loads a split model from its first part and requires every part', () => {
    mkdirSync(join(root, 'split'));
    writeFileSync(join(root, 'split', 'big-00002-of-00002.gguf'), GGUF);
    writeFileSync(join(root, 'split', 'big-00001-of-00002.gguf'), GGUF);
    expect(resolveModelPath('split', { cwd: root })).toBe(join(root, 'split', 'big-00001-of-00002.gguf'));
    mkdirSync(join(root, 'broken'));
    writeFileSync(join(root, 'broken', 'big-00001-of-00003.gguf'), GGUF);
    expect(() => resolveModelPath('broken', { cwd: root })).toThrow(/part 2 of 3 is missing/);
  });

  it('looks under the models folder', () => {
    mkdirSync(join(root, 'models', 'org', 'repo'), { recursive: true });
    writeFileSync(join(root, 'models', 'org', 'repo', 'x.gguf'), GGUF);
    expect(resolveModelPath('org/repo', { cwd: root })).toBe(join(root, 'models', 'org', 'repo', 'x.gguf'));
  });

  it('explains a missing model, an empty file and a non-GGUF file', () => {
    expect(() => resolveModelPath('org/none', { cwd: root })).toThrow(FatalError);
    expect(() => resolveModelPath('org/none', { cwd: root })).toThrow(/Hugging Face repository/);
    writeFileSync(join(root, 'empty.gguf'), '');
    expect(() => resolveModelPath('empty.gguf', { cwd: root })).toThrow(/empty/);
    writeFileSync(join(root, 'text.gguf'), 'hello world');
    expect(() => resolveModelPath('text.gguf', { cwd: root })).toThrow(/Not a GGUF file/);
  });
});

describe('resolveModelPath with a Hugging Face repo id', () => {
  const put = (path: string) => {
    mkdirSync(join(root, 'models', path, '..'), { recursive: true });
    writeFileSync(join(root, 'models', path), GGUF);
  };

  it('finds org/repo:<quant> and org/repo/<file> under models/, sub-folders and split parts included', () => {
    put('org/repo/m-Q4_K_M.gguf');
    put('org/repo/UD-Q6_K_XL/m-UD-Q6_K_XL-00001-of-00002.gguf');
    put('org/repo/UD-Q6_K_XL/m-UD-Q6_K_XL-00002-of-00002.gguf');
    expect(resolveModelPath('org/repo:Q4_K_M', { cwd: root })).toBe(join(root, 'models/org/repo/m-Q4_K_M.gguf'));
    expect(resolveModelPath('org/repo:UD-Q6_K_XL', { cwd: root })).toBe(join(root, 'models/org/repo/UD-Q6_K_XL/m-UD-Q6_K_XL-00001-of-00002.gguf'));
    expect(resolveModelPath('org/repo/UD-Q6_K_XL/m-UD-Q6_K_XL-00001-of-00002.gguf', { cwd: root })).toBe(join(root, 'models/org/repo/UD-Q6_K_XL/m-UD-Q6_K_XL-00001-of-00002.gguf'));
  });

  it('finds a model kept in a sub-folder of the repo folder', () => {
    put('org/split/Q8_0/m-Q8_0-00001-of-00002.gguf');
    put('org/split/Q8_0/m-Q8_0-00002-of-00002.gguf');
    expect(resolveModelPath('org/split', { cwd: root })).toBe(join(root, 'models/org/split/Q8_0/m-Q8_0-00001-of-00002.gguf'));
  });

  it('gives the exact hfd command when the model is not downloaded', () => {
    put('org/repo/m-Q4_K_M.gguf');
    expect(() => resolveModelPath('org/repo:Q8_0', { cwd: root })).toThrow('download it first with: npm run hfd -- org/repo --include "*Q8_0*" (or add --pull to serve)');
    expect(() => resolveModelPath('org/other', { cwd: root })).toThrow('npm run hfd -- org/other (or add --pull');
  });
});
