// Tool-call grammars under real inference. A random-weights model writes garbage unless the
// grammar holds it to the family's tool-call syntax; so for every family we generate under
// the grammar and check that the family's own parser turns the output into calls of the
// offered tools whose arguments validate against the tools' schemas. Plus measurements of
// how llama.cpp's grammar sampler treats special tokens.

import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSyntax, type DerivedSyntax } from '../../src/chat/derived/index.js';
import { createOutputParser } from '../../src/chat/parsers/index.js';
import type { FamilyId } from '../../src/chat/parsers/types.js';
import { jsonStringExcluding } from '../../src/chat/tool-grammar/gbnf.js';
import { buildToolCallGrammar, type MistralSyntax, textExcluding, type ToolCallGrammar } from '../../src/chat/tool-grammar/index.js';
import type { ToolDefinition } from '../../src/chat/types.js';
import { singleCache } from '../../src/engine/caches.js';
import { LlamaEngine } from '../../src/engine/llama-engine.js';
import type { CompletionUsage } from '../../src/engine/types.js';
import { silentLogger } from '../../src/log.js';
import { ChatTemplate } from '../../src/chat/template.js';
import { templatePath, vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeContextScriptedModel, makeRandomModel, makeScriptedModel } from '../fixtures/models.js';

const TOOLS: ToolDefinition[] = [
  {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'] },
  },
  {
    name: 'add_hours',
    parameters: {
      type: 'object',
      properties: { hours: { type: 'integer' }, unit: { type: 'string', enum: ['h', 'min'] } },
      required: ['hours', 'unit'],
      additionalProperties: false,
    },
  },
];

const ajv = new Ajv({ strict: false });
const validators = new Map(TOOLS.map((tool) => [tool.name, ajv.compile(tool.parameters)]));

async function generate(engine: LlamaEngine, grammar: string | undefined, seed: number, maxTokens: number) {
  let text = '';
  let usage: CompletionUsage | undefined;
  let stop = '';
  for await (const event of engine.complete({
    id: `t${seed}`,
    prompt: 'Call a tool.\n',
    maxTokens,
    sampling: { temperature: 1, seed },
    ...(grammar !== undefined ? { constraint: { type: 'gbnf', grammar } } : {}),
  })) {
    if (event.type === 'text') text += event.text;
    else if (event.type === 'done') {
      usage = event.usage;
      stop = event.stop;
    }
  }
  return { text, usage: usage!, stop };
}

function parse(family: FamilyId, text: string, derived?: DerivedSyntax) {
  const warnings: string[] = [];
  let next = 0;
  const parser = createOutputParser(family, {
    reasoningFormat: 'auto',
    toolsEnabled: true,
    prompt: 'Call a tool.\n',
    newToolCallId: () => `call_${next++}`,
    warn: (message) => warnings.push(message),
    tools: TOOLS,
    ...(derived ? { derived } : {}),
  });
  const events = [...parser.push(text), ...parser.finish()];
  const calls: { name: string; args: string }[] = [];
  let content = '';
  for (const event of events) {
    if (event.type === 'tool_call_start') calls[event.index] = { name: event.name, args: '' };
    else if (event.type === 'tool_call_arguments') calls[event.index]!.args += event.json;
    else if (event.type === 'text') content += event.text;
  }
  return { calls, content, warnings };
}

const rootOf = (grammar: ToolCallGrammar): string => `root ::= ${grammar.calls}\n${grammar.rules}`;

/**
 * `parallelSeed` (default 5): the seed of the parallel-calls case. Some seeds make the random
 * model write three bytes inside a string that are not valid UTF-8 yet pass the grammar as one
 * character outside the excluded code points (gbnf.ts INVALID_CODE_POINTS), while the text
 * holds three U+FFFD, so a `maxLength` breaks; a real model does not write such bytes.
 */
