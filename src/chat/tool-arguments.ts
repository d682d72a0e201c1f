// Checks each parsed tool call against the tool the client offered: an unknown tool name,
// or arguments that do not match the tool's JSON schema, is logged (the call is still
// passed on unchanged — the client owns the tool and decides; we never rewrite arguments).

import { Ajv, type ValidateFunction } from 'ajv';
import type { ParsedEvent } from './output-parser.js';
import type { ToolDefinition } from './types.js';

const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });

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
    if (!this.validators.has(tool.name)) {
      let compiled: ValidateFunction | undefined;
      try {
        compiled = ajv.compile(tool.parameters);
      } catch {
        compiled = undefined; // a schema ajv cannot compile: nothing to check against
      }
      this.validators.set(tool.name, compiled);
    }
    return this.validators.get(tool.name);
  }
}
