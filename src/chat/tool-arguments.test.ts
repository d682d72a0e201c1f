import { describe, expect, it } from 'vitest';
import { ToolArgumentChecker } from './tool-arguments.js';

const tools = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];

function call(checker: ToolArgumentChecker, name: string, json: string) {
  checker.observe({ type: 'tool_call_start', index: 0, id: 'call_1', name });
  checker.observe({ type: 'tool_call_arguments', index: 0, json: json.slice(0, 3) });
  checker.observe({ type: 'tool_call_arguments', index: 0, json: json.slice(3) });
  return checker.observe({ type: 'tool_call_end', index: 0 });
}

describe('ToolArgumentChecker', () => {
  it('accepts arguments that match the schema', () => {
    expect(call(new ToolArgumentChecker(tools), 'get_weather', '{"city":"Paris"}')).toBeUndefined();
  });

  it('reports arguments that miss a required field', () => {
    expect(call(new ToolArgumentChecker(tools), 'get_weather', '{}')?.problem).toMatch(/city/);
  });

  it("checks tools whose schema declares draft 2020-12, as Claude Code's do", () => {
    const bash = [
      { name: 'Bash', parameters: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
    ];
    expect(call(new ToolArgumentChecker(bash), 'Bash', '{"command":"ls"}')).toBeUndefined();
    expect(call(new ToolArgumentChecker(bash), 'Bash', '{"cmd":"ls"}')?.problem).toMatch(/required property 'command'/);
  });

  it('reports a tool that was not offered', () => {
    expect(call(new ToolArgumentChecker(tools), 'launch_rocket', '{}')?.problem).toMatch(/not among the offered tools/);
  });
});
