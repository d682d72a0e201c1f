import { describe, expect, it } from 'vitest';
import { planReuse, prefillCheckpoints, type Rollback, type SequenceMemory } from './prefix-reuse.js';

const held = Array.from({ length: 100 }, (_, i) => i);
const memory = (rollback: Rollback, checkpoints: number[] = []): SequenceMemory => ({ rollback, held, checkpoints });
const diverging = (at: number, length = 120): number[] => Array.from({ length }, (_, i) => (i < at ? i : 1000 + i));

describe('planReuse', () => {
  it('keeps the shared prefix of an attention cache, dropping the rest', () => {
    expect(planReuse(memory({ kind: 'any' }), diverging(60))).toEqual({ keep: 60, via: 'truncate' });
  });

  it('appends to what any cache holds when the prompt extends it', () => {
    const extended = [...held, 500, 501];
    for (const rollback of [{ kind: 'any' }, { kind: 'window', window: 32 }, { kind: 'none' }] as Rollback[]) {
      expect(planReuse(memory(rollback), extended)).toEqual({ keep: 100, via: 'append' });
    }
  });

  it('never keeps the prompt’s last token: its logits start the generation', () => {
    expect(planReuse(memory({ kind: 'any' }), held)).toEqual({ keep: 99, via: 'truncate' });
    expect(planReuse(memory({ kind: 'none' }, [50, 99]), held)).toEqual({ keep: 99, via: 'checkpoint' });
  });

  it('goes back to the last checkpoint at or before the divergence on recurrent and sliding-window memory', () => {
    for (const rollback of [{ kind: 'window', window: 32 }, { kind: 'none' }] as Rollback[]) {
      expect(planReuse(memory(rollback, [20, 55, 61, 90]), diverging(60))).toEqual({ keep: 55, via: 'checkpoint' });
      expect(planReuse(memory(rollback, [20, 60]), diverging(60))).toEqual({ keep: 60, via: 'checkpoint' });
    }
  });

  it('starts over without a checkpoint before the divergence', () => {
    expect(planReuse(memory({ kind: 'none' }, [70]), diverging(60))).toEqual({ keep: 0, via: 'none' });
    expect(planReuse(memory({ kind: 'window', window: 32 }), diverging(60))).toEqual({ keep: 0, via: 'none' });
    expect(planReuse(memory({ kind: 'any' }), [7, 8, 9])).toEqual({ keep: 0, via: 'none' });
  });
});

describe('prefillCheckpoints', () => {
  it('puts checkpoints where asked, else 4 and 4 + batch tokens before the end', () => {
    expect(prefillCheckpoints(1000, 0, 512)).toEqual([484, 996]);
    expect(prefillCheckpoints(1000, 0, 512, [950, 996, 10, 950])).toEqual([10, 950, 996]);
  });

  it('only between what is already cached and the last prompt token', () => {
    expect(prefillCheckpoints(1000, 600, 512, [300, 700, 999, 1200])).toEqual([700]);
    expect(prefillCheckpoints(5, 0, 512)).toEqual([1]);
    expect(prefillCheckpoints(3, 0, 512)).toEqual([]);
  });
});
