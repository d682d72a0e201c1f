// Tool-call grammars: GBNF that admits one or more complete tool calls in a model family's
// native syntax, each call's arguments constrained to its tool's JSON schema. This is
// llama.cpp's "lazy grammar" (common/chat.cpp): generation runs free until a trigger text
// appears, then the grammar takes over from the trigger on; with `tool_choice` required or
// a named tool the grammar applies from the first token.
//
// Whatever the grammar admits is exactly what the family's parser (src/chat/parsers/) turns
// into tool calls: the markup below follows those parsers, and test/engine/tool-grammar.test.ts
// generates under each grammar and parses the result.

import type { DerivedSyntax } from '../derived/syntax.js';
import type { FamilyId } from '../parsers/types.js';
import type { ToolDefinition } from '../types.js';
import { type ArgumentsGrammar, type JsonSchemaGrammar, jsonArguments, xmlArguments } from './arguments.js';
import { familySyntax, type MistralSyntax, type Trigger } from './families.js';
import { gemma4Arguments } from './gemma4.js';
import { pythonArguments } from './pythonic.js';

export { mistralSyntaxOf, type MistralSyntax, type Trigger } from './families.js';
export { charClass, jsonStringExcluding, literal, renameRules, textExcluding } from './gbnf.js';

export interface ToolCallGrammar {
  /** GBNF rules (no `root` rule; every name starts with `tc-`). */
  rules: string;
  /** The rule matching one or more complete calls (exactly one without `parallel`), each with its opening markup. */
  calls: string;
  /**
   * Texts whose appearance in free output means a call has started (llama.cpp's grammar
   * triggers). `atStart`: only at the very start of the output (after whitespace), e.g.
   * Llama 3's bare `{"name"`. The `calls` rule begins by producing one of these texts.
   */
  triggers: Trigger[];
  /**
   * Tools whose schema the grammar cannot (fully) enforce, for the caller to log: their
   * arguments are any JSON object; in the XML families any parameters, or raw text for a
   * parameter whose schema the raw-text rules cannot express (e.g. a string `format`).
   */
  unconstrained: string[];
  /**
   * Tools whose grammar is stricter than their schema, for the caller to log: a part of the
   * schema node-llama-cpp converts whole (e.g. an object with `minProperties`) gets all its
   * properties required. Calls the grammar admits still validate against the schema.
   */
  approximated: string[];
}

export interface ToolCallGrammarOptions {
  family: FamilyId;
  tools: readonly ToolDefinition[];
  /** A named `tool_choice`: only this tool may be called. */
  only?: string;
  /** False: exactly one call. (gpt-oss makes one call per turn either way.) */
  parallel: boolean;
  /** `Engine.jsonSchemaGrammar`: node-llama-cpp's GBNF for a schema (root rule `root`). */
  jsonSchemaGrammar: JsonSchemaGrammar;
  /** Mistral only: the template's call syntax (`mistralSyntaxOf(template)`); default 'args'. */
  mistralSyntax?: MistralSyntax;
  /** Family `derived`: the markup inferred from the template. */
  derived?: DerivedSyntax;
}

/** The grammar of the family's tool calls, or undefined when no tool can be called. */
export async function buildToolCallGrammar(options: ToolCallGrammarOptions): Promise<ToolCallGrammar | undefined> {
  const tools = options.only === undefined ? options.tools : options.tools.filter((tool) => tool.name === options.only);
  if (tools.length === 0) return undefined;
  // A derived syntax may have found reasoning but no tool-call markup: then nothing to constrain.
  if (options.family === 'derived' && !options.derived?.tools) return undefined;
  const syntax = familySyntax(options.family, options.mistralSyntax ?? 'args', options.derived);
  const rules: string[] = [];
  const alternatives: string[] = [];
  const unconstrained: string[] = [];
  const approximated: string[] = [];
  // One conversion per distinct schema (tools share `{type: string}` and the like).
  const converted = new Map<string, Promise<string>>();
  const jsonSchemaGrammar: JsonSchemaGrammar = (schema) => {
    const key = JSON.stringify(schema);
    if (!converted.has(key)) converted.set(key, options.jsonSchemaGrammar(schema));
    return converted.get(key)!;
  };
  for (const [index, tool] of tools.entries()) {
    const prefix = `tc-t${index}-`;
    let args: ArgumentsGrammar;
    if (syntax.args.kind === 'json') {
      args = await jsonArguments(tool, `${prefix}j-`, jsonSchemaGrammar, syntax.args.excluded);
    } else if (syntax.args.kind === 'gemma4') {
      args = gemma4Arguments(tool, `${prefix}g-`);
    } else if (syntax.args.kind === 'python') {
      args = await pythonArguments(tool, prefix, jsonSchemaGrammar, syntax.args.excluded);
    } else {
      args = await xmlArguments(tool, prefix, syntax.args.syntax, jsonSchemaGrammar);
    }
    if (args.unconstrained) unconstrained.push(tool.name);
    else if (args.approximations.length > 0) approximated.push(tool.name);
    rules.push(args.rules);
    const call = `${prefix}call`;
    rules.push(`${call} ::= ${syntax.call(tool.name, args.rule)}`);
    alternatives.push(call);
  }
  rules.unshift(`tc-call ::= ${alternatives.join(' | ')}`, `tc-calls ::= ${syntax.calls('tc-call', options.parallel)}`);
  return {
    rules: rules.join('\n') + '\n',
    calls: 'tc-calls',
    triggers: syntax.triggers(tools.map((tool) => tool.name)),
    unconstrained,
    approximated,
  };
}
