import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { llamaCppSource } from '../../../test/fixtures/llama-cpp-source.js';
import { ChatTemplate } from '../template.js';
import { commonPrefix, commonSuffix, diffRegion, inferSyntax, tokenize } from './infer.js';
import { deriveSyntax } from './index.js';
import { renderProbes } from './probe.js';
import { CALL_ID_SLOT, NAME_SLOT } from './syntax.js';

const template = (name: string): ChatTemplate => new ChatTemplate(readFileSync(join(llamaCppSource(), 'models', 'templates', `${name}.jinja`), 'utf8'), {});

function derive(name: string) {
  const result = deriveSyntax(template(name));
  if ('error' in result) throw new Error(`${name}: ${result.error}`);
  return result.syntax;
}

const NAME = JSON.stringify(NAME_SLOT);

describe('token diffs', () => {
  it('never cut a marker in two', () => {
    expect(tokenize('<a>x y</a>[B]')).toEqual(['<a>', 'x', ' ', 'y', '</a>', '[B]']);
    // Character-wise the common prefix would be '…</invoke>\n<'.
    expect(commonPrefix('</invoke>\n<invoke name="', '</invoke>\n</minimax:tool_call>')).toBe('</invoke>\n');
    // Character-wise the common suffix would be '>\n<parameter='.
    expect(commonSuffix('>\n<parameter=', '\n</parameter>\n<parameter=')).toBe('\n<parameter=');
    expect(diffRegion('<s>A: hi</s>', '<s>A: <call>x</call></s>')).toBe('<call>x</call>');
  });
});

describe('inferred markup of real templates', () => {
  it('Qwen2.5 (Hermes): JSON in <tool_call>, no thinking', () => {
    const syntax = derive('Qwen-Qwen2.5-7B-Instruct');
    expect(syntax.reasoning).toBeUndefined();
    expect(syntax.tools).toEqual({
      call: { open: '<tool_call>', close: '</tool_call>' },
      separator: '\n',
      body: {
        kind: 'json',
        namePath: ['name'],
        argsPath: ['arguments'],
        array: false,
        sequence: false,
        before: `{"name": ${NAME}, "arguments": `,
        after: '}',
        arraySeparator: ', ',
      },
      callHead: '<tool_call>\n',
      callTail: '\n</tool_call>',
    });
  });

  it('Qwen3 (Hermes): <think> from the reasoning_content rendering', () => {
    expect(derive('Qwen-Qwen3-0.6B').reasoning).toEqual({ open: '<think>', close: '</think>', afterOpen: '\n', afterClose: '\n\n', source: 'reasoning_content' });
  });

  it('Qwen3-Coder: <function=NAME> and <parameter=KEY> values between newlines', () => {
    const tools = derive('Qwen3-Coder').tools!;
    expect(tools.call).toEqual({ open: '<tool_call>', close: '</tool_call>' });
    expect(tools.section).toBeUndefined();
    expect(tools.body).toEqual({
      kind: 'named',
      namePrefix: '\n<function=',
      nameSuffix: '>',
      nameSuffixCounts: false,
      args: { kind: 'tagged', keyOpen: '\n<parameter=', keyClose: '>\n', valueClose: '\n</parameter>' },
      argsClose: '\n</function>\n',
    });
  });

  it('GLM-4.6: name then <arg_key>/<arg_value> pairs, <think>', () => {
    const syntax = derive('GLM-4.6');
    expect(syntax.reasoning).toMatchObject({ open: '<think>', close: '</think>' });
    expect(syntax.tools!.call).toEqual({ open: '<tool_call>', close: '</tool_call>' });
    expect(syntax.tools!.separator).toBe('\n');
    expect(syntax.tools!.body).toMatchObject({
      kind: 'named',
      namePrefix: '',
      nameSuffix: '',
      args: { kind: 'tagged', keyOpen: '\n<arg_key>', keyClose: '</arg_key>\n<arg_value>', valueClose: '</arg_value>' },
    });
  });

  it('MiniMax-M2: a section around <invoke name="…"> calls', () => {
    const tools = derive('MiniMax-M2').tools!;
    expect(tools.section).toEqual({ open: '<minimax:tool_call>', close: '</minimax:tool_call>', afterOpen: '\n', beforeClose: '\n' });
    expect(tools.call).toEqual({ open: '<invoke name="', close: '</invoke>' });
    expect(tools.body).toMatchObject({ nameSuffix: '">', args: { kind: 'tagged', keyOpen: '\n<parameter name="', keyClose: '">', valueClose: '</parameter>' } });
  });

  it('Seed-OSS: <seed:think> and <seed:tool_call>, values without newlines', () => {
    const syntax = derive('ByteDance-Seed-OSS');
    expect(syntax.reasoning).toMatchObject({ open: '<seed:think>', close: '</seed:think>' });
    expect(syntax.tools!.call).toEqual({ open: '<seed:tool_call>', close: '</seed:tool_call>' });
    expect(syntax.tools!.body).toMatchObject({ args: { kind: 'tagged', keyOpen: '\n<parameter=', keyClose: '>', valueClose: '</parameter>' } });
  });

  it('Nemotron Nano v2: a JSON array of calls in <TOOLCALL>, thinking from the generation prompt', () => {
    const syntax = derive('NVIDIA-Nemotron-Nano-v2');
    expect(syntax.reasoning).toMatchObject({ open: '<think>', close: '</think>', source: 'generation prompt' });
    expect(syntax.tools).toMatchObject({
      call: { open: '<TOOLCALL>', close: '</TOOLCALL>' },
      body: { kind: 'json', array: true, arraySeparator: ', ' },
      callHead: '<TOOLCALL>[',
      callTail: ']</TOOLCALL>',
    });
  });

  it('Mistral Nemo: [TOOL_CALLS] then a JSON array with nothing after it', () => {
    expect(derive('mistralai-Mistral-Nemo-Instruct-2407').tools).toMatchObject({ call: { open: '[TOOL_CALLS]', close: '' }, body: { kind: 'json', array: true } });
  });

  it('DeepSeek V3.1: section, name then <｜tool▁sep｜> and JSON arguments; an empty <think></think> block', () => {
    const syntax = derive('deepseek-ai-DeepSeek-V3.1');
    expect(syntax.reasoning).toMatchObject({ open: '<think>', close: '</think>', source: 'empty block' });
    expect(syntax.tools).toMatchObject({
      section: { open: '<｜tool▁calls▁begin｜>', close: '<｜tool▁calls▁end｜>' },
      call: { open: '<｜tool▁call▁begin｜>', close: '<｜tool▁call▁end｜>' },
      body: { kind: 'named', nameSuffix: '<｜tool▁sep｜>', args: { kind: 'json' }, argsClose: '' },
    });
  });

  it('DeepSeek R1: the name after function<｜tool▁sep｜>, JSON in a ```json fence', () => {
    expect(derive('llama-cpp-deepseek-r1').tools!.body).toMatchObject({ namePrefix: 'function<｜tool▁sep｜>', nameSuffix: '\n```json\n', argsClose: '\n```' });
  });

  it('Kimi-K2: functions.NAME:0 — the digits count calls', () => {
    expect(derive('Kimi-K2-Instruct').tools).toMatchObject({
      section: { open: '<|tool_calls_section_begin|>', close: '<|tool_calls_section_end|>' },
      call: { open: '<|tool_call_begin|>', close: '<|tool_call_end|>' },
      body: { namePrefix: 'functions.', nameSuffix: ':0<|tool_call_argument_begin|>', nameSuffixCounts: true },
    });
  });
});

