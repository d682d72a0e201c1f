import { describe, expect, it } from 'vitest';
import { installedPackageVersion } from './package-version.js';

describe('installedPackageVersion', () => {
  it('reads the version of packages whose exports hide package.json', () => {
    expect(installedPackageVersion('node-llama-cpp')).toBe('3.22.1');
    expect(installedPackageVersion('@huggingface/jinja')).toBe('0.5.11');
  });

  it('says unknown for a package that is not installed', () => {
    expect(installedPackageVersion('no-such-package-llama-bridge')).toBe('unknown');
  });
});
