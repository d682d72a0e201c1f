// Filters and tests where Jinja2 and @huggingface/jinja differ: `min` / `max` / `sum`,
// `string` (Python's str), `map(filter)`, `select` / `reject` with a test, `from_json`,
// `trim(chars)`, `d`, and how filters treat undefined and None; the tests `float` and
// `iterable`. CompatInterpreter tries these first (applyExtraFilter returns undefined when the
// library's own filter should run).

import {
  array,
  bool,
  type Environment,
  float,
  fromJs,
  int,
  type Interpreter,
  isArray,
  isFloat,
  isMapping,
  isNone,
  isNumber,
  isString,
  isUndefined,
  none,
  object,
  type RuntimeValue,
  type Statement,
  str,
  truthy,
  undef,
} from './jinja.js';
import { type Node, precomputed } from './ast.js';
import { optionalChars, stripChars } from './methods.js';
import { pyStr } from './python.js';
import { type Args, compare, dictItems, dictKeys, dictMap, expectString, typeName } from './values.js';

/** What the filters need from the interpreter: evaluating nodes (its own `evaluate`, so our filters apply) and call arguments. */
export interface FilterHost extends Pick<Interpreter, 'evaluate'> {
  evaluateArgs(nodes: Node[], environment: Environment): Args;
}

// ---- tests ----

type Test = (operand: RuntimeValue) => boolean;

export const EXTRA_TESTS: Record<string, Test> = {
  float: (v) => isFloat(v),
  // Python's dicts are iterable (over their keys); the library says they are not.
  iterable: (v) => isArray(v) || isString(v) || isMapping(v),
};

// ---- filters ----

const SEQUENCE_FILTERS = new Set(['select', 'reject', 'selectattr', 'rejectattr', 'map']);
const STRING_FILTERS = new Set(['trim', 'upper', 'lower', 'title', 'capitalize', 'replace', 'indent']);

/** Apply filter `name` by name, ours first, then the library's (used by `map`). */
export function applyNamedFilter(host: FilterHost, name: string, operand: RuntimeValue, args: RuntimeValue[], environment: Environment): RuntimeValue {
  const filter: Node =
    args.length === 0
      ? ({ type: 'Identifier', value: name } as Node)
      : ({ type: 'CallExpression', callee: { type: 'Identifier', value: name }, args: args.map(precomputed) } as Node);
  return host.evaluate({ type: 'FilterExpression', operand: precomputed(operand), filter } as unknown as Statement, environment);
}

export function runTest(name: string, operand: RuntimeValue, args: RuntimeValue[], environment: Environment): boolean {
  const extra = Object.hasOwn(EXTRA_TESTS, name) ? EXTRA_TESTS[name] : undefined;
  if (extra && args.length === 0) return extra(operand);
  const test = environment.tests.get(name) as ((...values: RuntimeValue[]) => boolean) | undefined;
  if (!test) throw new Error(`Unknown test: ${name}`);
  return test(operand, ...args);
}

