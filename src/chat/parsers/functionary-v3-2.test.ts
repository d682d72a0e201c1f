// Cases from llama.cpp's tests/test-chat.cpp (meetkai-functionary-medium-v3.2) and the template's
// own rendering of a turn (`>>>all\n{text}`, `>>>NAME\n{json}` per call; the generation prompt
// ends with `>>>`).
import { describe, expect, it } from 'vitest';
import { createFunctionaryV32Parser } from './functionary-v3-2.js';
import { parseAllSplits } from './parser-test-helper.js';

describe('functionary-v3.2', () => {
  it('text for `all`', () => {
    expect(parseAllSplits(createFunctionaryV32Parser, "all\nHello, world!\nWhat's up?").parts).toEqual([{ text: "Hello, world!\nWhat's up?" }]);
  });

  it('a call', () => {
    expect(parseAllSplits(createFunctionaryV32Parser, 'special_function\n{"arg1": 1}').parts).toEqual([{ call: 'special_function', args: '{"arg1":1}' }]);
  });

  it('two calls, and text then a call, as the template renders them', () => {
    expect(parseAllSplits(createFunctionaryV32Parser, 'get_weather\n{"city": "Paris"}>>>get_time\n{"timezone": "Europe/Paris"}').parts).toEqual([
      { call: 'get_weather', args: '{"city":"Paris"}' },
      { call: 'get_time', args: '{"timezone":"Europe/Paris"}' },
    ]);
    expect(parseAllSplits(createFunctionaryV32Parser, 'get_weather\n{"city": "Paris"}\n>>>get_time\n{"timezone": "Europe/Paris"}').calls).toHaveLength(2);
    expect(parseAllSplits(createFunctionaryV32Parser, 'all\nLet me check.>>>get_weather\n{"city": "Paris"}').parts).toEqual([
      { text: 'Let me check.' },
      { call: 'get_weather', args: '{"city":"Paris"}' },
    ]);
  });

  it('python with bare code', () => {
    expect(parseAllSplits(createFunctionaryV32Parser, "python\nprint('hey')").parts).toEqual([{ call: 'python', args: '{"code":"print(\'hey\')"}' }]);
  });

  it('output without a recipient line is text', () => {
    for (const raw of ['The weather in Paris is sunny.', 'Hello world\nsecond line', '>>', 'all']) {
      expect(parseAllSplits(createFunctionaryV32Parser, raw).parts).toEqual([{ text: raw }]);
    }
  });

  it('arguments that are not JSON stay text', () => {
    const r = parseAllSplits(createFunctionaryV32Parser, 'get_weather\nParis');
    expect(r.parts).toEqual([{ text: 'get_weather\nParis' }]);
    expect(r.warnings).toHaveLength(1);
  });

  it('without tools only `all` text is parsed; `>>>` stays in it', () => {
    expect(parseAllSplits(createFunctionaryV32Parser, 'all\nHi>>>get_weather\n{}', { toolsEnabled: false }).parts).toEqual([{ text: 'Hi>>>get_weather\n{}' }]);
    expect(parseAllSplits(createFunctionaryV32Parser, 'get_weather\n{}', { toolsEnabled: false }).parts).toEqual([{ text: 'get_weather\n{}' }]);
  });
});
