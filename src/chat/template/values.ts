// Helpers on runtime values that the interpreter's parts share (methods.ts, filters.ts,
// loops.ts): Python's type names, `==` and `<`, evaluated call arguments, and argument checks
// that fail with Python-like messages.

import { isArray, isBoolean, isFloat, isInteger, isMapping, isNone, isNumber, isString, isUndefined, type RuntimeValue } from './jinja.js';

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
