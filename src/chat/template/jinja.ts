// Typed access to @huggingface/jinja.
//
// The package's .d.ts files import their siblings without file extensions, which TypeScript's
// NodeNext resolution rejects; with skipLibCheck every import from it silently becomes `any`.
// So we describe the part of its surface we use ourselves, structurally.
//
// It also exports only Template, Environment, Interpreter, parse and tokenize — not its value
// classes (StringValue, ObjectValue, …). `Environment.set` converts any JS value into a runtime
// value and returns it, so we take the classes from values it creates once.

import * as jinja from '@huggingface/jinja';

/** A runtime value of the library (its `AnyRuntimeValue`). */
export interface RuntimeValue {
  type: string;
  value: unknown;
  readonly builtins: ReadonlyMap<string, RuntimeValue>;
  __bool__(): { value: boolean };
  toString(): string;
}

/** An AST node of the library (its `Statement`). */
export interface Statement {
  type: string;
}

export interface Environment {
  readonly variables: Map<string, RuntimeValue>;
  readonly tests: ReadonlyMap<string, (...values: RuntimeValue[]) => boolean>;
  /** Declare a variable from a plain JS value; throws if it is already declared in this scope. */
  set(name: string, value: unknown): RuntimeValue;
  setVariable(name: string, value: RuntimeValue): RuntimeValue;
  lookupVariable(name: string): RuntimeValue;
}

export interface Interpreter {
  readonly global: Environment;
  run(program: Statement): RuntimeValue;
  evaluate(statement: Statement | undefined, environment: Environment): RuntimeValue;
}

export const Environment = jinja.Environment as unknown as new (parent?: Environment) => Environment;
export const Interpreter = jinja.Interpreter as unknown as new (env?: Environment) => Interpreter;
/** Parses (lexer + parser) a template source; `parsed` is the program. */
export const Template = jinja.Template as unknown as new (source: string) => { readonly parsed: Statement };

export type NativeFunction = (args: RuntimeValue[], scope: Environment) => RuntimeValue;

type Ctor<T> = new (value: T) => RuntimeValue;

const scratch = new Environment();

/** Convert a plain JS value (JSON-like, or a function of plain values) into a runtime value. */
export function fromJs(value: unknown): RuntimeValue {
  const runtime = scratch.set('v', value);
  scratch.variables.delete('v');
  return runtime;
}

function ctorOf<T>(sample: unknown): Ctor<T> {
  return (Object.getPrototypeOf(fromJs(sample)) as { constructor: Ctor<T> }).constructor;
}

const StringCtor = ctorOf<string>('');
const IntegerCtor = ctorOf<number>(1);
const FloatCtor = ctorOf<number>(1.5);
const BooleanCtor = ctorOf<boolean>(true);
const ArrayCtor = ctorOf<RuntimeValue[]>([]);
const ObjectCtor = ctorOf<Map<string, RuntimeValue>>({});
const NullCtor = ctorOf<null>(null);
const UndefinedCtor = ctorOf<undefined>(undefined);
const FunctionCtor = ctorOf<NativeFunction>(() => null);

/** TupleValue is not produced from plain JS values; take it from a tuple literal the interpreter evaluates once. */
const TupleCtor = (() => {
  const env = new Environment();
  new Interpreter(env).run(new Template('{% set t = (0, 0) %}').parsed);
  return (Object.getPrototypeOf(env.lookupVariable('t')) as { constructor: Ctor<RuntimeValue[]> }).constructor;
})();

export const str = (value: string): RuntimeValue => new StringCtor(value);
export const int = (value: number): RuntimeValue => new IntegerCtor(value);
export const float = (value: number): RuntimeValue => new FloatCtor(value);
export const bool = (value: boolean): RuntimeValue => new BooleanCtor(value);
export const array = (items: RuntimeValue[]): RuntimeValue => new ArrayCtor(items);
export const tuple = (items: RuntimeValue[]): RuntimeValue => new TupleCtor(items);
export const object = (entries: Map<string, RuntimeValue>): RuntimeValue => new ObjectCtor(entries);
export const none = (): RuntimeValue => new NullCtor(null);
export const undef = (): RuntimeValue => new UndefinedCtor(undefined);
/** A function that receives runtime values as they are (keyword arguments come last, as one `KeywordArgumentsValue`). */
export const func = (impl: NativeFunction): RuntimeValue => new FunctionCtor(impl);

export const isString = (v: RuntimeValue): v is RuntimeValue & { value: string } => v.type === 'StringValue';
export const isInteger = (v: RuntimeValue): v is RuntimeValue & { value: number } => v.type === 'IntegerValue';
export const isFloat = (v: RuntimeValue): v is RuntimeValue & { value: number } => v.type === 'FloatValue';
export const isNumber = (v: RuntimeValue): v is RuntimeValue & { value: number } => isInteger(v) || isFloat(v);
export const isBoolean = (v: RuntimeValue): v is RuntimeValue & { value: boolean } => v.type === 'BooleanValue';
/** Arrays and tuples. */
export const isArray = (v: RuntimeValue): v is RuntimeValue & { value: RuntimeValue[] } => v.type === 'ArrayValue' || v.type === 'TupleValue';
/** Dicts, keyword arguments and namespaces: everything backed by a Map. */
export const isMapping = (v: RuntimeValue): v is RuntimeValue & { value: Map<string, RuntimeValue> } =>
  v.type === 'ObjectValue' || v.type === 'KeywordArgumentsValue' || v.type === 'NamespaceValue';
export const isNone = (v: RuntimeValue): boolean => v.type === 'NullValue';
export const isUndefined = (v: RuntimeValue): boolean => v.type === 'UndefinedValue';
/** Python truthiness, as the library implements it. */
export const truthy = (v: RuntimeValue): boolean => v.__bool__().value;
