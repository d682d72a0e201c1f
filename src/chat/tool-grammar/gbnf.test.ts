import { describe, expect, it } from 'vitest';
import { boundJsonNumbers, charClass, exclusionAutomaton, excludeFromJsonStrings, literal, renameRules, stripJsonTrailer, textExcluding } from './gbnf.js';

describe('literal and charClass', () => {
  it('escapes what GBNF needs escaped and keeps UTF-8 as is', () => {
    expect(literal('a"b\\c\n\t\r\x01\x7f｜▁')).toBe('"a\\"b\\\\c\\n\\t\\r\\x01\\x7f｜▁"');
  });

  it('escapes class metacharacters; `^` as hex (GBNF has no `\\^`)', () => {
    expect(charClass(['^', ']', '-', '[', '\\', 'a', 'a'])).toBe('[\\x5e\\]\\-\\[\\\\a]');
  });

  it('negated classes also leave out code points that are not valid Unicode', () => {
    expect(charClass('<', true)).toBe('[^<\\uD800-\\uDFFF\\U00110000-\\U003FFFFF]');
  });
});

describe('renameRules', () => {
  it('prefixes rule names, not literals, classes, token references, repetitions or comments', () => {
    const gbnf = ['root ::= "a-b \\" root" [a-z\\]x-] foo{2,3} <[123]> # root here', 'foo ::= ( "x" | bar-2 )* !<|im_end|>', 'bar-2 ::= [^"\\\\] "\\\\"'].join('\n');
    expect(renameRules(gbnf, 'p-')).toBe(
      ['p-root ::= "a-b \\" root" [a-z\\]x-] p-foo{2,3} <[123]> # root here', 'p-foo ::= ( "x" | p-bar-2 )* !<|im_end|>', 'p-bar-2 ::= [^"\\\\] "\\\\"'].join('\n'),
    );
  });

  it('handles multi-line rules and brackets inside literals', () => {
    expect(renameRules('a ::= "[" b\n  | "]" "{"\nb ::= "}"', 'x-')).toBe('x-a ::= "[" x-b\n  | "]" "{"\nx-b ::= "}"');
  });

  it('throws on an unterminated literal or class', () => {
    expect(() => renameRules('a ::= "abc', 'x-')).toThrow(/unterminated/);
    expect(() => renameRules('a ::= [abc\\]', 'x-')).toThrow(/unterminated/);
  });
});

describe('node-llama-cpp JSON grammar adjustments', () => {
  const grammar = [
    'root ::= "{" ws "\\"n\\"" ":" [ ]? integer-number-rule ws "}" "\\n\\n\\n\\n" [\\n]*',
    'string-char-rule ::= [^"\\\\\\x7F\\x00-\\x1F] | "\\\\" ["\\\\/bfnrt] | "\\\\u" [0-9a-fA-F]{4}',
    'integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
    'fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
  ].join('\n');

  it('strips the trailing newlines of the root rule only', () => {
    const lines = stripJsonTrailer(grammar).split('\n');
    expect(lines[0]).toBe('root ::= "{" ws "\\"n\\"" ":" [ ]? integer-number-rule ws "}"');
    expect(lines.slice(1)).toEqual(grammar.split('\n').slice(1));
    expect(stripJsonTrailer('root ::= ( a | b ) "\\n\\n\\n\\n" [\\n]*\na ::= "x"')).toBe('root ::= ( a | b )\na ::= "x"');
  });

  it('keeps invalid code points out of JSON strings, and the closing markup out of unbounded ones', () => {
    const strings = [grammar.split('\n')[1]!, 'string-rule ::= "\\"" string-char-rule* "\\""', 'string-0-9-rule ::= "\\"" ( string-char-rule ){0,9} "\\""'].join('\n');
    const charRule = 'string-char-rule ::= [^"\\\\\\x7F\\x00-\\x1F\\uD800-\\uDFFF\\U00110000-\\U003FFFFF] | "\\\\" ["\\\\/bfnrt] | "\\\\u" [0-9a-fA-F]{4}';
    expect(excludeFromJsonStrings(strings, []).split('\n')).toEqual([charRule, ...strings.split('\n').slice(1)]);
    const lines = excludeFromJsonStrings(strings, ['</x>']).split('\n');
    expect(lines.slice(0, 3)).toEqual([charRule, 'string-rule ::= "\\"" string-excluding-rule "\\""', 'string-0-9-rule ::= "\\"" ( string-char-rule ){0,9} "\\""']);
    // In state `</x`, `>` is neither in the class nor an alternative.
    expect(lines[6]).toBe(
      'string-excluding-rule-s3 ::= ( [^"\\\\\\x7F\\x00-\\x1F<>\\uD800-\\uDFFF\\U00110000-\\U003FFFFF] string-excluding-rule | "\\\\" ["\\\\/bfnrt] string-excluding-rule | "\\\\u" [0-9a-fA-F]{4} string-excluding-rule | "<" string-excluding-rule-s1 )?',
    );
    expect(lines).toHaveLength(7);
  });

  it('drops exponents from integers and bounds them elsewhere', () => {
    const lines = boundJsonNumbers(grammar).split('\n');
    expect(lines[2]).toBe('integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ');
    expect(lines[3]).toBe('fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?');
  });
});

describe('text excluding patterns', () => {
  /** Runs the automaton: does it accept `text`? */
  function accepts(patterns: string[], text: string): boolean {
    const { next } = exclusionAutomaton(patterns);
    let state = 0;
    for (const char of text) {
      const target = next[state]!.get(char) ?? 0;
      if (target === -1) return false;
      state = target;
    }
    return true;
  }

  it('accepts exactly the texts that contain none of the patterns (random texts)', () => {
    const patterns = ['</parameter>', '</tool_call>', 'aab'];
    const alphabet = ['<', '/', 'p', 'a', 'r', 'm', 'e', 't', '>', '_', 'c', 'l', 'o', 'b', 'x', '\n'];
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const samples = ['</parameter>', 'x</parameter', '<</parameter>', 'aaab', 'aab', 'aa b', '</tool_call</tool_call>', '</param</parameter>'];
    for (let i = 0; i < 3000; i++) {
      // Random texts built from pieces of the patterns hit the interesting overlaps.
      let text = '';
      const pieces = 1 + random(6);
      for (let k = 0; k < pieces; k++) {
        const pattern = patterns[random(patterns.length)]!;
        text += random(2) ? pattern.slice(random(pattern.length), 1 + random(pattern.length)) : alphabet[random(alphabet.length)]!;
      }
      samples.push(text);
    }
    for (const text of samples) {
      expect(accepts(patterns, text), JSON.stringify(text)).toBe(!patterns.some((pattern) => text.includes(pattern)));
    }
  });

  it('renders one rule per state, grouping characters by target', () => {
    expect(textExcluding('t', ['ab'])).toBe(
      ['t ::= ( [^a\\uD800-\\uDFFF\\U00110000-\\U003FFFFF] t | "a" t-s1 )?', 't-s1 ::= ( [^ab\\uD800-\\uDFFF\\U00110000-\\U003FFFFF] t | "a" t-s1 )?'].join('\n'),
    );
  });
});
