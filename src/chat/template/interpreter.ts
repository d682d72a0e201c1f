// A Jinja interpreter closer to Python's Jinja2 than @huggingface/jinja's own.
//
// Real chat templates are written against Python: they call `str.format`, `list.append`,
// `'sep'.join(...)`, filters such as `min`, `string` on dicts, `map('upper')`, `reject(...)`,
// print `True`/`None`, and iterate undefined variables as empty. The library covers most of
// Jinja but not these. We subclass its Interpreter and intercept `evaluate` (its one public
// hook, through which every node is evaluated): nodes we know better are handled here, the
// rest go to the library unchanged. An operand we already evaluated is passed on as a
// "precomputed" node so nothing is evaluated twice (a call such as `ids.pop(0)` has effects).
//
// The class wires the parts, each in its own file: Python's methods on values (methods.ts),
// filters and tests (filters.ts), `for` loops (loops.ts), helpers they share (values.ts) and the
// library's AST shapes (ast.ts).

import { bool, Environment, int, Interpreter, isArray, isMapping, isString, object, type RuntimeValue, type Statement, str, undef } from './jinja.js';
import {
  type BinaryNode,
  type CallNode,
  type FilterNode,
  type ForNode,
  type IdentifierNode,
  type KeywordArgumentNode,
  type MemberNode,
  type Node,
  type ObjectLiteralNode,
  PRECOMPUTED,
  type PrecomputedNode,
  precomputed,
  type TestNode,
} from './ast.js';
import { applyExtraFilter, EXTRA_TESTS, type FilterHost, runTest } from './filters.js';
import { RenderBudget } from './budget.js';
import { evaluateForLoop, LoopControl, type LoopHost } from './loops.js';
import { libraryHasMember, methodFor } from './methods.js';
import { pyStr } from './python.js';
import { type Args, type DictKey, dictMap, lookupKey, toDictKey, typeName } from './values.js';

/** Output statements print Python's `str()` of their value; these node types are not output. */
const NON_OUTPUT = new Set(['Set', 'If', 'For', 'Macro', 'CallStatement', 'FilterStatement', 'Comment', 'Break', 'Continue', 'Program']);

export class CompatInterpreter extends Interpreter implements FilterHost, LoopHost {
  constructor(
    env: Environment,
    readonly budget: RenderBudget = new RenderBudget(),
  ) {
    super(env);
  }

  override evaluate(statement: Statement | undefined, environment: Environment): RuntimeValue {
    this.budget.step();
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
        return evaluateForLoop(this, node as ForNode, environment);
      case 'Break':
        throw new LoopControl(true);
      case 'Continue':
        throw new LoopControl(false);
      case 'ObjectLiteral':
        return this.evaluateDictLiteral(node as ObjectLiteralNode, environment);
      case 'MemberExpression': {
        // `d[k]` (and Jinja2's `d.1`, which means `d[1]`) on a dict: the library accepts only string
        // keys. Other member expressions (`x.attr`, slices, lists) stay the library's.
        const member = node as MemberNode;
        const property = member.property;
        if (!(member.computed ? property.type !== 'SliceExpression' : property.type === 'IntegerLiteral')) break;
        const target = this.evaluate(member.object as Statement, environment);
        const key = member.computed ? this.evaluate(property as Statement, environment) : int((property as unknown as { value: number }).value);
        if (target.type === 'ObjectValue' && !isString(key)) {
          const stored = lookupKey(key);
          return (stored === undefined ? undefined : dictMap(target).get(stored)) ?? undef();
        }
        return super.evaluate({ ...member, object: precomputed(target), property: precomputed(key), computed: true } as unknown as Statement, environment);
      }
      case 'BinaryExpression': {
        const binary = node as BinaryNode;
        if (binary.operator.value === 'in' || binary.operator.value === 'not in') {
          // `1 in d`: the library tests only string keys against a dict.
          const left = this.evaluate(binary.left as Statement, environment);
          const right = this.evaluate(binary.right as Statement, environment);
          if (right.type === 'ObjectValue' && !isString(left)) {
            const stored = lookupKey(left);
            const found = stored !== undefined && dictMap(right).has(stored);
            return bool(binary.operator.value === 'in' ? found : !found);
          }
          return super.evaluate({ ...binary, left: precomputed(left), right: precomputed(right) } as unknown as Statement, environment);
        }
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

  /** `{k: v, …}`: Python's keys may be ints too (Seed-OSS's template has `{0: 0, 512: 128, …}`); the library takes only strings. */
  private evaluateDictLiteral(node: ObjectLiteralNode, environment: Environment): RuntimeValue {
    const mapping = new Map<DictKey, RuntimeValue>();
    for (const [key, value] of node.value) {
      mapping.set(toDictKey(this.evaluate(key as Statement, environment)), this.evaluate(value as Statement, environment));
    }
    return object(mapping as Map<string, RuntimeValue>);
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
      this.budget.output(out.length);
    }
    return str(out);
  }

  /** Evaluates call arguments (filters.ts uses it too). */
  evaluateArgs(nodes: Node[], environment: Environment): Args {
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
    const result = applyExtraFilter(this, name, operand, argNodes, environment);
    if (result !== undefined) return result;
    return super.evaluate({ ...node, operand: precomputed(operand) } as unknown as Statement, environment);
  }

  private evaluateTest(node: TestNode, environment: Environment): RuntimeValue {
    const name = node.test.value;
    if (!Object.hasOwn(EXTRA_TESTS, name)) return super.evaluate(node as unknown as Statement, environment);
    const operand = this.evaluate(node.operand as Statement, environment);
    const result = runTest(name, operand, [], environment);
    return bool(node.negate ? !result : result);
  }
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
