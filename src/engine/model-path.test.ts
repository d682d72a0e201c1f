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