describe('a value type written between key and value', () => {
  it('DeepSeek V3.2: `string="true"` for raw text, `string="false"` for JSON', () => {
    expect(derive('deepseek-ai-DeepSeek-V3.2').tools!.body).toMatchObject({
      args: { kind: 'tagged', keyOpen: '\n<｜DSML｜parameter name="', keyClose: '" string="true">', keyCloseOther: '" string="false">', valueClose: '</｜DSML｜parameter>' },
    });
  });
});

describe('calls with no markup', () => {
  it('Llama 3.x: a JSON object with "parameters", no opening marker: read at the start of the output', () => {
    const result = deriveSyntax(template('meta-llama-Llama-3.1-8B-Instruct'));
    expect(result).toMatchObject({
      syntax: { tools: { call: { open: '', close: '' }, body: { kind: 'json', namePath: ['name'], argsPath: ['parameters'], before: `{"name": ${NAME}, "parameters": ` } } },
      notes: expect.arrayContaining([expect.stringContaining('no opening marker')]),
    });
  });
});

describe('what cannot be inferred', () => {
  it('MiniMax-M1: call objects one after another in <tool_calls>: the section is the call', () => {
    expect(derive('MiniMax-M1').tools).toMatchObject({ call: { open: '<tool_calls>', close: '</tool_calls>' }, body: { kind: 'json', sequence: true, arraySeparator: '\n' } });
  });

  it('Mistral Small 3.2: [TOOL_CALLS]NAME[CALL_ID]id[ARGS]{…}: any id, the JSON ends the call', () => {
    expect(derive('Mistral-Small-3.2-24B-Instruct-2506').tools).toMatchObject({
      call: { open: '[TOOL_CALLS]', close: '' },
      separator: '',
      body: { kind: 'named', nameSuffix: `[CALL_ID]${CALL_ID_SLOT}[ARGS]`, args: { kind: 'json' } },
    });
  });

  it('Command R7B: the answer wrapped in <|START_RESPONSE|>, an empty START/END thinking block before the calls', () => {
    const syntax = derive('CohereForAI-c4ai-command-r7b-12-2024-tool_use');
    expect(syntax.content).toEqual({ open: '<|START_RESPONSE|>', close: '<|END_RESPONSE|>' });
    expect(syntax.reasoning).toMatchObject({ open: '<|START_THINKING|>', close: '<|END_THINKING|>', source: 'empty block' });
    expect(syntax.tools).toMatchObject({ call: { open: '<|START_ACTION|>', close: '<|END_ACTION|>' }, body: { namePath: ['tool_name'], argsPath: ['parameters'], array: true } });
  });

  it('muse-glimmer: <|message|> frames every message, so it is no thinking tag; its channel calls do not read back', () => {
    expect(deriveSyntax(template('muse-glimmer'))).toMatchObject({ error: expect.stringContaining('does not read the template’s own calls back') });
  });

  it('Tencent Hy3 (no hand-written family): namespaced thinking and call tags', () => {
    const syntax = derive('tencent-Hy3');
    expect(syntax.reasoning).toMatchObject({ open: '<think:opensource>', close: '</think:opensource>' });
    expect(syntax.tools).toMatchObject({ section: { open: '<tool_calls:opensource>' }, call: { open: '<tool_call:opensource>', close: '</tool_call:opensource>' } });
  });

  it('a template with no markup at all', () => {
    const plain = new ChatTemplate('{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}', {});
    const result = inferSyntax(renderProbes(plain), plain.source);
    expect(result).toMatchObject({ error: expect.stringContaining('does not render tool calls') });
  });
});
