import { describe, expect, it } from 'vitest';
import { compactJson, scanJsonValue } from './json-scan.js';

describe('scanJsonValue', () => {
  it('finds the end of a complete value, skipping leading whitespace', () => {
    expect(scanJsonValue('{"a": [1, "}"]} rest')).toBe(15);
    expect(scanJsonValue('  "x\\"y" rest')).toBe(8);
    expect(scanJsonValue('x=3)', 2)).toBe(3);
    expect(scanJsonValue('true,')).toBe(4);
  });

  it('-1 when the text ends before the value does (a number or word may still grow)', () => {
    expect(scanJsonValue('{"a": [1')).toBe(-1);
    expect(scanJsonValue('"open')).toBe(-1);
    expect(scanJsonValue('12')).toBe(-1);
    expect(scanJsonValue('   ')).toBe(-1);
  });

  it('-2 when no JSON value starts there', () => {
    expect(scanJsonValue('Paris')).toBe(-2);
  });
});

describe('compactJson', () => {
  it('compacts valid JSON, undefined otherwise', () => {
    expect(compactJson('{ "a" : [1, 2] }')).toBe('{"a":[1,2]}');
    expect(compactJson('{"a":')).toBeUndefined();
  });
});