/** The derived parser's syntax for a real template (family `derived`): its grammar must make calls its parser reads. */
function derivedCase(template: string): { family: 'derived'; template: string; derived: DerivedSyntax } {
  const result = deriveSyntax(new ChatTemplate(readFileSync(templatePath(template), 'utf8'), {}));
  if ('error' in result) throw new Error(`${template}: ${result.error}`);
  return { family: 'derived', template, derived: result.syntax };
}

const CASES: { family: FamilyId; mistralSyntax?: MistralSyntax; parallelSeed?: number; template?: string; derived?: DerivedSyntax }[] = [
  { family: 'generic' },
  { family: 'hermes' },
  { family: 'qwen3-coder' },
  { family: 'glm45' },
  { family: 'minimax-m2' },
  { family: 'seed-oss' },
  { family: 'granite' },
  { family: 'nemotron-v2' },
  { family: 'apertus' },
  { family: 'gemma4' },
  { family: 'command-r7b' },
  { family: 'command-r-plus' },
  // Seed 5 writes invalid UTF-8 into a city name (see parallelSeed).
  { family: 'apriel', parallelSeed: 6 },
  { family: 'minimax-m1' },
  { family: 'solar-open' },
  { family: 'functionary-v3.1' },
  { family: 'lfm2' },
  { family: 'firefunction-v2' },
  { family: 'minicpm5' },
  { family: 'functionary-v3.2' },
  { family: 'deepseek-v3.2' },
  { family: 'deepseek-v4' },
  { family: 'gigachat3' },
  { family: 'gigachat3.1' },
  { family: 'hy3' },
  { family: 'muse-glimmer' },
  { family: 'minimax-m3' },
  { family: 'kimi-k3' },
  { family: 'kimi-k2' },
  { family: 'llama3' },
  { family: 'mistral', mistralSyntax: 'args' },
  { family: 'mistral', mistralSyntax: 'array' },
  { family: 'deepseek-r1' },
  { family: 'deepseek-v3.1' },
  { family: 'gpt-oss' },
  // One template per shape of derived markup: tagged arguments, a section, Kimi's call counter,
  // Mistral's id and no closing marker, a JSON array, bare JSON at the start, DeepSeek V3.2's value types.
  ...[
    'Qwen3-Coder',
    'MiniMax-M2',
    'Kimi-K2-Instruct',
    'Mistral-Small-3.2-24B-Instruct-2506',
    'NVIDIA-Nemotron-Nano-v2',
    'meta-llama-Llama-3.1-8B-Instruct',
    'deepseek-ai-DeepSeek-V3.2',
  ].map(derivedCase),
];

