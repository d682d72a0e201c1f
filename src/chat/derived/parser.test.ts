import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { llamaCppSource } from '../../../test/fixtures/llama-cpp-source.js';
import { parseAllSplits } from '../parsers/parser-test-helper.js';
import type { ParserOptions } from '../parsers/types.js';
import { ChatTemplate } from '../template.js';
import { diffRegion } from './infer.js';
import { deriveSyntax } from './index.js';
import { createDerivedParser, markupPattern } from './parser.js';
import { PROBE, PROBE_ARGUMENTS, PROBE_TOOLS, renderProbes } from './probe.js';
import type { DerivedSyntax } from './syntax.js';

const templates = join(llamaCppSource(), 'models', 'templates');
const load = (name: string): ChatTemplate => new ChatTemplate(readFileSync(join(templates, `${name}.jinja`), 'utf8'), {});

function syntaxOf(template: ChatTemplate): DerivedSyntax | undefined {
  const result = deriveSyntax(template);
  return 'error' in result ? undefined : result.syntax;
}

const factory = (syntax: DerivedSyntax) => (options: ParserOptions) => createDerivedParser(syntax, { ...options, tools: PROBE_TOOLS });

describe('markupPattern', () => {
  it('matches the parts with any whitespace around and between them; counted digits as any number', () => {
    expect(new RegExp(`^${markupPattern('</arg_key>\n<arg_value>')}$`).test('</arg_key><arg_value>')).toBe(true);
    expect(new RegExp(`^${markupPattern(':0<|x|>', true)}$`).test(':12<|x|>')).toBe(true);
    expect(new RegExp(`^${markupPattern(':0<|x|>')}$`).test(':12<|x|>')).toBe(false);
  });
});

// Every llama.cpp template whose tool-call markup is inferred: its own rendering of the probe
// calls parses back into those calls, however the text is split.
describe('every template parses its own rendering of a call', () => {
  const names = readdirSync(templates)
    .filter((file) => file.endsWith('.jinja'))
    .map((file) => file.slice(0, -'.jinja'.length));
  const cases = names.flatMap((name) => {
    let template: ChatTemplate;
    try {
      template = load(name);
    } catch {
      return [];
    }
    const syntax = syntaxOf(template);
    if (!syntax?.tools) return [];
    return [[name, template, syntax] as const];
  });

  it('infers tool-call markup for most of them', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map(([name, template, syntax]) => [name, template, syntax] as const))('%s', (_name, template, syntax) => {
    const probes = renderProbes(template);
    const want = { name: PROBE.tool, arguments: JSON.stringify(PROBE_ARGUMENTS) };
    const one = parseAllSplits(factory(syntax), diffRegion(probes.content!, probes.oneCall!));
    expect(one.calls).toEqual([want]);
    if (probes.twoCalls?.includes(PROBE.otherTool)) {
      const two = parseAllSplits(factory(syntax), diffRegion(probes.content!, probes.twoCalls));
      expect(two.calls).toEqual([want, { ...want, name: PROBE.otherTool }]);
    }
  });
});

describe('derived parser on Qwen3-Coder markup', () => {
  const syntax = syntaxOf(load('Qwen3-Coder'))!;
  const call =
    '<tool_call>\n<function=probe_tool_name>\n<parameter=probe_string_arg>\nline 1\nline 2\n</parameter>\n<parameter=probe_number_arg>\n7\n</parameter>\n</function>\n</tool_call>';

  it('text, then a call: values typed by the tool schema, the newlines around them dropped', () => {
    const r = parseAllSplits(factory(syntax), `Let me check.\n${call}`);
    expect(r.content).toBe('Let me check.\n');
    expect(r.calls).toEqual([{ name: 'probe_tool_name', arguments: '{"probe_string_arg":"line 1\\nline 2","probe_number_arg":7}' }]);
  });

  it('a call cut off after its last value still counts; one cut inside a value is text', () => {
    expect(parseAllSplits(factory(syntax), call.slice(0, call.indexOf('</function>'))).calls).toHaveLength(1);
    const cut = call.slice(0, call.indexOf('line 2'));
    const r = parseAllSplits(factory(syntax), cut);
    expect(r.calls).toEqual([]);
    expect(r.content).toBe(cut);
  });

  it('without tools the markup is text', () => {
    expect(parseAllSplits(factory(syntax), call, { toolsEnabled: false }).content).toBe(call);
  });
});

