import { describe, expect, it } from 'vitest';
import { contextTooLarge } from './memory-budget.js';

const GiB = 2 ** 30;

describe('contextTooLarge', () => {
  it('lets a context that fits in RAM plus VRAM through', () => {
    expect(contextTooLarge(20 * GiB, 0, 24 * GiB)).toBeUndefined();
    expect(contextTooLarge(30 * GiB, 8 * GiB, 24 * GiB)).toBeUndefined();
  });

  it('says how much it needs and what the machine has', () => {
    expect(contextTooLarge(405_312 * GiB, 0, 24 * GiB)).toBe('it would need about 405312 GiB (KV cache and compute buffers, estimated) and this machine has 24 GiB of RAM');
    expect(contextTooLarge(3.5 * GiB, 0.5 * GiB, 2 * GiB)).toBe(
      'it would need about 3.5 GiB (KV cache and compute buffers, estimated) and this machine has 2.0 GiB of RAM and 0.5 GiB of VRAM',
    );
  });
});
