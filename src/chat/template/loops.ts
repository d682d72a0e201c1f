// `{% for %}` as Python's Jinja2 runs it, with `loop` computed on access, and
// `{% break %}` / `{% continue %}` (LoopControl, thrown by CompatInterpreter and caught here).

import { Environment, bool, func, int, isArray, isString, isUndefined, object, str, truthy, undef, type Interpreter, type RuntimeValue, type Statement } from './jinja.js';
import type { ForNode, IdentifierNode, Node, SelectNode } from './ast.js';
import type { RenderBudget } from './budget.js';
import { dictKeys, typeName } from './values.js';

/** What a loop needs from the interpreter: evaluating nodes and printing a block as Python would. */
export interface LoopHost extends Pick<Interpreter, 'evaluate'> {
  printBlock(statements: Node[], environment: Environment): RuntimeValue;
  readonly budget: RenderBudget;
}

/**
 * Our own `for`: the library's allocates a scope and nine loop values per item up front and
 * throws Error objects for break/continue (gpt-oss's template, which scans the rest of the
 * conversation for every tool call, rendered 3x slower). It also follows Python where the
 * library does not: undefined iterates as empty, strings by character, tuples unpack, output
 * before a `break` is kept, and `else` runs only when there was nothing to iterate.
 */
export function evaluateForLoop(host: LoopHost, node: ForNode, environment: Environment): RuntimeValue {
  const scope = new Environment(environment);
  const selected = node.iterable.type === 'SelectExpression';
  const source = selected ? (node.iterable as SelectNode).lhs : node.iterable;
  const iterable = host.evaluate(source as Statement, scope);
  let items: RuntimeValue[];
  if (isArray(iterable)) items = iterable.value;
  else if (isUndefined(iterable)) items = [];
  else if (isString(iterable)) items = Array.from(iterable.value, str);
  else if (iterable.type === 'ObjectValue' || iterable.type === 'KeywordArgumentsValue') {
    items = dictKeys(iterable);
  } else throw new Error(`'${typeName(iterable)}' object is not iterable`);

  const bind = binder(node.loopvar);
  if (selected) {
    const test = (node.iterable as SelectNode).test;
    items = items.filter((item) => {
      const testScope = new Environment(scope);
      bind(testScope, item);
      return truthy(host.evaluate(test as Statement, testScope));
    });
  }
  if (items.length === 0) return host.printBlock(node.defaultBlock, scope);

  let out = '';
  for (let i = 0; i < items.length; i++) {
    host.budget.step(); // an iteration costs a step even when its body is empty
    scope.setVariable('loop', object(new LoopInfo(items, i)));
    bind(scope, items[i]!);
    try {
      out += host.printBlock(node.body, scope).value as string;
      host.budget.output(out.length);
    } catch (error) {
      if (!(error instanceof LoopControl)) throw error;
      out += error.output;
      if (error.isBreak) break;
    }
  }
  return str(out);
}

/** Thrown by {% break %} / {% continue %}; carries the output printed before it. Not an Error: no stack to capture. */
export class LoopControl {
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
