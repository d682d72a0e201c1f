// The AST node shapes of @huggingface/jinja that the interpreter reads (the library does not
// export its node classes), and the "precomputed" node: an operand we already evaluated, handed
// back to the library so nothing is evaluated twice (a call such as `ids.pop(0)` has effects).

import type { RuntimeValue } from './jinja.js';

export interface Node {
  type: string;
}
export interface IdentifierNode extends Node {
  value: string;
}
export interface MemberNode extends Node {
  object: Node;
  property: Node;
  computed: boolean;
}
export interface CallNode extends Node {
  callee: Node;
  args: Node[];
}
export interface FilterNode extends Node {
  operand: Node;
  filter: Node;
}
export interface TestNode extends Node {
  operand: Node;
  negate: boolean;
  test: IdentifierNode;
}
export interface KeywordArgumentNode extends Node {
  key: IdentifierNode;
  value: Node;
}
export interface BinaryNode extends Node {
  operator: { value: string };
  left: Node;
  right: Node;
}
export interface ForNode extends Node {
  loopvar: Node;
  iterable: Node;
  body: Node[];
  defaultBlock: Node[];
}
export interface ObjectLiteralNode extends Node {
  value: Map<Node, Node>;
}
export interface SelectNode extends Node {
  lhs: Node;
  test: Node;
}

export const PRECOMPUTED = 'LlamaBridgePrecomputed';
export interface PrecomputedNode extends Node {
  value: RuntimeValue;
}
export const precomputed = (value: RuntimeValue): Node => ({ type: PRECOMPUTED, value }) as PrecomputedNode;
