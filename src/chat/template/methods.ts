// Python's methods on values, which real templates call and the library lacks (or implements
// without their arguments): `str` (format, join, find, strip(chars), partition, …), `list`
// (append, pop, …, changing the list in place) and `dict` (update, setdefault, …).
// CompatInterpreter looks a call `x.name(...)` up here first (methodFor).

import { pyFormat, pyRepr } from './python.js';
import { array, bool, int, isArray, isInteger, isMapping, isNone, isString, none, object, str, truthy, type RuntimeValue } from './jinja.js';
import { type Args, dictItems, dictKeys, dictMap, expectInt, expectString, lookupKey, pyEquals, toDictKey, typeName } from './values.js';

function argAt(args: Args, index: number, name: string): RuntimeValue | undefined {
  return args.positional[index] ?? args.named.get(name);
}

export function stripChars(text: string, chars: string | undefined, left: boolean, right: boolean): string {
  if (chars === undefined) {
    if (left && right) return text.trim();
    return left ? text.trimStart() : text.trimEnd();
  }
  const set = new Set(chars);
  const codePoints = Array.from(text);
  let start = 0;
  let end = codePoints.length;
  if (left) while (start < end && set.has(codePoints[start]!)) start++;
  if (right) while (end > start && set.has(codePoints[end - 1]!)) end--;
  return codePoints.slice(start, end).join('');
}

function normalizeIndex(index: number, length: number): number {
  return index < 0 ? Math.max(0, length + index) : Math.min(index, length);
}

function findIn(text: string, args: Args, reverse: boolean): number {
  const needle = expectString(args.positional[0], 'substring');
  const start = args.positional[1] !== undefined && isInteger(args.positional[1]) ? normalizeIndex(args.positional[1].value, text.length) : 0;
  const end = args.positional[2] !== undefined && isInteger(args.positional[2]) ? normalizeIndex(args.positional[2].value, text.length) : text.length;
  const region = text.slice(start, end);
  const found = reverse ? region.lastIndexOf(needle) : region.indexOf(needle);
  return found < 0 ? -1 : found + start;
}

export type Method = (self: RuntimeValue, args: Args) => RuntimeValue;

/** `str` methods the library lacks (or implements without their arguments). */
const STRING_METHODS: Record<string, Method> = {
  format: (self, args) => str(pyFormat(self.value as string, args.positional, args.named)),
  join: (self, args) => {
    const iterable = args.positional[0];
    if (iterable === undefined) throw new Error('str.join() takes exactly one argument');
    const items = isArray(iterable) ? iterable.value : isString(iterable) ? Array.from(iterable.value, str) : null;
    if (items === null) throw new Error(`can only join an iterable, not ${typeName(iterable)}`);
    return str(
      items
        .map((x) => {
          if (!isString(x)) throw new Error(`sequence item: expected str instance, ${typeName(x)} found`);
          return x.value;
        })
        .join(self.value as string),
    );
  },
  find: (self, args) => int(findIn(self.value as string, args, false)),
  rfind: (self, args) => int(findIn(self.value as string, args, true)),
  index: (self, args) => {
    const i = findIn(self.value as string, args, false);
    if (i < 0) throw new Error('substring not found');
    return int(i);
  },
  count: (self, args) => {
    const needle = expectString(args.positional[0], 'substring');
    const text = self.value as string;
    if (needle === '') return int(Array.from(text).length + 1);
    return int(text.split(needle).length - 1);
  },
  strip: (self, args) => str(stripChars(self.value as string, optionalChars(args), true, true)),
  lstrip: (self, args) => str(stripChars(self.value as string, optionalChars(args), true, false)),
  rstrip: (self, args) => str(stripChars(self.value as string, optionalChars(args), false, true)),
  splitlines: (self, args) => {
    const keep = truthy(argAt(args, 0, 'keepends') ?? bool(false));
    const text = self.value as string;
    const parts = text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
    return array(parts.map((p) => str(keep ? p : p.replace(/(?:\r\n|\r|\n)$/, ''))));
  },
  removeprefix: (self, args) => {
    const prefix = expectString(args.positional[0], 'prefix');
    const text = self.value as string;
    return str(text.startsWith(prefix) ? text.slice(prefix.length) : text);
  },
  removesuffix: (self, args) => {
    const suffix = expectString(args.positional[0], 'suffix');
    const text = self.value as string;
    return str(suffix && text.endsWith(suffix) ? text.slice(0, -suffix.length) : text);
  },
  isdigit: (self) => bool(/^\d+$/u.test(self.value as string)),
  isnumeric: (self) => bool(/^\p{N}+$/u.test(self.value as string)),
  isalpha: (self) => bool(/^\p{L}+$/u.test(self.value as string)),
  isalnum: (self) => bool(/^[\p{L}\p{N}]+$/u.test(self.value as string)),
  isspace: (self) => bool(/^\s+$/u.test(self.value as string)),
  islower: (self) => {
    const t = self.value as string;
    return bool(t !== t.toUpperCase() && t === t.toLowerCase());
  },
  isupper: (self) => {
    const t = self.value as string;
    return bool(t !== t.toLowerCase() && t === t.toUpperCase());
  },
  zfill: (self, args) => {
    const width = expectInt(args.positional[0], 'width');
    const text = self.value as string;
    const sign = /^[+-]/.test(text) ? text[0]! : '';
    return str(sign + text.slice(sign.length).padStart(width - sign.length, '0'));
  },
  partition: (self, args) => partition(self.value as string, expectString(args.positional[0], 'separator'), false),
  rpartition: (self, args) => partition(self.value as string, expectString(args.positional[0], 'separator'), true),
};