export function applyExtraFilter(host: FilterHost, name: string, operand: RuntimeValue, argNodes: Node[], environment: Environment): RuntimeValue | undefined {
  if ((isNone(operand) || isUndefined(operand)) && SEQUENCE_FILTERS.has(name)) {
    // Jinja2's select/reject/map filters treat a falsy input as empty.
    return array([]);
  }
  if (isUndefined(operand) && STRING_FILTERS.has(name)) {
    // Jinja2 applies string filters to str(Undefined), the empty string.
    return applyNamedFilter(host, name, str(''), host.evaluateArgs(argNodes, environment).positional, environment);
  }
  switch (name) {
    case 'string':
      return str(pyStr(operand));
    case 'length':
    case 'count':
      if (isUndefined(operand)) return int(0);
      if (name === 'count') return applyNamedFilter(host, 'length', operand, [], environment);
      return undefined;
    case 'list':
      if (isString(operand)) return array(Array.from(operand.value, str));
      if (operand.type === 'TupleValue') return array([...(operand.value as RuntimeValue[])]);
      if (isMapping(operand)) return array(dictKeys(operand));
      if (isUndefined(operand)) return array([]);
      return undefined;
    case 'd':
      return applyNamedFilter(host, 'default', operand, host.evaluateArgs(argNodes, environment).positional, environment);
    case 'trim': {
      if (!isString(operand) || argNodes.length === 0) return undefined;
      const args = host.evaluateArgs(argNodes, environment);
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
      const args = host.evaluateArgs(argNodes, environment);
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
      const args = host.evaluateArgs(argNodes, environment);
      if (args.named.has('attribute') || args.positional.length === 0) return undefined;
      const filterName = expectString(args.positional[0], 'map filter name');
      const rest = args.positional.slice(1);
      return array(operand.value.map((item) => applyNamedFilter(host, filterName, item, rest, environment)));
    }
    case 'select':
    case 'reject': {
      if (!isArray(operand)) return undefined;
      const args = host.evaluateArgs(argNodes, environment);
      const [testName, ...testArgs] = args.positional;
      const keep = name === 'select';
      return array(
        operand.value.filter((item) => {
          const passed = testName === undefined ? truthy(item) : runTest(expectString(testName, 'test name'), item, testArgs, environment);
          return passed === keep;
        }),
      );
    }
    case 'tojson': {
      // Python's json.dumps of Undefined fails too, but with a clearer message.
      if (isUndefined(operand)) throw new Error('tojson: value is undefined');
      // json.dumps writes int keys as strings and tuples as lists; the library would write int keys bare (invalid JSON) and fail on tuples.
      const converted = jsonReady(operand);
      if (converted === operand) return undefined;
      const filter: Node =
        argNodes.length === 0 ? ({ type: 'Identifier', value: name } as Node) : ({ type: 'CallExpression', callee: { type: 'Identifier', value: name }, args: argNodes } as Node);
      return host.evaluate({ type: 'FilterExpression', operand: precomputed(converted), filter } as unknown as Statement, environment);
    }
    case 'items':
      // Jinja2's `items` filter; the library's turns int keys into strings.
      if (operand.type === 'ObjectValue') return dictItems(operand);
      if (isUndefined(operand)) return array([]);
      throw new Error('Can only get item pairs from a mapping.');
    case 'dictsort': {
      if (operand.type !== 'ObjectValue') return undefined;
      const args = host.evaluateArgs(argNodes, environment);
      return dictsort(operand, args);
    }
    default:
      return undefined;
  }
}

/** Jinja2's `dictsort(case_sensitive=False, by='key', reverse=False)`: Python's sort of the items, keys kept as they are (ints too). */
function dictsort(operand: RuntimeValue, args: Args): RuntimeValue {
  const caseSensitive = truthy(args.positional[0] ?? args.named.get('case_sensitive') ?? bool(false));
  const by = args.positional[1] ?? args.named.get('by') ?? str('key');
  const reverse = truthy(args.positional[2] ?? args.named.get('reverse') ?? bool(false));
  if (!isString(by) || (by.value !== 'key' && by.value !== 'value')) throw new Error('You can only sort by either "key" or "value"');
  const index = by.value === 'key' ? 0 : 1;
  const sortKey = (v: RuntimeValue): RuntimeValue => (!caseSensitive && isString(v) ? str(v.value.toLowerCase()) : v);
  const items = (dictItems(operand).value as RuntimeValue[]).map((pair) => ({ pair, key: sortKey((pair.value as RuntimeValue[])[index]!) }));
  // Array.prototype.sort is stable, as Python's sorted() is (also with reverse=True).
  items.sort((a, b) => (reverse ? -compare(a.key, b.key) : compare(a.key, b.key)));
  return array(items.map((x) => x.pair));
}

/** The value with int dict keys as strings and tuples as lists, as json.dumps writes them; the value itself when it has neither. */
function jsonReady(v: RuntimeValue): RuntimeValue {
  if (isArray(v)) {
    let changed = v.type === 'TupleValue';
    const items = v.value.map((x) => {
      const y = jsonReady(x);
      changed ||= y !== x;
      return y;
    });
    return changed ? array(items) : v;
  }
  if (v.type !== 'ObjectValue') return v;
  let changed = false;
  const entries = [...dictMap(v).entries()].map(([k, x]): [string, RuntimeValue] => {
    const y = jsonReady(x);
    changed ||= y !== x || typeof k === 'number';
    return [String(k), y];
  });
  return changed ? object(new Map(entries)) : v;
}
