// Python-style tool calls, as LFM2 / LFM2.5 write them between their call markers:
//
//   [get_weather(city="Paris"), get_time(timezone='Europe/Paris', verbose=True)]
//
// A list of calls, each `name(key=value, …)` with Python literals as values: strings in
// double or single quotes, numbers, True/False/None (and JSON's true/false/null, which
// llama.cpp also accepts: `python_or_json_value` in common/chat-peg-parser.cpp), dicts with
// quoted keys and lists. Values become JSON; string escapes (\n, \t, \", \', \uXXXX, …)
// decode to the characters they stand for, as llama.cpp's mapper does by handing the quoted
// text to its JSON parser.
//
// Differences from llama.cpp's grammar, which only accepts the offered tool names and their
// declared parameters (string parameters only as quoted strings): any name and any argument
// is parsed here, and the caller decides what to do with it.

import type { ParsedCall } from './tool-markup.js';

class PythonSyntaxError extends Error {}

/** A call name: llama.cpp allows dotted names (`Calendar.create_event`). */
const NAME = /[A-Za-z_][A-Za-z0-9_.-]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERALS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ['True', true],
  ['False', false],
  ['None', null],
  ['true', true],
  ['false', false],
  ['null', null],
]);
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '/': '/', '\\': '\\', "'": "'", '"': '"' };

class Reader {
  at = 0;
  constructor(private readonly text: string) {}

  get done(): boolean {
    return this.at >= this.text.length;
  }

  skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at++;
  }

  peek(): string {
    return this.text[this.at] ?? '';
  }

  expect(char: string): void {
    if (this.text[this.at] !== char) throw new PythonSyntaxError(`expected ${JSON.stringify(char)} at ${this.at}`);
    this.at++;
  }

  /** Consumes `char` (after whitespace) when it is next. */
  eat(char: string): boolean {
    this.skipSpace();
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }

  match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.at;
    const found = pattern.exec(this.text);
    if (!found) return undefined;
    this.at += found[0].length;
    return found[0];
  }

  string(): string {
    const quote = this.text[this.at]!;
    this.at++;
    let out = '';
    for (;;) {
      const char = this.text[this.at];
      if (char === undefined) throw new PythonSyntaxError('unterminated string');
      this.at++;
      if (char === quote) return out;
      if (char !== '\\') {
        out += char;
        continue;
      }
      const next = this.text[this.at];
      if (next === undefined) throw new PythonSyntaxError('unterminated string');
      this.at++;
      if (next === 'u') {
        const hex = this.text.slice(this.at, this.at + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new PythonSyntaxError('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.at += 4;
      } else {
        // Python keeps an unknown escape as written.
        out += ESCAPES[next] ?? `\\${next}`;
      }
    }
  }

  value(): unknown {
    this.skipSpace();
    const char = this.peek();
    if (char === '"' || char === "'") return this.string();
    if (char === '{') return this.dict();
    if (char === '[') return this.list();
    const number = this.match(NUMBER);
    if (number !== undefined) return Number(number);
    const word = this.match(/[A-Za-z]+/y);
    if (word !== undefined && LITERALS.has(word)) return LITERALS.get(word);
    throw new PythonSyntaxError(`unexpected ${JSON.stringify(word ?? char)} at ${this.at}`);
  }

  private dict(): Record<string, unknown> {
    this.expect('{');
    const out: Record<string, unknown> = {};
    while (!this.eat('}')) {
      this.skipSpace();
      const quote = this.peek();
      if (quote !== '"' && quote !== "'") throw new PythonSyntaxError(`dict key is not a string at ${this.at}`);
      const key = this.string();
      if (!this.eat(':')) throw new PythonSyntaxError(`expected ":" at ${this.at}`);
      out[key] = this.value();
      if (!this.eat(',')) {
        if (!this.eat('}')) throw new PythonSyntaxError(`expected "," or "}" at ${this.at}`);
        break;
      }
    }
    return out;
  }

  private list(): unknown[] {
    this.expect('[');
    const out: unknown[] = [];
    while (!this.eat(']')) {
      out.push(this.value());
      if (!this.eat(',')) {
        if (!this.eat(']')) throw new PythonSyntaxError(`expected "," or "]" at ${this.at}`);
        break;
      }
    }
    return out;
  }

  /** `name(key=value, …)` */
  call(): ParsedCall {
    this.skipSpace();
    const name = this.match(NAME);
    if (name === undefined) throw new PythonSyntaxError(`expected a function name at ${this.at}`);
    if (!this.eat('(')) throw new PythonSyntaxError(`expected "(" after ${name}`);
    const args: Record<string, unknown> = {};
    while (!this.eat(')')) {
      this.skipSpace();
      const key = this.match(/[A-Za-z_][A-Za-z0-9_]*/y);
      if (key === undefined) throw new PythonSyntaxError(`expected an argument name at ${this.at}`);
      if (!this.eat('=')) throw new PythonSyntaxError(`expected "=" after ${key}`);
      args[key] = this.value();
      if (!this.eat(',')) {
        if (!this.eat(')')) throw new PythonSyntaxError(`expected "," or ")" at ${this.at}`);
        break;
      }
    }
    return { name, arguments: JSON.stringify(args) };
  }
}

/** `[call, …]` (a non-empty list of Python-style calls) → the calls, or why it does not parse. */
export function parsePythonicCalls(body: string): ParsedCall[] | { error: string } {
  const reader = new Reader(body);
  try {
    if (!reader.eat('[')) return { error: 'not a list of calls' };
    const calls: ParsedCall[] = [];
    do calls.push(reader.call());
    while (reader.eat(','));
    if (!reader.eat(']')) return { error: `expected "]" at ${reader.at}` };
    reader.skipSpace();
    if (!reader.done) return { error: `text after the list of calls at ${reader.at}` };
    return calls;
  } catch (error) {
    if (error instanceof PythonSyntaxError) return { error: error.message };
    throw error;
  }
}
