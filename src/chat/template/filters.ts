// Filters and tests where Jinja2 and @huggingface/jinja differ: `min` / `max` / `sum`,
// `string` (Python's str), `map(filter)`, `select` / `reject` with a test, `from_json`,
// `trim(chars)`, `d`, and how filters treat undefined and None; the tests `float` and
// `iterable`. CompatInterpreter tries these first (applyExtraFilter returns undefined when the
// library's own filter should run).

import {
  array,
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
  type RuntimeValue,
  type Statement,
  str,
  truthy,
  undef,
} from './jinja.js';
import { type Node, precomputed } from './ast.js';
import { optionalChars, stripChars } from './methods.js';
import { pyStr } from './python.js';
import { type Args, compare, expectString, typeName } from './values.js';

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
      if (isMapping(operand)) return array([...operand.value.keys()].map(str));
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
    case 'tojson':
      // Python's json.dumps of Undefined fails too, but with a clearer message.
      if (isUndefined(operand)) throw new Error('tojson: value is undefined');
      return undefined;
    default:
      return undefined;
  }
}
