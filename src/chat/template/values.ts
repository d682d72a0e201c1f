// Helpers on runtime values that the interpreter's parts share (methods.ts, filters.ts,
// loops.ts): Python's type names, `==` and `<`, evaluated call arguments, and argument checks
// that fail with Python-like messages.

import { array, int, isArray, isBoolean, isFloat, isInteger, isMapping, isNone, isNumber, isString, isUndefined, type RuntimeValue, str, tuple } from './jinja.js';

/** Evaluated call arguments. */
export interface Args {
  positional: RuntimeValue[];
  named: Map<string, RuntimeValue>;
}

export function typeName(v: RuntimeValue): string {
  if (isString(v)) return 'str';
  if (isInteger(v)) return 'int';
  if (isFloat(v)) return 'float';
  if (isBoolean(v)) return 'bool';
  if (isNone(v)) return 'NoneType';
  if (isUndefined(v)) return 'Undefined';
  if (v.type === 'TupleValue') return 'tuple';
  if (isArray(v)) return 'list';
  if (v.type === 'NamespaceValue') return 'Namespace';
  if (isMapping(v)) return 'dict';
  return v.type;
}

export function expectString(v: RuntimeValue | undefined, what: string): string {
  if (v === undefined || !isString(v)) throw new Error(`${what} must be a string`);
  return v.value;
}

export function expectInt(v: RuntimeValue | undefined, what: string): number {
  if (v === undefined || !isInteger(v)) throw new Error(`${what} must be an integer`);
  return v.value;
}

/** Python equality for the value types templates compare. */
export function pyEquals(a: RuntimeValue, b: RuntimeValue): boolean {
  if (isArray(a) && isArray(b)) return a.value.length === b.value.length && a.value.every((x, i) => pyEquals(x, b.value[i]!));
  if (isMapping(a) && isMapping(b)) {
    if (a.value.size !== b.value.size) return false;
    for (const [k, x] of a.value) {
      const y = b.value.get(k);
      if (y === undefined || !pyEquals(x, y)) return false;
    }
    return true;
  }
  if ((isNone(a) || isUndefined(a)) && (isNone(b) || isUndefined(b))) return a.type === b.type;
  return a.value === b.value;
}

/** Python's `<` ordering for the value types templates compare (numbers, strings). */
export function compare(a: RuntimeValue, b: RuntimeValue): number {
  if (isNumber(a) && isNumber(b)) return a.value - b.value;
  if (isString(a) && isString(b)) return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  throw new Error(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

// ---- dict keys ----
//
// Python's dict keys may be ints as well as strings (Seed-OSS's template has a literal
// `{0: 0, 512: 128, …}` and reads it back with `|dictsort` and `[16384]`). The library's
// mappings are Maps typed as string-keyed; we store an int key as a JS number in the same Map, so
// `1` and `'1'` stay distinct keys as in Python, and every place that hands keys back to the
// template (items, keys, iteration, dictsort, printing, tojson) turns a number back into an int.

/** A key as it is stored in a mapping's Map: a str key as a JS string, an int key as a JS number. */
export type DictKey = string | number;

/** A mapping's Map with the key types it can really hold. */
export function dictMap(v: RuntimeValue): Map<DictKey, RuntimeValue> {
  return v.value as Map<DictKey, RuntimeValue>;
}

/** The runtime value of a stored key. */
export function keyValue(key: DictKey): RuntimeValue {
  return typeof key === 'number' ? int(key) : str(key);
}

/** The stored form of a key a template puts into a dict (`{k: v}`, `setdefault(k)`): str and int keys. */
export function toDictKey(v: RuntimeValue): DictKey {
  if (isString(v) || isInteger(v)) return v.value;
  if ((isArray(v) && v.type !== 'TupleValue') || isMapping(v)) throw new Error(`unhashable type: '${typeName(v)}'`);
  // Python allows these too, but they would print back as another type (True as 1, 1.0 as 1).
  throw new Error(`dict keys of type '${typeName(v)}' are not supported`);
}

/**
 * The stored key a lookup (`d[k]`, `k in d`, `d.get(k)`) finds, or undefined when no stored key
 * can equal it. Python compares across numeric types: `d[1.0]` and `d[True]` find the key 1.
 */
export function lookupKey(v: RuntimeValue): DictKey | undefined {
  if (isString(v) || isNumber(v)) return v.value;
  if (isBoolean(v)) return v.value ? 1 : 0;
  if ((isArray(v) && v.type !== 'TupleValue') || isMapping(v)) throw new Error(`unhashable type: '${typeName(v)}'`);
  return undefined;
}

/** `d.items()`: (key, value) tuples, keys as they were put in. */
export function dictItems(v: RuntimeValue): RuntimeValue {
  // entries(), not plain iteration: caps.ts counts this as the template looking inside the dict.
  return array([...dictMap(v).entries()].map(([k, x]) => tuple([keyValue(k), x])));
}

/** `d.keys()`, `list(d)`, `for k in d`. */
export function dictKeys(v: RuntimeValue): RuntimeValue[] {
  return [...dictMap(v).keys()].map(keyValue);
}
