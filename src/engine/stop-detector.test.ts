import { describe, expect, it } from 'vitest';
import { StopDetector } from './stop-detector.js';

function run(stops: string[], pieces: string[]) {
  const detector = new StopDetector(stops);
  let out = '';
  for (const piece of pieces) {
    const scan = detector.push(piece);
    out += scan.emit;
    if (scan.matched !== undefined) return { out, matched: scan.matched };
  }
  return { out: out + detector.flush(), matched: undefined };
}

describe('StopDetector', () => {
  it('passes text through when there are no stop strings', () => {
    expect(run([], ['a', 'b'])).toEqual({ out: 'ab', matched: undefined });
  });

  it('cuts at a stop string split across pieces and never emits part of it', () => {
    const detector = new StopDetector(['END']);
    expect(detector.push('hello E')).toEqual({ emit: 'hello ' });
    expect(detector.push('N')).toEqual({ emit: '' });
    expect(detector.push('D and more')).toEqual({ emit: '', matched: 'END' });
  });

  it('releases held text when the match breaks', () => {
    const detector = new StopDetector(['END']);
    expect(detector.push('EN')).toEqual({ emit: '' });
    expect(detector.push('x')).toEqual({ emit: 'ENx' });
  });

  it('flushes held text at the end of generation', () => {
    expect(run(['END'], ['abc', 'EN'])).toEqual({ out: 'abcEN', matched: undefined });
  });

  it('picks the earliest of several stop strings', () => {
    expect(run(['world', 'lo w'], ['hello world'])).toEqual({ out: 'hel', matched: 'lo w' });
  });

  it('ignores empty stop strings', () => {
    expect(run([''], ['abc'])).toEqual({ out: 'abc', matched: undefined });
  });
});
