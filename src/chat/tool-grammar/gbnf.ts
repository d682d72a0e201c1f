// Small GBNF (llama.cpp grammar) building blocks: literals, character classes, a rule
// renamer (to compose several grammars that each have their own `root`), and a rule for
// "any text that does not contain these strings".

/** A GBNF escape for one code point inside a literal or a character class. */
function escapeChar(char: string, special: string): string {
  const code = char.codePointAt(0)!;
  if (char === '^' && special.includes('^')) return '\\x5e'; // `\^` is no GBNF escape; `^` first in a class would negate it
  if (char === '\\' || special.includes(char)) return `\\${char}`;
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  return char;
}

/** `text` as a GBNF string literal. Non-ASCII stays verbatim (GBNF is UTF-8). */
export function literal(text: string): string {
  let out = '"';
  for (const char of text) out += escapeChar(char, '"');
  return out + '"';
}

/** `text` as GBNF in which each newline may be left out: `'a\nb'` → `"a" "\n"? "b"`. */
export function literalOptionalNewlines(text: string): string {
  const parts = text.split('\n');
  const out: string[] = [];
  for (const [index, part] of parts.entries()) {
    if (part) out.push(literal(part));
    if (index < parts.length - 1) out.push('"\\n"?');
  }
  return out.length > 0 ? out.join(' ') : '""';
}

/**
 * Code points llama.cpp's grammar sampler decodes from invalid UTF-8 (it does not check
 * surrogates or the U+10FFFF limit): a model emitting such bytes gets one grammar character
 * but several U+FFFD in the text, which breaks length limits. Negated classes leave them out.
 */
const INVALID_CODE_POINTS = '\\uD800-\\uDFFF\\U00110000-\\U003FFFFF';

/** A character class of the given characters (`negate`: any valid character but these). */
export function charClass(chars: Iterable<string>, negate = false): string {
  let out = negate ? '[^' : '[';
  for (const char of new Set(chars)) out += escapeChar(char, ']^-[');
  return out + (negate ? INVALID_CODE_POINTS : '') + ']';
}

/** llama.cpp's `is_word_char`: rule names are made of these (no underscore). */
const WORD = /[a-zA-Z0-9-]/;

/**
 * Prefixes every rule name in a GBNF text (definitions and references), leaving string
 * literals, character classes, token references (`<…>`), repetition counts (`{m,n}`) and
 * comments alone. `renameRules('root ::= x\nx ::= "a"', 't0-')` → `t0-root ::= t0-x …`.
 */
