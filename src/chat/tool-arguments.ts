// Checks each parsed tool call against the tool the client offered: an unknown tool name,
// or arguments that do not match the tool's JSON schema, is logged (the call is still
// passed on unchanged — the client owns the tool and decides; we never rewrite arguments).

import type { ValidateFunction } from 'ajv';
import { ajvFor, oversizedEnum, withKnownDialect } from './json-schema.js';
import type { ParsedEvent } from './output-parser.js';
import type { ToolDefinition } from './types.js';

/**
 * Compiled validators by schema text, shared across requests: agents send the same tools every
 * turn, and ajv keeps every schema object it compiles, so compiling per request would grow
 * without bound. Oldest dropped first past the cap.
 */
const compiled = new Map<string, ValidateFunction | undefined>();
const COMPILED_CAP = 512;

function validatorFor(parameters: Record<string, unknown>): ValidateFunction | undefined {
  const key = JSON.stringify(parameters);
  if (compiled.has(key)) return compiled.get(key);
  let validate: ValidateFunction | undefined;
  try {
    const schema = withKnownDialect(parameters);
    // ajv's check of a very long enum is quadratic (seconds at 10 000s of values): not checked.
    validate = oversizedEnum(schema) ? undefined : ajvFor(schema).compile(schema);
  } catch {
    validate = undefined; // a schema ajv cannot compile: nothing to check against
  }
  if (compiled.size >= COMPILED_CAP) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, validate);
  return validate;
}

export type ToolCallProblem = { name: string; problem: string };

export class ToolArgumentChecker {
  private readonly validators = new Map<string, ValidateFunction | undefined>();
  private readonly open = new Map<number, { name: string; json: string }>();

  constructor(private readonly tools: readonly ToolDefinition[]) {}

  /** Watch one parsed event; returns a problem when a call that just ended does not fit its tool. */
  observe(event: ParsedEvent): ToolCallProblem | undefined {
    if (event.type === 'tool_call_start') this.open.set(event.index, { name: event.name, json: '' });
    else if (event.type === 'tool_call_arguments') {
      const call = this.open.get(event.index);
      if (call) call.json += event.json;
    } else if (event.type === 'tool_call_end') {
      const call = this.open.get(event.index);
      this.open.delete(event.index);
      if (call) return this.check(call.name, call.json);
    }
    return undefined;
  }

  private check(name: string, json: string): ToolCallProblem | undefined {
    const tool = this.tools.find((candidate) => candidate.name === name);
    if (!tool) return { name, problem: `the model called "${name}", which is not among the offered tools` };
    const validate = this.validator(tool);
    if (!validate) return undefined;
    let args: unknown;
    try {
      args = JSON.parse(json);
    } catch {
      return { name, problem: 'arguments are not valid JSON' };
    }
    if (validate(args)) return undefined;
    const error = validate.errors?.[0];
    return { name, problem: `arguments do not match the tool's schema: ${error?.instancePath || '(root)'} ${error?.message ?? ''}`.trim() };
  }

  private validator(tool: ToolDefinition): ValidateFunction | undefined {
    if (!this.validators.has(tool.name)) this.validators.set(tool.name, validatorFor(tool.parameters));
    return this.validators.get(tool.name);
  }
}
