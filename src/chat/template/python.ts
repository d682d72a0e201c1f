// Python behaviours chat templates rely on, which @huggingface/jinja does not reproduce:
// `str()` / `repr()` of values, `str.format`, and `datetime.strftime`.

import { isArray, isBoolean, isFloat, isInteger, isMapping, isNone, isString, isUndefined, type RuntimeValue } from './jinja.js';
import { dictMap } from './values.js';

/** Python's `repr()` of a string: single quotes unless the text holds a single quote and no double quote. */
export function pyReprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default: {
        const code = ch.codePointAt(0) ?? 0;
        if (ch === quote) out += `\\${ch}`;
        else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
        else out += ch;
      }
    }
  }
  return out + quote;
}

function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return n.toFixed(1);
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/**
 * Python's `repr()`. Mappings are read with plain iteration (`[...map]`), which the argument probe
 * in caps.ts deliberately does not count as the template looking inside them.
 */
export function pyRepr(v: RuntimeValue): string {
  if (isString(v)) return pyReprString(v.value);
  if (isBoolean(v)) return v.value ? 'True' : 'False';
  if (isNone(v) || isUndefined(v)) return 'None';
  if (isInteger(v)) return String(v.value);
  if (isFloat(v)) return pyFloat(v.value);
  if (v.type === 'TupleValue' && isArray(v)) {
    const items = v.value.map(pyRepr);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (isArray(v)) return `[${v.value.map(pyRepr).join(', ')}]`;
  if (v.type === 'NamespaceValue' && isMapping(v)) {
    return `<Namespace ${[...v.value].map(([k, x]) => `${k}=${pyRepr(x)}`).join(', ')}>`;
  }
  if (isMapping(v)) return `{${[...dictMap(v)].map(([k, x]) => `${typeof k === 'number' ? String(k) : pyReprString(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return v.toString();
}

/** Python's `str()`: strings as they are, everything else as its repr. Undefined is empty, as Jinja prints it. */
export function pyStr(v: RuntimeValue): string {
  if (isString(v)) return v.value;
  if (isUndefined(v)) return '';
  return pyRepr(v);
}

/**
 * Python's `str.format` for the forms templates use: `{}`, `{0}`, `{name}`, `{name.attr}`, `{{`, `}}`.
 * Format specs are honoured only for plain width/fill/alignment-free cases (they are ignored otherwise).
 */
export function pyFormat(template: string, positional: RuntimeValue[], named: Map<string, RuntimeValue>): string {
  let auto = 0;
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (match, field: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const [ref = '', conversion] = (field ?? '').split(/[!:]/, 2);
    const [head = '', ...path] = ref.split('.');
    let value: RuntimeValue | undefined;
    if (head === '') value = positional[auto++];
    else if (/^\d+$/.test(head)) value = positional[Number(head)];
    else value = named.get(head);
    if (value === undefined) throw new Error(`str.format: no value for field '{${field ?? ''}}'`);
    for (const key of path) {
      const next: RuntimeValue | undefined = isMapping(value) ? value.value.get(key) : undefined;
      if (next === undefined) throw new Error(`str.format: no attribute '${key}'`);
      value = next;
    }
    return conversion === 'r' ? pyRepr(value) : pyStr(value);
  });
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Python's `datetime.strftime` in the C locale (English names), local time — what
 * `strftime_now` does in transformers (and llama.cpp). Supports the common directives and the
 * glibc `%-d` (no padding) form.
 */
export function strftime(date: Date, format: string): string {
  const pad = (n: number, width = 2, fill = '0'): string => String(n).padStart(width, fill);
  const dayOfYear = (): number => (Date.UTC(date.getFullYear(), date.getMonth(), date.getDate()) - Date.UTC(date.getFullYear(), 0, 1)) / 86_400_000 + 1;
  const offset = (): string => {
    const minutes = -date.getTimezoneOffset();
    const sign = minutes >= 0 ? '+' : '-';
    return `${sign}${pad(Math.floor(Math.abs(minutes) / 60))}${pad(Math.abs(minutes) % 60)}`;
  };
  const hour12 = (): number => date.getHours() % 12 || 12;
  const one = (directive: string, noPad: boolean): string => {
    const p = (n: number, width = 2): string => (noPad ? String(n) : pad(n, width));
    switch (directive) {
      case 'a':
        return (DAYS[date.getDay()] ?? '').slice(0, 3);
      case 'A':
        return DAYS[date.getDay()] ?? '';
      case 'w':
        return String(date.getDay());
      case 'd':
        return p(date.getDate());
      case 'e':
        return pad(date.getDate(), 2, ' ');
      case 'b':
      case 'h':
        return (MONTHS[date.getMonth()] ?? '').slice(0, 3);
      case 'B':
        return MONTHS[date.getMonth()] ?? '';
      case 'm':
        return p(date.getMonth() + 1);
      case 'y':
        return p(date.getFullYear() % 100);
      case 'Y':
        return String(date.getFullYear());
      case 'H':
        return p(date.getHours());
      case 'I':
        return p(hour12());
      case 'p':
        return date.getHours() < 12 ? 'AM' : 'PM';
      case 'M':
        return p(date.getMinutes());
      case 'S':
        return p(date.getSeconds());
      case 'f':
        return pad(date.getMilliseconds() * 1000, 6);
      case 'j':
        return p(dayOfYear(), 3);
      case 'z':
        return offset();
      case 'Z':
        return new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((x) => x.type === 'timeZoneName')?.value ?? '';
      case 'D':
        return `${pad(date.getMonth() + 1)}/${pad(date.getDate())}/${pad(date.getFullYear() % 100)}`;
      case 'F':
        return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
      case 'T':
        return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
      case 'R':
        return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
      case 'c':
        return `${one('a', false)} ${one('b', false)} ${one('e', false)} ${one('T', false)} ${date.getFullYear()}`;
      case 'x':
        return one('D', false);
      case 'X':
        return one('T', false);
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case '%':
        return '%';
      default:
        return `%${noPad ? '-' : ''}${directive}`;
    }
  };
  return format.replace(/%(-?)([a-zA-Z%])/g, (_m, dash: string, directive: string) => one(directive, dash === '-'));
}