export function renameRules(gbnf: string, prefix: string): string {
  let out = '';
  let i = 0;
  const n = gbnf.length;
  /** Copies from `i` through the closing `close`, honouring backslash escapes. */
  const copyDelimited = (close: string): void => {
    const start = i;
    i++;
    while (i < n && gbnf[i] !== close) i += gbnf[i] === '\\' ? 2 : 1;
    if (i >= n) throw new Error(`unterminated ${gbnf[start]} in grammar at ${start}`);
    i++;
    out += gbnf.slice(start, i);
  };
  while (i < n) {
    const c = gbnf[i]!;
    if (c === '"') copyDelimited('"');
    else if (c === '[') copyDelimited(']');
    else if (c === '<') copyDelimited('>');
    else if (c === '{') copyDelimited('}');
    else if (c === '#') {
      const end = gbnf.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      out += gbnf.slice(i, stop);
      i = stop;
    } else if (WORD.test(c)) {
      const start = i;
      while (i < n && WORD.test(gbnf[i]!)) i++;
      out += prefix + gbnf.slice(start, i);
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * node-llama-cpp ends its JSON-schema grammar's root with `"\n\n\n\n" [\n]*` (it stops
 * generation on those newlines). Embedded in a tool call that tail must go.
 */
export function stripJsonTrailer(gbnf: string): string {
  return gbnf.replace(/^(root\s*::=.*?)\s*"(?:\\n)+"\s*\[\\n\]\*[ \t]*$/m, '$1');
}

/** node-llama-cpp's JSON string character class, and how its unbounded strings repeat it. */
const JSON_STRING_CHAR = '[^"\\\\\\x7F\\x00-\\x1F]';
const JSON_STRING_CHARS = 'string-char-rule*';
const JSON_STRING_EXCLUDING = 'string-excluding-rule';

/**
 * Tightens node-llama-cpp's JSON strings: no invalid code points (see INVALID_CODE_POINTS),
 * and unbounded strings that never contain any of `patterns` (the family's closing markup:
 * a string holding it would end the call early in the parser). Length-bounded strings
 * (`maxLength`) keep node-llama-cpp's rule: a bound and an exclusion do not compose in GBNF.
 */
export function excludeFromJsonStrings(gbnf: string, patterns: readonly string[]): string {
  let out = gbnf.split(JSON_STRING_CHAR).join(`${JSON_STRING_CHAR.slice(0, -1)}${INVALID_CODE_POINTS}]`);
  if (patterns.length > 0 && out.includes(JSON_STRING_CHARS)) {
    out = out.split(JSON_STRING_CHARS).join(JSON_STRING_EXCLUDING);
    out = `${out.trimEnd()}\n${jsonStringExcluding(JSON_STRING_EXCLUDING, patterns)}`;
  }
  return out;
}

/** node-llama-cpp's exponent: up to 16 digits, so `1e999…` (Infinity) and `5e-3` for integers pass. */
const JSON_EXPONENT = '([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?';

/**
 * Makes node-llama-cpp's number rules produce numbers JavaScript can hold: no exponent for
 * integers (`1e-3` is not one), at most two exponent digits otherwise (no overflow to Infinity).
 */
export function boundJsonNumbers(gbnf: string): string {
  return gbnf
    .split('\n')
    .map((line) => line.split(JSON_EXPONENT).join(/^integer-number-rule\s*::=/.test(line) ? '' : '([eE] [-+]? [0-9]{1,2})?'))
    .join('\n');
}

/**
 * A deterministic automaton for texts containing none of `patterns`. A state is the longest
 * suffix of the text so far that is a proper prefix of a pattern (state 0 is ''); `next`
 * gives, per state, the target of each character that occurs in a pattern, or -1 where
 * that character would complete a pattern. Every other character goes back to state 0.
 */
export interface ExclusionAutomaton {
  states: string[];
  next: Array<Map<string, number>>;
}

export function exclusionAutomaton(patterns: readonly string[]): ExclusionAutomaton {
  if (patterns.some((pattern) => pattern === '')) throw new Error('textExcluding: empty pattern');
  const states: string[] = [''];
  for (const pattern of patterns) {
    const chars = [...pattern];
    for (let k = 1; k < chars.length; k++) {
      const prefix = chars.slice(0, k).join('');
      if (!states.includes(prefix)) states.push(prefix);
    }
  }
  const alphabet = [...new Set(patterns.flatMap((pattern) => [...pattern]))];
  const next = states.map((state) => {
    const targets = new Map<string, number>();
    for (const char of alphabet) {
      const text = state + char;
      if (patterns.some((pattern) => text.endsWith(pattern))) {
        targets.set(char, -1);
        continue;
      }
      // The longest suffix of `text` that is a state ('' always is).
      const chars = [...text];
      let target = 0;
      for (let k = 0; k < chars.length; k++) {
        const index = states.indexOf(chars.slice(k).join(''));
        if (index !== -1) {
          target = index;
          break;
        }
      }
      targets.set(char, target);
    }
    return targets;
  });
  return { states, next };
}

/**
 * Rules for any text (possibly empty) that contains none of `patterns`, under the rule
 * name `name` (helper rules are named `name-s<k>`): the automaton above, one rule per state,
 * characters with the same target grouped into one class.
 */
export function textExcluding(name: string, patterns: readonly string[]): string {
  return automatonRules(name, patterns, (special) => [charClass(special, true)]);
}

/**
 * The characters of a JSON string (between its quotes) that contain none of `patterns` as
 * raw text. Escapes count as the raw text they are (`\/` is not `/`), and patterns hold no
 * backslash or quote, so an escape never advances a match.
 */
export function jsonStringExcluding(name: string, patterns: readonly string[]): string {
  return automatonRules(name, patterns, (special) => [
    `${JSON_STRING_CHAR.slice(0, -1)}${charClass(special).slice(1, -1)}${INVALID_CODE_POINTS}]`,
    '"\\\\" ["\\\\/bfnrt]',
    '"\\\\u" [0-9a-fA-F]{4}',
  ]);
}

/**
 * The characters of a single-quoted Python string (between its quotes) that contain none of
 * `patterns`: as jsonStringExcluding, with `'` as the delimiter and `\'` among the escapes
 * (LFM2's calls write string arguments this way; parser: src/chat/parsers/pythonic.ts).
 */
export function pythonStringExcluding(name: string, patterns: readonly string[]): string {
  return automatonRules(name, patterns, (special) => [
    `[^'\\\\\\x7F\\x00-\\x1F${charClass(special).slice(1, -1)}${INVALID_CODE_POINTS}]`,
    `"\\\\" ['"\\\\/bfnrt]`,
    '"\\\\u" [0-9a-fA-F]{4}',
  ]);
}

/** `restart(special)`: the alternatives (each one character or escape) that lead back to state 0, given the characters that do not. */
function automatonRules(name: string, patterns: readonly string[], restart: (special: string[]) => string[]): string {
  const { states, next } = exclusionAutomaton(patterns);
  const ruleOf = (state: number): string => (state === 0 ? name : `${name}-s${state}`);
  return states
    .map((_, state) => {
      const byTarget = new Map<number, string[]>();
      for (const [char, target] of next[state]!) {
        if (!byTarget.has(target)) byTarget.set(target, []);
        byTarget.get(target)!.push(char);
      }
      // Characters that go back to state 0 join the characters in no pattern.
      const special = [...next[state]!].filter(([, target]) => target !== 0).map(([char]) => char);
      const alternatives = restart(special).map((alternative) => `${alternative} ${name}`);
      for (const [target, chars] of byTarget) {
        if (target > 0) alternatives.push(`${chars.length === 1 ? literal(chars[0]!) : charClass(chars)} ${ruleOf(target)}`);
      }
      return `${ruleOf(state)} ::= ( ${alternatives.join(' | ')} )?`;
    })
    .join('\n');
}
