// A Jinja interpreter closer to Python's Jinja2 than @huggingface/jinja's own.
//
// Real chat templates are written against Python: they call `str.format`, `list.append`,
// `'sep'.join(...)`, filters such as `min`, `string` on dicts, `map('upper')`, `reject(...)`,
// print `True`/`None`, and iterate undefined variables as empty. The library covers most of
// Jinja but not these. We subclass its Interpreter and intercept `evaluate` (its one public
// hook, through which every node is evaluated): nodes we know better are handled here, the
// rest go to the library unchanged. An operand we already evaluated is passed on as a
// "precomputed" node so nothing is evaluated twice (a call such as `ids.pop(0)` has effects).

import { Environment, Interpreter } from './jinja.js';
import { pyFormat, pyRepr, pyStr } from './python.js';
import {
  array,
  bool,
  object,
  float,
  fromJs,
  func,
  int,
  isArray,
  isBoolean,
  isFloat,
  isInteger,
  isMapping,
  isNone,
  isNumber,
  isString,
  isUndefined,
  none,
  str,
  truthy,
  undef,
  type RuntimeValue,
  type Statement,
} from './jinja.js';

// ---- AST shapes (the library does not export its node classes) ----

interface Node {
  type: string;
}
interface IdentifierNode extends Node {
  value: string;
}
interface MemberNode extends Node {
  object: Node;
  property: Node;
  computed: boolean;
}
interface CallNode extends Node {
  callee: Node;
  args: Node[];
}
interface FilterNode extends Node {
  operand: Node;
  filter: Node;
}
interface TestNode extends Node {
  operand: Node;
  negate: boolean;
  test: IdentifierNode;
}
interface KeywordArgumentNode extends Node {
  key: IdentifierNode;
  value: Node;
}
interface BinaryNode extends Node {
  operator: { value: string };
  left: Node;
  right: Node;
}
interface ForNode extends Node {
  loopvar: Node;
  iterable: Node;
  body: Node[];
  defaultBlock: Node[];
}
interface SelectNode extends Node {
  lhs: Node;
  test: Node;
}

const PRECOMPUTED = 'LlamaBridgePrecomputed';
interface PrecomputedNode extends Node {
  value: RuntimeValue;
}
const precomputed = (value: RuntimeValue): Node => ({ type: PRECOMPUTED, value }) as PrecomputedNode;

/** Output statements print Python's `str()` of their value; these node types are not output. */
const NON_OUTPUT = new Set([
  'Set',
  'If',
  'For',
  'Macro',
  'CallStatement',
  'FilterStatement',
  'Comment',
  'Break',
  'Continue',
  'Program',
]);

interface Args {
  positional: RuntimeValue[];
  named: Map<string, RuntimeValue>;
}

function argAt(args: Args, index: number, name: string): RuntimeValue | undefined {
  return args.positional[index] ?? args.named.get(name);
}