describe('derived parser on reasoning', () => {
  it('Qwen3: <think> block, then content', () => {
    const syntax = syntaxOf(load('Qwen-Qwen3-0.6B'))!;
    expect(parseAllSplits(factory(syntax), '<think>\nhm\n</think>\n\nHi').parts).toEqual([{ reasoning: 'hm\n' }, { text: 'Hi' }]);
  });

  it('Nemotron Nano v2: thinking forced open by the generation prompt, then a JSON list of calls', () => {
    const syntax = syntaxOf(load('NVIDIA-Nemotron-Nano-v2'))!;
    const r = parseAllSplits(factory(syntax), 'hm</think>\n<TOOLCALL>[{"name": "a", "arguments": {"x": 1}}, {"name": "b", "arguments": {}}]</TOOLCALL>', {
      prompt: '<SPECIAL_11>Assistant\n<think>\n',
    });
    expect(r.reasoning).toBe('hm');
    expect(r.calls).toEqual([
      { name: 'a', arguments: '{"x":1}' },
      { name: 'b', arguments: '{}' },
    ]);
  });

  it('a template with reasoning but no tool calls (DeepSeek-R1-Distill-Llama): thinking only', () => {
    const syntax = syntaxOf(load('deepseek-ai-DeepSeek-R1-Distill-Llama-8B'))!;
    expect(syntax.tools).toBeUndefined();
    const r = parseAllSplits(factory(syntax), 'hm\n</think>\n\nHi <tool_call>', { prompt: '<｜Assistant｜><think>\n' });
    expect(r.parts).toEqual([{ reasoning: 'hm\n' }, { text: 'Hi <tool_call>' }]);
  });
});

describe('derived parser: calls with no closing marker, calls in a sequence', () => {
  it('Mistral Small 3.2: [TOOL_CALLS]NAME[CALL_ID]id[ARGS]{…}, any id, back to back', () => {
    const syntax = syntaxOf(load('Mistral-Small-3.2-24B-Instruct-2506'))!;
    const r = parseAllSplits(factory(syntax), 'Sure.[TOOL_CALLS]a[CALL_ID]000000001[ARGS]{"x": 1}[TOOL_CALLS]b[CALL_ID]Xy9[ARGS]{}');
    expect(r.content).toBe('Sure.');
    expect(r.calls).toEqual([
      { name: 'a', arguments: '{"x":1}' },
      { name: 'b', arguments: '{}' },
    ]);
  });

  it('Mistral: [TOOL_CALLS] followed by no call is text', () => {
    const syntax = syntaxOf(load('unsloth-mistral-Devstral-Small-2507'))!;
    expect(parseAllSplits(factory(syntax), 'The [TOOL_CALLS] token.').content).toBe('The [TOOL_CALLS] token.');
  });

  it('MiniMax-M1: call objects one per line in <tool_calls>', () => {
    const syntax = syntaxOf(load('MiniMax-M1'))!;
    const r = parseAllSplits(factory(syntax), '<tool_calls>\n{"name": "a", "arguments": {"x": 1}}\n{"name": "b", "arguments": {}}\n</tool_calls>');
    expect(r.calls).toEqual([
      { name: 'a', arguments: '{"x":1}' },
      { name: 'b', arguments: '{}' },
    ]);
  });
});

describe('derived parser: a content wrapper', () => {
  it('Command R7B: reasoning, then the answer without its <|START_RESPONSE|> markers, in every split', () => {
    const syntax = syntaxOf(load('CohereForAI-c4ai-command-r7b-12-2024-tool_use'))!;
    const r = parseAllSplits(factory(syntax), '<|START_THINKING|>hm<|END_THINKING|><|START_RESPONSE|>Hi <|START there<|END_RESPONSE|>');
    expect(r.parts).toEqual([{ reasoning: 'hm' }, { text: 'Hi <|START there' }]);
  });
});

describe('derived parser: JSON calls with no markup (Llama 3.x)', () => {
  const syntax = (): DerivedSyntax => syntaxOf(load('meta-llama-Llama-3.1-8B-Instruct'))!;

  it('a call at the start of the output, then another on the next line', () => {
    const r = parseAllSplits(factory(syntax()), '{"name": "a", "parameters": {"x": 1}}\n{"name": "b", "parameters": {}}');
    expect(r.calls).toEqual([
      { name: 'a', arguments: '{"x":1}' },
      { name: 'b', arguments: '{}' },
    ]);
    expect(r.content).toBe('');
  });

  it('JSON after some text, JSON that is not a call, and text after a call stay text', () => {
    expect(parseAllSplits(factory(syntax()), 'Here: {"name": "a", "parameters": {}}').calls).toEqual([]);
    expect(parseAllSplits(factory(syntax()), '{"city": "Paris"} is JSON').content).toBe('{"city": "Paris"} is JSON');
    const r = parseAllSplits(factory(syntax()), '{"name": "a", "parameters": {}}\nDone.');
    expect(r.calls).toEqual([{ name: 'a', arguments: '{}' }]);
    expect(r.content).toBe('Done.');
  });

  it('without tools it is text', () => {
    expect(parseAllSplits(factory(syntax()), '{"name": "a", "parameters": {}}', { toolsEnabled: false }).content).toBe('{"name": "a", "parameters": {}}');
  });
});