export function optionalChars(args: Args): string | undefined {
  const chars = args.positional[0];
  if (chars === undefined || isNone(chars)) return undefined;
  return expectString(chars, 'strip characters');
}

function partition(text: string, sep: string, reverse: boolean): RuntimeValue {
  const i = reverse ? text.lastIndexOf(sep) : text.indexOf(sep);
  if (i < 0) return array(reverse ? [str(''), str(''), str(text)] : [str(text), str(''), str('')]);
  return array([str(text.slice(0, i)), str(sep), str(text.slice(i + sep.length))]);
}

/** `list` methods (the library has none); they change the list in place, as Python does. */
const LIST_METHODS: Record<string, Method> = {
  append: (self, args) => {
    (self.value as RuntimeValue[]).push(args.positional[0] ?? none());
    return none();
  },
  extend: (self, args) => {
    const other = args.positional[0];
    if (other === undefined || !isArray(other)) throw new Error('list.extend() expects a list');
    (self.value as RuntimeValue[]).push(...other.value);
    return none();
  },
  insert: (self, args) => {
    const list = self.value as RuntimeValue[];
    list.splice(normalizeIndex(expectInt(args.positional[0], 'index'), list.length), 0, args.positional[1] ?? none());
    return none();
  },
  pop: (self, args) => {
    const list = self.value as RuntimeValue[];
    if (list.length === 0) throw new Error('pop from empty list');
    const at = args.positional[0];
    let index = at === undefined ? list.length - 1 : expectInt(at, 'index');
    if (index < 0) index += list.length;
    if (index < 0 || index >= list.length) throw new Error('pop index out of range');
    return list.splice(index, 1)[0]!;
  },
  remove: (self, args) => {
    const list = self.value as RuntimeValue[];
    const target = args.positional[0] ?? none();
    const index = list.findIndex((x) => pyEquals(x, target));
    if (index < 0) throw new Error('list.remove(x): x not in list');
    list.splice(index, 1);
    return none();
  },
  index: (self, args) => {
    const target = args.positional[0] ?? none();
    const index = (self.value as RuntimeValue[]).findIndex((x) => pyEquals(x, target));
    if (index < 0) throw new Error(`${pyRepr(target)} is not in list`);
    return int(index);
  },
  count: (self, args) => {
    const target = args.positional[0] ?? none();
    return int((self.value as RuntimeValue[]).filter((x) => pyEquals(x, target)).length);
  },
  copy: (self) => array([...(self.value as RuntimeValue[])]),
};

/** `dict` methods the library lacks, or has for string keys only. */
const DICT_METHODS: Record<string, Method> = {
  copy: (self) => cloneMapping(self),
  items: (self) => dictItems(self),
  keys: (self) => array(dictKeys(self)),
  get: (self, args) => {
    const key = args.positional[0];
    if (key === undefined) throw new Error('get expected at least 1 argument, got 0');
    const stored = lookupKey(key);
    return (stored === undefined ? undefined : dictMap(self).get(stored)) ?? args.positional[1] ?? none();
  },
  update: (self, args) => {
    const target = dictMap(self);
    const source = args.positional[0];
    if (source !== undefined && isMapping(source)) for (const [k, v] of dictMap(source)) target.set(k, v);
    for (const [k, v] of args.named) target.set(k, v);
    return none();
  },
  setdefault: (self, args) => {
    const target = dictMap(self);
    const key = toDictKey(args.positional[0] ?? none());
    if (!target.has(key)) target.set(key, args.positional[1] ?? none());
    return target.get(key)!;
  },
  pop: (self, args) => {
    const target = dictMap(self);
    const key = args.positional[0];
    if (key === undefined) throw new Error('pop expected at least 1 argument, got 0');
    const stored = lookupKey(key);
    const value = stored === undefined ? undefined : target.get(stored);
    if (value !== undefined) {
      target.delete(stored!);
      return value;
    }
    if (args.positional[1] !== undefined) return args.positional[1];
    throw new Error(`KeyError: ${pyRepr(key)}`);
  },
};

function cloneMapping(self: RuntimeValue): RuntimeValue {
  return object(new Map(self.value as Map<string, RuntimeValue>));
}

export function methodFor(self: RuntimeValue, name: string, args: Args): Method | undefined {
  if (isString(self)) {
    // The library's strip family ignores the characters argument; use ours when one is given.
    if ((name === 'strip' || name === 'lstrip' || name === 'rstrip') && args.positional.length === 0) return undefined;
    return Object.hasOwn(STRING_METHODS, name) ? STRING_METHODS[name] : undefined;
  }
  if (isArray(self)) return Object.hasOwn(LIST_METHODS, name) ? LIST_METHODS[name] : undefined;
  if (self.type === 'ObjectValue' && !(self.value as Map<string, RuntimeValue>).has(name)) {
    return Object.hasOwn(DICT_METHODS, name) ? DICT_METHODS[name] : undefined;
  }
  return undefined;
}

/** Does the library itself resolve `self.name`? (mirrors its evaluateMemberExpression) */
export function libraryHasMember(self: RuntimeValue, name: string): boolean {
  if (isMapping(self) && self.value.has(name)) return true;
  return self.builtins.has(name);
}