function typeName(v: RuntimeValue): string {
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

function expectString(v: RuntimeValue | undefined, what: string): string {
  if (v === undefined || !isString(v)) throw new Error(`${what} must be a string`);
  return v.value;
}

function expectInt(v: RuntimeValue | undefined, what: string): number {
  if (v === undefined || !isInteger(v)) throw new Error(`${what} must be an integer`);
  return v.value;
}

/** Python equality for the value types templates compare. */
function pyEquals(a: RuntimeValue, b: RuntimeValue): boolean {
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

function stripChars(text: string, chars: string | undefined, left: boolean, right: boolean): string {
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

type Method = (self: RuntimeValue, args: Args) => RuntimeValue;

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

function optionalChars(args: Args): string | undefined {
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

/** `dict` methods the library lacks. */
const DICT_METHODS: Record<string, Method> = {
  copy: (self) => cloneMapping(self),
  update: (self, args) => {
    const target = self.value as Map<string, RuntimeValue>;
    const source = args.positional[0];
    if (source !== undefined && isMapping(source)) for (const [k, v] of source.value) target.set(k, v);
    for (const [k, v] of args.named) target.set(k, v);
    return none();
  },
  setdefault: (self, args) => {
    const target = self.value as Map<string, RuntimeValue>;
    const key = expectString(args.positional[0], 'key');
    if (!target.has(key)) target.set(key, args.positional[1] ?? none());
    return target.get(key)!;
  },
  pop: (self, args) => {
    const target = self.value as Map<string, RuntimeValue>;
    const key = expectString(args.positional[0], 'key');
    const value = target.get(key);
    if (value !== undefined) {
      target.delete(key);
      return value;
    }
    if (args.positional[1] !== undefined) return args.positional[1];
    throw new Error(`KeyError: ${pyRepr(str(key))}`);
  },
};

function cloneMapping(self: RuntimeValue): RuntimeValue {
  return object(new Map(self.value as Map<string, RuntimeValue>));
}

function methodFor(self: RuntimeValue, name: string, args: Args): Method | undefined {
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
function libraryHasMember(self: RuntimeValue, name: string): boolean {
  if (isMapping(self) && self.value.has(name)) return true;
  return self.builtins.has(name);
}

// ---- tests ----

type Test = (operand: RuntimeValue) => boolean;

const EXTRA_TESTS: Record<string, Test> = {
  float: (v) => isFloat(v),
  // Python's dicts are iterable (over their keys); the library says they are not.
  iterable: (v) => isArray(v) || isString(v) || isMapping(v),
};

const SEQUENCE_FILTERS = new Set(['select', 'reject', 'selectattr', 'rejectattr', 'map']);
const STRING_FILTERS = new Set(['trim', 'upper', 'lower', 'title', 'capitalize', 'replace', 'indent']);

// ---- interpreter ----

export class CompatInterpreter extends Interpreter {
  constructor(env: Environment) {
    super(env);
  }

  override evaluate(statement: Statement | undefined, environment: Environment): RuntimeValue {
    const node = statement as Node | undefined;
    switch (node?.type) {
      case PRECOMPUTED:
        return (node as PrecomputedNode).value;
      case 'CallExpression':
        return this.evaluateCall(node as CallNode, environment);
      case 'FilterExpression':
        return this.evaluateFilter(node as FilterNode, environment);
      case 'TestExpression':
        return this.evaluateTest(node as TestNode, environment);
      case 'For':
        return this.evaluateForLoop(node as ForNode, environment);
      case 'Break':
        throw new LoopControl(true);
      case 'Continue':
        throw new LoopControl(false);
      case 'BinaryExpression': {
        const binary = node as BinaryNode;
        if (binary.operator.value === '~') {
          const left = this.evaluate(binary.left as Statement, environment);
          const right = this.evaluate(binary.right as Statement, environment);
          return str(pyStr(left) + pyStr(right));
        }
        if (binary.operator.value === '+') {
          const left = this.evaluate(binary.left as Statement, environment);
          const right = this.evaluate(binary.right as Statement, environment);
          if (isString(left) && isString(right)) return str(left.value + right.value);
          // The library would print a dict as "[object Map]"; Python refuses.
          if ((isString(left) && (isMapping(right) || isArray(right))) || (isString(right) && (isMapping(left) || isArray(left)))) {
            throw new Error(`can only concatenate str (not "${typeName(isString(left) ? right : left)}") to str`);
          }
          return super.evaluate({ ...binary, left: precomputed(left), right: precomputed(right) } as unknown as Statement, environment);
        }
        break;
      }
    }
    return super.evaluate(statement, environment);
  }

  /** Python prints `str(value)`: `True`, `None`, `['a', 'b']`, `{'k': 1}`. */
  printBlock(statements: Node[], environment: Environment): RuntimeValue {
    let out = '';
    for (const statement of statements) {
      let value: RuntimeValue;
      try {
        value = this.evaluate(statement as Statement, environment);
      } catch (error) {
        // Keep what this block printed before a {% break %} / {% continue %}, as Jinja2 does.
        if (error instanceof LoopControl) error.output = out + error.output;
        throw error;
      }
      if (NON_OUTPUT.has(statement.type)) {
        if (isString(value)) out += value.value;
        continue;
      }
      out += pyStr(value);
    }
    return str(out);
  }

  private evaluateArgs(nodes: Node[], environment: Environment): Args {
    const positional: RuntimeValue[] = [];
    const named = new Map<string, RuntimeValue>();
    for (const arg of nodes) {
      if (arg.type === 'KeywordArgumentExpression') {
        const kw = arg as KeywordArgumentNode;
        named.set(kw.key.value, this.evaluate(kw.value as Statement, environment));
      } else if (arg.type === 'SpreadExpression' || arg.type === 'KeywordSpreadExpression') {
        throw new Error('argument unpacking (*args, **kwargs) is not supported here');
      } else {
        positional.push(this.evaluate(arg as Statement, environment));
      }
    }
    return { positional, named };
  }

  private evaluateCall(node: CallNode, environment: Environment): RuntimeValue {
    const callee = node.callee as MemberNode;
    if (callee.type !== 'MemberExpression' || callee.computed || callee.property.type !== 'Identifier') {
      return super.evaluate(node as unknown as Statement, environment);
    }
    const name = (callee.property as IdentifierNode).value;
    const self = this.evaluate(callee.object as Statement, environment);
    const hasArgsSpread = node.args.some((a) => a.type === 'SpreadExpression' || a.type === 'KeywordSpreadExpression');
    if (!hasArgsSpread) {
      const args = this.evaluateArgs(node.args, environment);
      const method = methodFor(self, name, args);
      if (method) return method(self, args);
      if (!libraryHasMember(self, name)) {
        throw new Error(`'${typeName(self)}' object has no attribute '${name}'`);
      }
      // Hand the evaluated arguments on too, so they are not evaluated twice.
      const argNodes: Node[] = args.positional.map(precomputed);
      for (const [key, value] of args.named) {
        argNodes.push({ type: 'KeywordArgumentExpression', key: { type: 'Identifier', value: key }, value: precomputed(value) } as Node);
      }
      return super.evaluate({ ...node, callee: { ...callee, object: precomputed(self) }, args: argNodes } as unknown as Statement, environment);
    }
    return super.evaluate({ ...node, callee: { ...callee, object: precomputed(self) } } as unknown as Statement, environment);
  }

  private evaluateFilter(node: FilterNode, environment: Environment): RuntimeValue {
    const operand = this.evaluate(node.operand as Statement, environment);
    const filter = node.filter;
    let name: string;
    let argNodes: Node[] = [];
    if (filter.type === 'Identifier') {
      name = (filter as IdentifierNode).value;
    } else if (filter.type === 'CallExpression' && (filter as CallNode).callee.type === 'Identifier') {
      name = ((filter as CallNode).callee as IdentifierNode).value;
      argNodes = (filter as CallNode).args;
    } else {
      return super.evaluate({ ...node, operand: precomputed(operand) } as unknown as Statement, environment);
    }
    const result = this.applyExtraFilter(name, operand, argNodes, environment);
    if (result !== undefined) return result;
    return super.evaluate({ ...node, operand: precomputed(operand) } as unknown as Statement, environment);
  }

  /** Apply filter `name` by name, ours first, then the library's (used by `map`). */
  private applyNamedFilter(name: string, operand: RuntimeValue, args: RuntimeValue[], environment: Environment): RuntimeValue {
    const filter: Node =
      args.length === 0
        ? ({ type: 'Identifier', value: name } as Node)
        : ({ type: 'CallExpression', callee: { type: 'Identifier', value: name }, args: args.map(precomputed) } as Node);
    return this.evaluate({ type: 'FilterExpression', operand: precomputed(operand), filter } as unknown as Statement, environment);
  }

  private runTest(name: string, operand: RuntimeValue, args: RuntimeValue[], environment: Environment): boolean {
    const extra = Object.hasOwn(EXTRA_TESTS, name) ? EXTRA_TESTS[name] : undefined;
    if (extra && args.length === 0) return extra(operand);
    const test = environment.tests.get(name) as ((...values: RuntimeValue[]) => boolean) | undefined;
    if (!test) throw new Error(`Unknown test: ${name}`);
    return test(operand, ...args);
  }

  private applyExtraFilter(name: string, operand: RuntimeValue, argNodes: Node[], environment: Environment): RuntimeValue | undefined {
    if ((isNone(operand) || isUndefined(operand)) && SEQUENCE_FILTERS.has(name)) {
      // Jinja2's select/reject/map filters treat a falsy input as empty.
      return array([]);
    }
    if (isUndefined(operand) && STRING_FILTERS.has(name)) {
      // Jinja2 applies string filters to str(Undefined), the empty string.
      return this.applyNamedFilter(name, str(''), this.evaluateArgs(argNodes, environment).positional, environment);
    }
    switch (name) {
      case 'string':
        return str(pyStr(operand));
      case 'length':
      case 'count':
        if (isUndefined(operand)) return int(0);
        if (name === 'count') return this.applyNamedFilter('length', operand, [], environment);
        return undefined;
      case 'list':
        if (isString(operand)) return array(Array.from(operand.value, str));
        if (isMapping(operand)) return array([...operand.value.keys()].map(str));
        if (isUndefined(operand)) return array([]);
        return undefined;
      case 'd':
        return this.applyNamedFilter('default', operand, this.evaluateArgs(argNodes, environment).positional, environment);
      case 'trim': {
        if (!isString(operand) || argNodes.length === 0) return undefined;
        const args = this.evaluateArgs(argNodes, environment);
        return str(stripChars(operand.value, optionalChars(args), true, true));
      }
      case 'from_json': {
        if (!isString(operand)) return undefined;
        return fromJs(JSON.parse(operand.value));
      }
      case 'min':
      case 'max':
      case 'sum': {
        if (!isArray(operand)) return undefined;
        const args = this.evaluateArgs(argNodes, environment);
        const attribute = args.named.get('attribute');
        const items = attribute && isString(attribute) ? operand.value.map((x) => (isMapping(x) ? (x.value.get(attribute.value) ?? none()) : none())) : operand.value;
        if (name === 'sum') {
          let total = 0;
          let anyFloat = false;
          for (const x of items) {
            if (!isNumber(x)) throw new Error(`sum: cannot add ${typeName(x)}`);
            total += x.value;
            anyFloat ||= isFloat(x);
          }
          const start = args.named.get('start') ?? args.positional[0];
          if (start && isNumber(start)) total += start.value;
          return anyFloat ? float(total) : int(total);
        }
        if (items.length === 0) return undef();
        return items.reduce((best, x) => {
          const cmp = compare(x, best);
          return (name === 'min' ? cmp < 0 : cmp > 0) ? x : best;
        });
      }
      case 'map': {
        if (!isArray(operand)) return undefined;
        const args = this.evaluateArgs(argNodes, environment);
        if (args.named.has('attribute') || args.positional.length === 0) return undefined;
        const filterName = expectString(args.positional[0], 'map filter name');
        const rest = args.positional.slice(1);
        return array(operand.value.map((item) => this.applyNamedFilter(filterName, item, rest, environment)));
      }
      case 'select':
      case 'reject': {
        if (!isArray(operand)) return undefined;
        const args = this.evaluateArgs(argNodes, environment);
        const [testName, ...testArgs] = args.positional;
        const keep = name === 'select';
        return array(
          operand.value.filter((item) => {
            const passed = testName === undefined ? truthy(item) : this.runTest(expectString(testName, 'test name'), item, testArgs, environment);
            return passed === keep;
          }),
        );
      }
      case 'tojson':
        // Python's json.dumps of Undefined fails too, but with a clearer message.
        if (isUndefined(operand)) throw new Error('tojson: value is undefined');
        return undefined;
      default:
        return undefined;
    }
  }

  private evaluateTest(node: TestNode, environment: Environment): RuntimeValue {
    const name = node.test.value;
    if (!Object.hasOwn(EXTRA_TESTS, name)) return super.evaluate(node as unknown as Statement, environment);
    const operand = this.evaluate(node.operand as Statement, environment);
    const result = this.runTest(name, operand, [], environment);
    return bool(node.negate ? !result : result);
  }

  /**
   * Our own `for`: the library's allocates a scope and nine loop values per item up front and
   * throws Error objects for break/continue (gpt-oss's template, which scans the rest of the
   * conversation for every tool call, rendered 3x slower). It also follows Python where the
   * library does not: undefined iterates as empty, strings by character, tuples unpack, output
   * before a `break` is kept, and `else` runs only when there was nothing to iterate.
   */
  private evaluateForLoop(node: ForNode, environment: Environment): RuntimeValue {
    const scope = new Environment(environment);
    const selected = node.iterable.type === 'SelectExpression';
    const source = selected ? (node.iterable as SelectNode).lhs : node.iterable;
    const iterable = this.evaluate(source as Statement, scope);
    let items: RuntimeValue[];
    if (isArray(iterable)) items = iterable.value;
    else if (isUndefined(iterable)) items = [];
    else if (isString(iterable)) items = Array.from(iterable.value, str);
    else if (iterable.type === 'ObjectValue' || iterable.type === 'KeywordArgumentsValue') {
      items = [...(iterable.value as Map<string, RuntimeValue>).keys()].map(str);
    } else throw new Error(`'${typeName(iterable)}' object is not iterable`);

    const bind = binder(node.loopvar);
    if (selected) {
      const test = (node.iterable as SelectNode).test;
      items = items.filter((item) => {
        const testScope = new Environment(scope);
        bind(testScope, item);
        return truthy(this.evaluate(test as Statement, testScope));
      });
    }
    if (items.length === 0) return this.printBlock(node.defaultBlock, scope);

    let out = '';
    for (let i = 0; i < items.length; i++) {
      scope.setVariable('loop', object(new LoopInfo(items, i)));
      bind(scope, items[i]!);
      try {
        out += (this.printBlock(node.body, scope).value as string);
      } catch (error) {
        if (!(error instanceof LoopControl)) throw error;
        out += error.output;
        if (error.isBreak) break;
      }
    }
    return str(out);
  }
}

/** Thrown by {% break %} / {% continue %}; carries the output printed before it. Not an Error: no stack to capture. */
class LoopControl {
  output = '';
  constructor(readonly isBreak: boolean) {}
}

function binder(loopvar: Node): (scope: Environment, item: RuntimeValue) => void {
  if (loopvar.type === 'Identifier') {
    const name = (loopvar as IdentifierNode).value;
    return (scope, item) => scope.setVariable(name, item);
  }
  if (loopvar.type === 'TupleLiteral') {
    const names = (loopvar as unknown as { value: Node[] }).value.map((n) => {
      if (n.type !== 'Identifier') throw new Error(`Cannot unpack into ${n.type}`);
      return (n as IdentifierNode).value;
    });
    return (scope, item) => {
      if (!isArray(item)) throw new Error(`cannot unpack non-iterable ${typeName(item)} object`);
      if (item.value.length !== names.length) {
        throw new Error(`${item.value.length > names.length ? 'too many' : 'not enough'} values to unpack (expected ${names.length}, got ${item.value.length})`);
      }
      names.forEach((name, j) => scope.setVariable(name, item.value[j]!));
    };
  }
  throw new Error(`Invalid loop variable(s): ${loopvar.type}`);
}

const LOOP_KEYS = ['index', 'index0', 'revindex', 'revindex0', 'first', 'last', 'length', 'previtem', 'nextitem', 'cycle'] as const;

/** `loop`, computed on access (most templates read one or two of its attributes). */
class LoopInfo extends Map<string, RuntimeValue> {
  private filled = false;
  constructor(
    private readonly items: RuntimeValue[],
    private readonly i: number,
  ) {
    super();
  }
  private compute(key: string): RuntimeValue | undefined {
    const { items, i } = this;
    switch (key) {
      case 'index':
        return int(i + 1);
      case 'index0':
        return int(i);
      case 'revindex':
        return int(items.length - i);
      case 'revindex0':
        return int(items.length - i - 1);
      case 'first':
        return bool(i === 0);
      case 'last':
        return bool(i === items.length - 1);
      case 'length':
        return int(items.length);
      case 'previtem':
        return i > 0 ? items[i - 1] : undef();
      case 'nextitem':
        return i < items.length - 1 ? items[i + 1] : undef();
      case 'cycle':
        return func((args) => {
          if (args.length === 0) throw new Error('no items for cycling given');
          return args[i % args.length]!;
        });
      default:
        return undefined;
    }
  }
  private fill(): void {
    if (this.filled) return;
    this.filled = true;
    for (const key of LOOP_KEYS) super.set(key, this.compute(key)!);
  }
  override get(key: string): RuntimeValue | undefined {
    return this.filled ? super.get(key) : this.compute(key);
  }
  override has(key: string): boolean {
    return (LOOP_KEYS as readonly string[]).includes(key);
  }
  override get size(): number {
    return LOOP_KEYS.length;
  }
  override entries(): MapIterator<[string, RuntimeValue]> {
    this.fill();
    return super.entries();
  }
  override keys(): MapIterator<string> {
    this.fill();
    return super.keys();
  }
  override values(): MapIterator<RuntimeValue> {
    this.fill();
    return super.values();
  }
  override [Symbol.iterator](): MapIterator<[string, RuntimeValue]> {
    this.fill();
    return super.entries();
  }
  override forEach(callback: (value: RuntimeValue, key: string, map: Map<string, RuntimeValue>) => void): void {
    this.fill();
    super.forEach(callback);
  }
}

function compare(a: RuntimeValue, b: RuntimeValue): number {
  if (isNumber(a) && isNumber(b)) return a.value - b.value;
  if (isString(a) && isString(b)) return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  throw new Error(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

// The library's evaluateBlock prints values with their JS-ish toString (`true`, JSON lists, nothing
// for None). It is private in the type declarations, so we replace it on our prototype only.
Object.defineProperty(CompatInterpreter.prototype, 'evaluateBlock', {
  value: function evaluateBlock(this: CompatInterpreter, statements: Node[], environment: Environment): RuntimeValue {
    return this.printBlock(statements, environment);
  },
  writable: true,
  configurable: true,
});

