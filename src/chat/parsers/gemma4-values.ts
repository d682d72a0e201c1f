// Gemma 4's argument encoding, as its chat template writes a call's arguments
// (`format_argument(value, escape_keys=False)`) and llama.cpp reads them back
// (common/parsers/gemma4.cpp rules `gemma4-*`, common/chat-peg-parser.cpp `gemma4_to_json`):
//
//   {city:<|"|>Paris<|"|>,days:3,units:[<|"|>C<|"|>],opts:{deep:true,tag:null}}
//
// - strings are raw text between `<|"|>` delimiters (no escapes: anything but `<|"|>`);
// - object keys are bare (everything up to the `:`), values follow the colon;
// - numbers, `true`, `false` and `null` are written as in JSON;
// - arrays and objects use JSON's brackets and commas.
//
// Where we are more lenient than llama.cpp (which returns no call for such output): whitespace
// is allowed around every token (llama.cpp allows it only after `{`, `[`, `:` and `,`, and keeps
// whitespace before a `:` in the key), and a key written as a string (`<|"|>city<|"|>:`, the
// template's `escape_keys=True` form) is that string (llama.cpp keeps the delimiters in the key).

const QUOTE = '<|"|>';
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/;
const LITERAL = /^(?:true|false|null)/;

class ValueReader {
  private at = 0;

  constructor(private readonly text: string) {}

  get rest(): string {
    return this.text.slice(this.at);
  }

  skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at++;
  }

  /** One value as compact JSON text; throws with a reason when the text is not one. */
  value(): string {
    this.skipSpace();
    const rest = this.rest;
    if (rest.startsWith(QUOTE)) return JSON.stringify(this.string());
    if (rest.startsWith('{')) return this.object();
    if (rest.startsWith('[')) return this.array();
    const token = NUMBER.exec(rest) ?? LITERAL.exec(rest);
    if (!token) throw new Error(`no value at ${JSON.stringify(rest.slice(0, 20))}`);
    // A number or word running on into more word characters (`12abc`, `nullable`) is not one.
    if (/^[\w.]/.test(rest.slice(token[0].length))) throw new Error(`no value at ${JSON.stringify(rest.slice(0, 20))}`);
    this.at += token[0].length;
    return token[0];
  }

  /** `<|"|>…<|"|>`: the raw text between the delimiters. */
  private string(): string {
    const start = this.at + QUOTE.length;
    const end = this.text.indexOf(QUOTE, start);
    if (end === -1) throw new Error('unterminated <|"|> string');
    this.at = end + QUOTE.length;
    return this.text.slice(start, end);
  }

  private object(): string {
    this.at++; // {
    const members: string[] = [];
    this.skipSpace();
    if (this.eat('}')) return '{}';
    for (;;) {
      this.skipSpace();
      const key = this.key();
      members.push(`${JSON.stringify(key)}:${this.value()}`);
      this.skipSpace();
      if (this.eat('}')) return `{${members.join(',')}}`;
      if (!this.eat(',')) throw new Error(`expected , or } at ${JSON.stringify(this.rest.slice(0, 20))}`);
    }
  }

  /** A bare key up to its `:` (llama.cpp: `[^:}]+`), or a `<|"|>` string key. */
  private key(): string {
    let key: string;
    if (this.rest.startsWith(QUOTE)) {
      key = this.string();
      this.skipSpace();
      if (!this.eat(':')) throw new Error('expected : after a key');
      return key;
    }
    const match = /^[^:}]+/.exec(this.rest);
    if (!match || this.text[this.at + match[0].length] !== ':') throw new Error(`expected key: at ${JSON.stringify(this.rest.slice(0, 20))}`);
    this.at += match[0].length + 1;
    key = match[0].trim();
    if (!key) throw new Error('empty key');
    return key;
  }

  private array(): string {
    this.at++; // [
    const items: string[] = [];
    this.skipSpace();
    if (this.eat(']')) return '[]';
    for (;;) {
      items.push(this.value());
      this.skipSpace();
      if (this.eat(']')) return `[${items.join(',')}]`;
      if (!this.eat(',')) throw new Error(`expected , or ] at ${JSON.stringify(this.rest.slice(0, 20))}`);
    }
  }

  private eat(char: string): boolean {
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }
}

/**
 * The JSON text of one Gemma 4 value that makes up all of `text` (whitespace around it
 * allowed), or an error.
 */
export function gemma4ValueToJson(text: string): { json: string } | { error: string } {
  const reader = new ValueReader(text);
  try {
    const json = reader.value();
    reader.skipSpace();
    if (reader.rest) return { error: `unexpected text after the value: ${JSON.stringify(reader.rest.slice(0, 20))}` };
    return { json };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
