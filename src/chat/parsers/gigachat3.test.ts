// Cases from llama.cpp's tests/test-chat.cpp (GigaChat3-10B-A1.8B, GigaChat3.1-10B-A1.8B).
import { describe, expect, it } from 'vitest';
import { createGigachat31Parser, createGigachat3Parser, GIGACHAT31_CALL, GIGACHAT3_CALL } from './gigachat3.js';
import { parseAllSplits } from './parser-test-helper.js';

const CALL = '{"name": "special_function", "arguments": {"arg1": 1}}';

describe.each([
  { version: '3', create: createGigachat3Parser, marker: GIGACHAT3_CALL },
  { version: '3.1', create: createGigachat31Parser, marker: GIGACHAT31_CALL },
])('gigachat $version', ({ create, marker }) => {
  it('text only', () => {
    expect(parseAllSplits(create, "Hello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('a call', () => {
    expect(parseAllSplits(create, `${marker}${CALL}`).parts).toEqual([{ call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('content, then a call', () => {
    const r = parseAllSplits(create, `Hello, world!\nWhat's up?${marker}${CALL}`);
    expect(r.parts).toEqual([{ text: "Hello, world!\nWhat's up?" }, { call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('a call that does not parse stays text', () => {
    const raw = `${marker}{"arguments": {}}`;
    const r = parseAllSplits(create, raw);
    expect(r.parts).toEqual([{ text: raw }]);
    expect(r.warnings).toHaveLength(1);
  });

  it('without tools the markup is text', () => {
    const raw = `${marker}${CALL}`;
    expect(parseAllSplits(create, raw, { toolsEnabled: false }).parts).toEqual([{ text: raw }]);
  });
});

it("each version's marker is text to the other", () => {
  const raw = `${GIGACHAT31_CALL}${CALL}`;
  expect(parseAllSplits(createGigachat3Parser, raw).parts).toEqual([{ text: raw }]);
});
