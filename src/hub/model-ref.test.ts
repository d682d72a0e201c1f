import { describe, expect, it } from 'vitest';
import { hfdCommand, matchesQuant, parseModelRef, selectModelFiles } from './model-ref.js';

describe('parseModelRef', () => {
  it('reads org/repo, org/repo/<file> and org/repo:<quant>', () => {
    expect(parseModelRef('unsloth/Qwen3-GGUF')).toEqual({ repo: 'unsloth/Qwen3-GGUF' });
    expect(parseModelRef('unsloth/Qwen3-GGUF:Q4_K_M')).toEqual({ repo: 'unsloth/Qwen3-GGUF', quant: 'Q4_K_M' });
    expect(parseModelRef('unsloth/Qwen3-GGUF/UD-Q6_K_XL/m-00001-of-00002.gguf')).toEqual({ repo: 'unsloth/Qwen3-GGUF', file: 'UD-Q6_K_XL/m-00001-of-00002.gguf' });
  });

  it('leaves local paths alone', () => {
    for (const input of ['model.gguf', './models/x.gguf', '/abs/org/repo', 'dir/file.gguf', '../org/repo', 'C:\\models\\x.gguf', 'org/../repo']) {
      expect(parseModelRef(input)).toBeUndefined();
    }
  });
});

describe('selectModelFiles', () => {
  const files = [
    'README.md',
    'Qwen3-Q4_K_M.gguf',
    'Qwen3-Q4_K_S.gguf',
    'Qwen3-Q4_K.gguf',
    'mmproj-F16.gguf',
    'UD-Q6_K_XL/Qwen3-UD-Q6_K_XL-00001-of-00002.gguf',
    'UD-Q6_K_XL/Qwen3-UD-Q6_K_XL-00002-of-00002.gguf',
  ].map((path) => ({ path }));
  const pick = (input: string) => selectModelFiles(files, parseModelRef(input)!).map((file) => file.path);

  it('picks a quantisation by name, case-insensitively, with every split part', () => {
    expect(pick('o/r:Q4_K_M')).toEqual(['Qwen3-Q4_K_M.gguf']);
    expect(pick('o/r:q4_k_m')).toEqual(['Qwen3-Q4_K_M.gguf']);
    expect(pick('o/r:Q4_K')).toEqual(['Qwen3-Q4_K.gguf']);
    expect(pick('o/r:Q6_K_XL')).toEqual(['UD-Q6_K_XL/Qwen3-UD-Q6_K_XL-00001-of-00002.gguf', 'UD-Q6_K_XL/Qwen3-UD-Q6_K_XL-00002-of-00002.gguf']);
    expect(pick('o/r:Q8_0')).toEqual([]);
  });

  it('takes a named file (all parts of a split one) and refuses an ambiguous repo', () => {
    expect(pick('o/r/UD-Q6_K_XL/Qwen3-UD-Q6_K_XL-00001-of-00002.gguf')).toHaveLength(2);
    expect(pick('o/r/Qwen3-Q4_K_S.gguf')).toEqual(['Qwen3-Q4_K_S.gguf']);
    expect(() => pick('o/r')).toThrow(/ambiguous.*o\/r:<quant>.*Qwen3-Q4_K_M\.gguf.*UD-Q6_K_XL\/Qwen3-UD-Q6_K_XL \(2 parts\)/s);
    expect(selectModelFiles([{ path: 'only.gguf' }, { path: 'mmproj.gguf' }], { repo: 'o/r' })).toEqual([{ path: 'only.gguf' }]);
  });

  it('matches quant names at word boundaries', () => {
    expect(matchesQuant('Q4_K_M/model-00001-of-00002.gguf', 'Q4_K_M')).toBe(true);
    expect(matchesQuant('model-Q4_K_M.gguf', 'Q4_K')).toBe(false);
    expect(matchesQuant('model-IQ4_XS.gguf', 'Q4_XS')).toBe(false);
  });

  it('names the exact hfd command', () => {
    expect(hfdCommand({ repo: 'o/r', quant: 'Q4_K_M' })).toBe('npm run hfd -- o/r --include "*Q4_K_M*"');
    expect(hfdCommand({ repo: 'o/r', file: 'a/b.gguf' })).toBe('npm run hfd -- o/r --include "a/b.gguf"');
    expect(hfdCommand({ repo: 'o/r' })).toBe('npm run hfd -- o/r');
  });
});
