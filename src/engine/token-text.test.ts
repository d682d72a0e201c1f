import { describe, expect, it } from 'vitest';
import { TokenTextDecoder } from './token-text.js';

// A fake byte-level tokenizer: token n is byte n.
const bytes = (tokens: readonly number[]) => Buffer.from(tokens).toString('utf8');

describe('TokenTextDecoder', () => {
  it('emits ASCII tokens at once', () => {
    const decoder = new TokenTextDecoder(bytes);
    expect(decoder.push(0x68)).toBe('h');
    expect(decoder.push(0x69)).toBe('i');
  });

  it('holds a split multi-byte character until it is whole', () => {
    const decoder = new TokenTextDecoder(bytes);
    const euro = [...Buffer.from('€')];
    expect(decoder.push(euro[0]!)).toBe('');
    expect(decoder.push(euro[1]!)).toBe('');
    expect(decoder.push(euro[2]!)).toBe('€');
  });

  it('flushes an unfinished character at the end instead of losing it', () => {
    const decoder = new TokenTextDecoder(bytes);
    expect(decoder.push(0xe2)).toBe('');
    expect(decoder.flush()).toBe('\uFFFD');
  });

  it('passes recent tokens as context to the detokenizer', () => {
    const seen: number[][] = [];
    const decoder = new TokenTextDecoder((tokens, last) => {
      seen.push([...last]);
      return bytes(tokens);
    });
    decoder.push(0x61);
    decoder.push(0x62);
    expect(seen).toEqual([[], [0x61]]);
  });
});