describe('tool-call grammars on a random-weights model', () => {
  let engine: LlamaEngine;

  beforeAll(async () => {
    const model = await makeRandomModel();
    engine = await LlamaEngine.load({ modelPath: model.path, caches: [singleCache(1, 1024, 4)], threads: 1, logger: silentLogger });
  });
  afterAll(async () => {
    await engine?.close();
  });

  async function grammarFor(family: FamilyId, options: { only?: string; parallel: boolean; mistralSyntax?: MistralSyntax; derived?: DerivedSyntax }) {
    const grammar = await buildToolCallGrammar({
      family,
      tools: TOOLS,
      ...options,
      jsonSchemaGrammar: (schema) => engine.jsonSchemaGrammar(schema),
    });
    expect(grammar).toBeDefined();
    expect(grammar!.unconstrained).toEqual([]);
    return grammar!;
  }

  function expectValidCalls(family: FamilyId, text: string, expected: { count?: number; name?: string }, derived?: DerivedSyntax) {
    const { calls, content, warnings } = parse(family, text, derived);
    const context = `${family} output: ${JSON.stringify(text)}`;
    expect(warnings, context).toEqual([]);
    expect(content.trim(), context).toBe('');
    if (expected.count !== undefined) expect(calls, context).toHaveLength(expected.count);
    expect(calls.length, context).toBeGreaterThanOrEqual(1);
    for (const call of calls) {
      if (expected.name) expect(call.name, context).toBe(expected.name);
      const validate = validators.get(call.name);
      expect(validate, context).toBeDefined();
      const args: unknown = JSON.parse(call.args);
      expect(validate!(args), `${context}: ${JSON.stringify(validate!.errors)}`).toBe(true);
    }
  }

  it('grammars with unbounded strings and free text load in llama.cpp (every family)', async () => {
    // A random model rambles inside an unbounded string, so only the start is checked here;
    // the exclusion rules themselves are checked on scripted models below.
    const note: ToolDefinition = { name: 'note', parameters: { type: 'object', properties: { text: { type: 'string' }, any: {} }, required: ['text'] } };
    for (const { family, mistralSyntax, derived } of CASES) {
      const grammar = await buildToolCallGrammar({
        family,
        tools: [note],
        parallel: true,
        jsonSchemaGrammar: (schema) => engine.jsonSchemaGrammar(schema),
        ...(mistralSyntax ? { mistralSyntax } : {}),
        ...(derived ? { derived } : {}),
      });
      expect(grammar!.unconstrained).toEqual([]);
      const { text } = await generate(engine, rootOf(grammar!), 1, 40);
      expect(
        grammar!.triggers.some((trigger) => text.startsWith(trigger.text)),
        `${family}: ${text}`,
      ).toBe(true);
    }
  });

  it('writes garbage without a grammar (control)', async () => {
    const { text } = await generate(engine, undefined, 1, 60);
    expect(parse('hermes', text).calls).toHaveLength(0);
  });

  describe.each(CASES)('$family $mistralSyntax $template', ({ family, mistralSyntax, parallelSeed = 5, derived }) => {
    const extra = { ...(mistralSyntax ? { mistralSyntax } : {}), ...(derived ? { derived } : {}) };
    it('exactly one valid call (parallel off), several seeds', async () => {
      const grammar = await grammarFor(family, { parallel: false, ...extra });
      for (const seed of [1, 2, 3]) {
        const { text, stop } = await generate(engine, rootOf(grammar), seed, 400);
        expect(stop, text).toBe('end');
        expectValidCalls(family, text, { count: 1 }, derived);
        // The output starts with (one of) the trigger texts, as the lazy grammar expects.
        expect(
          grammar.triggers.some((trigger) => text.startsWith(trigger.text)),
          text,
        ).toBe(true);
      }
    });

    it('a named tool', async () => {
      const grammar = await grammarFor(family, { parallel: false, only: 'add_hours', ...extra });
      const { text } = await generate(engine, rootOf(grammar), 4, 400);
      expectValidCalls(family, text, { count: 1, name: 'add_hours' }, derived);
    });

    it('parallel calls: every call valid', async () => {
      const grammar = await grammarFor(family, { parallel: true, ...extra });
      const { text, stop } = await generate(engine, rootOf(grammar), parallelSeed, 600);
      // A random model may keep calling until max_tokens; the last call is then cut off.
      if (stop === 'end') expectValidCalls(family, text, {}, derived);
      else expect(parse(family, text, derived).calls.length, `${stop} ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(1);
    });
  });
});

const PROMPT = 'Call a tool:';

describe('special tokens under a grammar (scripted model, real qwen2 vocabulary)', () => {
  let engine: LlamaEngine;

  beforeAll(async () => {
    // This qwen2 vocabulary has no `<tool_call>` token; `<|im_start|>` is a control token like
    // Qwen2.5's `<tool_call>`, `<|python_tag|>` or Kimi's `<|tool_call_begin|>`. Greedy decoding
    // emits it (one token), then `<|im_end|>` (end of generation).
    const model = await makeScriptedModel({ vocab: { gguf: vocabPath('qwen2') }, script: '<|im_start|>', startAfter: PROMPT, spelling: 'canonical' });
    engine = await LlamaEngine.load({ modelPath: model.path, caches: [singleCache(1, 256, 4)], threads: 1, logger: silentLogger });
  });
  afterAll(async () => {
    await engine?.close();
  });

  const run = async (grammar: string | undefined) => {
    let text = '';
    let usage: CompletionUsage | undefined;
    for await (const event of engine.complete({
      id: 's',
      prompt: PROMPT,
      maxTokens: 24,
      sampling: { temperature: 0 },
      ...(grammar !== undefined ? { constraint: { type: 'gbnf', grammar } } : {}),
    })) {
      if (event.type === 'text') text += event.text;
      else if (event.type === 'done') usage = event.usage;
    }
    return { text, tokens: usage!.completionTokens };
  };

  it('a string literal accepts the special token that spells it', async () => {
    expect(await run(undefined)).toEqual({ text: '<|im_start|>', tokens: 1 });
    // Had the grammar rejected the special token, the text would take several tokens.
    expect(await run('root ::= "<|im_start|>"')).toEqual({ text: '<|im_start|>', tokens: 1 });
    // And the grammar is really applied: a literal the model does not want is forced.
    expect((await run('root ::= "<|im_start|>x"')).text).toBe('<|im_start|>x');
  });

  it('an end-of-generation token never matches a literal: the grammar forces its text in pieces', async () => {
    const { text, tokens } = await run('root ::= "<|im_start|>" "<|im_end|>"');
    expect(text).toBe('<|im_start|><|im_end|>');
    expect(tokens).toBeGreaterThan(2);
  });
});

describe('free text that excludes closing markup, under llama.cpp (context-scripted byte-vocab models)', () => {
  // The raw-text rule of the XML families: no `</parameter>` and no `</tool_call>`.
  const grammar = `root ::= text\n${textExcluding('text', ['</parameter>', '</tool_call>'])}`;
  const engines: LlamaEngine[] = [];
  afterAll(async () => {
    for (const engine of engines) await engine.close();
  });

  async function outputs(script: string, constrainedBy = grammar): Promise<{ free: string; constrained: string }> {
    const model = await makeContextScriptedModel({ script, memory: 3 });
    const engine = await LlamaEngine.load({ modelPath: model.path, caches: [singleCache(1, 256, 4)], threads: 1, logger: silentLogger });
    engines.push(engine);
    const run = async (constraint: string | undefined) => {
      let text = '';
      for await (const event of engine.complete({
        id: 'x',
        prompt: '<|im_start|>assistant\n',
        maxTokens: 30,
        sampling: { temperature: 0 },
        ...(constraint ? { constraint: { type: 'gbnf', grammar: constraint } } : {}),
      })) {
        if (event.type === 'text') text += event.text;
      }
      return text;
    };
    return { free: await run(undefined), constrained: await run(constrainedBy) };
  }

  it('admits text with near misses of the markup', async () => {
    const script = 'a</tool_cal</parameter';
    expect(await outputs(script)).toEqual({ free: script, constrained: script });
  });

  it('never admits the markup itself (here even as one special token)', async () => {
    const script = 'ab</tool_call>cd';
    const { free, constrained } = await outputs(script);
    expect(free).toBe(script);
    expect(constrained.startsWith('ab')).toBe(true);
    expect(constrained).not.toContain('</tool_call>');
  });

  it('JSON string characters without the markup (the rule unbounded JSON strings use)', async () => {
    const json = `root ::= text\n${jsonStringExcluding('text', ['</tool_call>'])}`;
    const { free, constrained } = await outputs('x</tool_call>y', json);
    expect(free).toBe('x</tool_call>y');
    expect(constrained.startsWith('x')).toBe(true);
    expect(constrained).not.toContain('</tool_call>');
  });
});

// Optional properties: node-llama-cpp's converter makes every property required, so the
// grammar builds objects itself (src/chat/tool-grammar/json-value.ts).
const BASH: ToolDefinition = {
  name: 'Bash',
  parameters: {
    type: 'object',
    properties: {
      command: { type: 'string', maxLength: 16 },
      description: { type: 'string', maxLength: 16 },
      timeout: { type: 'number' },
      run_in_background: { type: 'boolean' },
    },
    required: ['command'],
    additionalProperties: false,
  },
};
const OPTIONAL_WEATHER: ToolDefinition = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

describe('optional properties under the grammar (scripted models, real qwen2 vocabulary)', () => {
  const engines: LlamaEngine[] = [];
  afterAll(async () => {
    for (const engine of engines) await engine.close();
  });

  /** The scripted model's output under the hermes grammar of `tools`, with and without it. */
  async function underGrammar(script: string, tools: ToolDefinition[]): Promise<{ free: string; constrained: string }> {
    const model = await makeScriptedModel({ vocab: { gguf: vocabPath('qwen2') }, script, memory: 4 });
    const engine = await LlamaEngine.load({ modelPath: model.path, caches: [singleCache(1, 512, 4)], threads: 1, logger: silentLogger });
    engines.push(engine);
    const grammar = await buildToolCallGrammar({ family: 'hermes', tools, parallel: false, jsonSchemaGrammar: (schema) => engine.jsonSchemaGrammar(schema) });
    expect(grammar!.unconstrained).toEqual([]);
    expect(grammar!.approximated).toEqual([]);
    const run = async (constraint: string | undefined) => {
      let text = '';
      for await (const event of engine.complete({
        id: 'o',
        prompt: '<|im_start|>assistant\n',
        maxTokens: 80,
        sampling: { temperature: 0 },
        ...(constraint ? { constraint: { type: 'gbnf', grammar: constraint } } : {}),
      })) {
        if (event.type === 'text') text += event.text;
      }
      return text;
    };
    return { free: await run(undefined), constrained: await run(rootOf(grammar!)) };
  }

  it('a schema with only optional properties admits `{}`', async () => {
    const script = '<tool_call>\n{"name": "get_weather", "arguments": {}}\n</tool_call>';
    expect(await underGrammar(script, [OPTIONAL_WEATHER])).toEqual({ free: script, constrained: script });
  });

  it('a subset of optional keys passes unchanged, compact or pretty-printed', async () => {
    const compact = '<tool_call>\n{"name": "Bash", "arguments": {"command": "ls -la", "timeout": 5}}\n</tool_call>';
    expect(await underGrammar(compact, [BASH])).toEqual({ free: compact, constrained: compact });
    const pretty = '<tool_call>\n{"name": "Bash", "arguments": {\n  "command": "ls",\n  "run_in_background": true\n}}\n</tool_call>';
    expect(await underGrammar(pretty, [BASH])).toEqual({ free: pretty, constrained: pretty });
  });
});

describe('optional properties on a random-weights model', () => {
  let engine: LlamaEngine;
  beforeAll(async () => {
    const model = await makeRandomModel();
    engine = await LlamaEngine.load({ modelPath: model.path, caches: [singleCache(1, 1024, 4)], threads: 1, logger: silentLogger });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('Claude-Code-like Bash calls validate, and optional keys are not always all there', async () => {
    const validate = ajv.compile(BASH.parameters);
    for (const family of ['hermes', 'qwen3-coder'] as const) {
      const grammar = await buildToolCallGrammar({ family, tools: [BASH], parallel: false, jsonSchemaGrammar: (schema) => engine.jsonSchemaGrammar(schema) });
      expect(grammar!.unconstrained).toEqual([]);
      const keySets: string[][] = [];
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const { text, stop } = await generate(engine, rootOf(grammar!), seed, 400);
        expect(stop, text).toBe('end');
        const warnings: string[] = [];
        const parser = createOutputParser(family, {
          reasoningFormat: 'auto',
          toolsEnabled: true,
          prompt: '',
          newToolCallId: () => 'c',
          warn: (m) => warnings.push(m),
          tools: [BASH],
        });
        let args = '';
        for (const event of [...parser.push(text), ...parser.finish()]) if (event.type === 'tool_call_arguments') args += event.json;
        expect(warnings, text).toEqual([]);
        const parsed = JSON.parse(args) as Record<string, unknown>;
        expect(validate(parsed), `${family} ${text}: ${JSON.stringify(validate.errors)}`).toBe(true);
        keySets.push(Object.keys(parsed));
      }
      expect(
        keySets.some((keys) => keys.length < 4),
        `${family}: ${JSON.stringify(keySets)}`,
      ).toBe(true);
    }
  });
});
