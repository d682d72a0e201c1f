// ChatPipeline with the mock engine: the prompt it renders and hands the engine, the output
// constraint it builds (tool-call grammar, response_format), its tool-grammar cache, routing to
// a cache, cancellation by the request's or the server's signal, and the parsed events and
// debug trace that come out. A spy Engine in front of the MockEngine records what the engine
// is asked to do. No model needed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { templatePath } from '../../test/fixtures/llama-cpp-source.js';
import { MockEngine, type MockEngineOptions } from '../engine/mock-engine.js';
import type { CompletionEvent, CompletionRequest, Engine, ModelInfo, OutputConstraint, SlotStatus } from '../engine/types.js';
import { ApiError, ContextOverflowError } from '../errors.js';
import { silentLogger } from '../log.js';
import { Router } from '../routing/router.js';
import type { RoutedCache } from '../routing/types.js';
import type { FamilyId } from './parsers/types.js';
import { ChatPipeline, type ChatPipelineOptions } from './pipeline.js';
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE } from './template.js';
import { buildToolCallGrammar } from './tool-grammar/index.js';
import type { ChatRequest, GenerationEvent, GenerationTrace, PromptInfo, ToolDefinition } from './types.js';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/** Records every CompletionRequest and every schema conversion, and delegates to a MockEngine. */
class SpyEngine implements Engine {
  readonly info: ModelInfo;
  readonly requests: CompletionRequest[] = [];
  readonly schemas: Record<string, unknown>[] = [];
  readonly counted: string[] = [];
  /** Set to make the next schema conversions fail. */
  failGrammar = 0;

  constructor(readonly inner: MockEngine) {
    this.info = inner.info;
  }

  countTokens(text: string): number {
    this.counted.push(text);
    return this.inner.countTokens(text);
  }

  async jsonSchemaGrammar(schema: Record<string, unknown>): Promise<string> {
    this.schemas.push(schema);
    if (this.failGrammar > 0) {
      this.failGrammar--;
      throw new Error('grammar conversion failed');
    }
    return this.inner.jsonSchemaGrammar();
  }

  complete(request: CompletionRequest): AsyncIterable<CompletionEvent> {
    this.requests.push(request);
    return this.inner.complete(request);
  }

  slots(): SlotStatus[] {
    return this.inner.slots();
  }

  queueDepth(cache?: string): number {
    return this.inner.queueDepth(cache);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

interface Setup {
  output?: string;
  tokenDelayMs?: number;
  template?: string;
  family?: FamilyId;
  reasoningFormat?: 'auto' | 'none';
  mock?: MockEngineOptions;
  options?: Partial<ChatPipelineOptions>;
}

function setup(config: Setup = {}): { engine: SpyEngine; pipeline: ChatPipeline } {
  const engine = new SpyEngine(
    new MockEngine({
      script: { tokenDelayMs: config.tokenDelayMs ?? 0, responses: [{ output: config.output ?? 'Hello there.' }] },
      ...config.mock,
    }),
  );
  const pipeline = new ChatPipeline({
    engine,
    template: new ChatTemplate(config.template ?? DEFAULT_CHAT_TEMPLATE, { eosToken: '<|im_end|>' }),
    logger: silentLogger,
    family: config.family ?? 'hermes',
    reasoningFormat: config.reasoningFormat ?? 'auto',
    ...config.options,
  });
  return { engine, pipeline };
}

const realTemplate = (name: string): string => readFileSync(templatePath(name), 'utf8');

const WEATHER: ToolDefinition = {
  name: 'get_weather',
  description: 'Get the current weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
    required: ['city'],
  },
};
const TIME: ToolDefinition = {
  name: 'get_time',
  description: 'Current time in a time zone',
  parameters: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] },
};

function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    id: 'req-1',
    model: 'test-model',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'What is the weather in Paris?' },
    ],
    sampling: {},
    ...overrides,
  };
}

async function collect(pipeline: ChatPipeline, chat: ChatRequest, signal = new AbortController().signal): Promise<GenerationEvent[]> {
  const events: GenerationEvent[] = [];
  for await (const event of pipeline.generate(chat, signal)) events.push(event);
  return events;
}

/** Consecutive text / reasoning deltas joined, so assertions do not depend on how the mock splits output. */
function joined(events: GenerationEvent[]): GenerationEvent[] {
  const out: GenerationEvent[] = [];
  for (const event of events) {
    const last = out.at(-1);
    if ((event.type === 'text' || event.type === 'reasoning') && last?.type === event.type) {
      out[out.length - 1] = { type: event.type, text: last.text + event.text };
    } else {
      out.push(event);
    }
  }
  return out;
}

/** The constraint the engine received for one request (the request must reach the engine). */
async function constraintOf(chat: ChatRequest, config: Setup = {}): Promise<OutputConstraint | undefined> {
  const { engine, pipeline } = setup(config);
  await collect(pipeline, chat);
  expect(engine.requests).toHaveLength(1);
  return engine.requests[0]!.constraint;
}

/** The ApiError a request fails with, and the proof that it never reached the engine. */
async function rejection(chat: ChatRequest): Promise<ApiError> {
  const { engine, pipeline } = setup();
  const error = await collect(pipeline, chat).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect(engine.requests).toHaveLength(0);
  return error as ApiError;
}

/** The grammar buildToolCallGrammar gives for these tools, as the pipeline should wrap it. */
async function expectedToolGrammar(family: FamilyId, tools: ToolDefinition[], only?: string): Promise<{ calls: string; rules: string; triggers: unknown }> {
  const mock = new MockEngine();
  const grammar = await buildToolCallGrammar({
    family,
    tools,
    ...(only !== undefined ? { only } : {}),
    parallel: true,
    jsonSchemaGrammar: () => mock.jsonSchemaGrammar(),
  });
  if (!grammar) throw new Error('no grammar');
  return grammar;
}

interface TraceRecord {
  prompts: Array<{ text: string; info: PromptInfo | undefined }>;
  details: PromptInfo[];
  raw: string[];
  notes: Array<{ message: string; details: Record<string, unknown> | undefined }>;
}

function fakeTrace(): { trace: GenerationTrace; record: TraceRecord } {
  const record: TraceRecord = { prompts: [], details: [], raw: [], notes: [] };
  return {
    record,
    trace: {
      prompt: (text, info) => record.prompts.push({ text, info }),
      promptDetails: (info) => record.details.push(info),
      rawOutput: (text) => record.raw.push(text),
      note: (message, details) => record.notes.push({ message, details }),
    },
  };
}

const HERMES_CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}\n</tool_call>';
const CHATML_PROMPT = '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is the weather in Paris?<|im_end|>\n<|im_start|>assistant\n';

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

describe('ChatPipeline rendering', () => {
  it('hands the engine exactly the rendered prompt, and counts tokens of that same text', async () => {
    const { engine, pipeline } = setup();
    const chat = request();
    expect(pipeline.render(chat)).toBe(CHATML_PROMPT);
    const events = await collect(pipeline, chat);
    expect(engine.requests.map((sent) => sent.prompt)).toEqual([CHATML_PROMPT]);
    expect(engine.requests[0]).toMatchObject({ id: 'req-1', sampling: {} });

    const counted = pipeline.countTokens(chat);
    expect(engine.counted).toEqual([CHATML_PROMPT]);
    expect(counted).toBe(engine.inner.countTokens(CHATML_PROMPT));
    // The engine tokenized the same text for the request it ran.
    expect(events[0]).toMatchObject({ type: 'accepted', promptTokens: counted });
  });

  it('renders the tools into the prompt, and forwards template kwargs, max tokens, stop strings and sampling', async () => {
    const { engine, pipeline } = setup({ template: realTemplate('Qwen-Qwen3-0.6B') });
    const chat = request({
      tools: [WEATHER],
      templateKwargs: { enable_thinking: false },
      maxTokens: 7,
      stop: ['STOP'],
      sampling: { temperature: 0.2, seed: 3 },
    });
    const prompt = pipeline.render(chat);
    expect(prompt).toContain('<tools>\n{"type": "function", "function": {"name": "get_weather"');
    expect(prompt.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n')).toBe(true);
    await collect(pipeline, chat);
    expect(engine.requests[0]).toMatchObject({ prompt, maxTokens: 7, stop: ['STOP'], sampling: { temperature: 0.2, seed: 3 } });
    // Without kwargs the same template leaves the generation prompt open for thinking.
    expect(pipeline.render(request({ tools: [WEATHER] })).endsWith('<|im_start|>assistant\n')).toBe(true);
  });

  it('leaves out what the request does not set', async () => {
    const { engine, pipeline } = setup();
    await collect(pipeline, request({ stop: [] }));
    const sent = engine.requests[0]!;
    for (const key of ['maxTokens', 'stop', 'constraint', 'thinking', 'cache'] as const) expect(sent).not.toHaveProperty(key);
  });
});

// ---------------------------------------------------------------------------------------------
// Parsing raw output into events
// ---------------------------------------------------------------------------------------------

describe('ChatPipeline output parsing', () => {
  it('turns a Hermes tool call into tool-call events and stops with tool_calls', async () => {
    const { pipeline } = setup({ output: `Checking.\n${HERMES_CALL}` });
    const events = await collect(pipeline, request({ tools: [WEATHER] }));
    const start = events.find((event) => event.type === 'tool_call_start');
    // Exactly 24 alphanumerics (ids used to come out shorter about half the time).
    expect(start).toMatchObject({ id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/) as unknown });
    const id = start?.type === 'tool_call_start' ? start.id : '';
    expect(joined(events).slice(1)).toEqual([
      { type: 'text', text: 'Checking.\n' },
      { type: 'tool_call_start', index: 0, id, name: 'get_weather' },
      { type: 'tool_call_arguments', index: 0, json: '{"city":"Paris","unit":"c"}' },
      { type: 'tool_call_end', index: 0 },
      { type: 'done', stop: 'tool_calls', usage: expect.objectContaining({ cachedTokens: 0 }) as unknown },
    ]);
  });

  it('gives each call of a turn its own index and id', async () => {
    const { pipeline } = setup({ output: `${HERMES_CALL}\n<tool_call>\n{"name": "get_time", "arguments": {"tz": "CET"}}\n</tool_call>` });
    const events = await collect(pipeline, request({ tools: [WEATHER, TIME] }));
    const starts = events.filter((event) => event.type === 'tool_call_start');
    expect(starts.map((event) => [event.index, event.name])).toEqual([
      [0, 'get_weather'],
      [1, 'get_time'],
    ]);
    expect(new Set(starts.map((event) => event.id)).size).toBe(2);
    expect(events.at(-1)).toMatchObject({ type: 'done', stop: 'tool_calls' });
  });

  it('keeps the engine stop reason when the output holds no call', async () => {
    const { pipeline } = setup({ output: 'one two three four five' });
    const events = await collect(pipeline, request({ tools: [WEATHER], maxTokens: 3 }));
    expect(joined(events).slice(1)).toEqual([
      { type: 'text', text: 'one two' },
      { type: 'done', stop: 'max_tokens', usage: { promptTokens: expect.any(Number) as unknown, cachedTokens: 0, completionTokens: 3 } },
    ]);
  });

  it('passes a stop sequence on', async () => {
    const { pipeline } = setup({ output: 'Hello there. END more' });
    const events = await collect(pipeline, request({ stop: ['END'] }));
    expect(joined(events).slice(1)).toEqual([
      { type: 'text', text: 'Hello there. ' },
      { type: 'done', stop: 'stop_sequence', stopSequence: 'END', usage: expect.anything() as unknown },
    ]);
  });

  it('splits Qwen3 thinking into reasoning, then the answer as text', async () => {
    const { engine, pipeline } = setup({ template: realTemplate('Qwen-Qwen3-0.6B'), output: '<think>\nThe user wants the weather.\n</think>\n\nIt is sunny.' });
    const events = await collect(pipeline, request());
    expect(joined(events).slice(1, -1)).toEqual([
      { type: 'reasoning', text: 'The user wants the weather.\n' },
      { type: 'text', text: 'It is sunny.' },
    ]);
    // The engine is told where thinking is (not forced open: the prompt ends at `assistant\n`).
    expect(engine.requests[0]!.thinking).toEqual({ open: '<think>', close: '</think>', closeWith: '\n</think>\n\n', startOpen: false });
  });

  it('keeps the thinking in the text with reasoningFormat none', async () => {
    const output = '<think>\nThe user wants the weather.\n</think>\n\nIt is sunny.';
    const { pipeline } = setup({ template: realTemplate('Qwen-Qwen3-0.6B'), output, reasoningFormat: 'none' });
    const events = await collect(pipeline, request());
    expect(joined(events).slice(1, -1)).toEqual([{ type: 'text', text: output }]);
  });

  it('keeps <think> as text for a template that does not think (Qwen2.5), and tells the engine of no thinking', async () => {
    const output = '<think>hmm</think>Sunny.';
    const { engine, pipeline } = setup({ template: realTemplate('Qwen-Qwen2.5-7B-Instruct'), output });
    const events = await collect(pipeline, request());
    expect(joined(events).slice(1, -1)).toEqual([{ type: 'text', text: output }]);
    expect(engine.requests[0]).not.toHaveProperty('thinking');
  });

  it('passes the reasoning budget to the engine with the thinking markers', async () => {
    const { engine, pipeline } = setup({ template: realTemplate('Qwen-Qwen3-0.6B') });
    await collect(pipeline, request({ reasoningBudget: 0 }));
    expect(engine.requests[0]!.thinking).toEqual({ open: '<think>', close: '</think>', closeWith: '\n</think>\n\n', startOpen: false, budget: 0 });
  });

  it('leaves tool-call markup as text when tool_choice is none', async () => {
    const { pipeline } = setup({ output: HERMES_CALL });
    const events = await collect(pipeline, request({ tools: [WEATHER], toolChoice: { type: 'none' } }));
    expect(joined(events).slice(1)).toEqual([
      { type: 'text', text: HERMES_CALL },
      { type: 'done', stop: 'end', usage: expect.anything() as unknown },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Output constraints
// ---------------------------------------------------------------------------------------------

describe('ChatPipeline output constraints', () => {
  it('asks the engine whether the prompt can fit before building a grammar for its tools', async () => {
    const { engine, pipeline } = setup();
    const order: string[] = [];
    const convert = engine.jsonSchemaGrammar.bind(engine);
    engine.jsonSchemaGrammar = (schema) => (order.push('grammar'), convert(schema));
    (engine as Engine).refuseIfSurelyTooLong = async (prompt) => {
      order.push('length');
      if (prompt.includes('far too long')) throw new ContextOverflowError(1_000_000, 4096, { atLeast: true });
    };
    const tooLong = request({ tools: [WEATHER], messages: [{ role: 'user', content: 'far too long' }] });
    await expect(collect(pipeline, tooLong)).rejects.toBeInstanceOf(ContextOverflowError);
    expect(order).toEqual(['length']);
    await collect(pipeline, request({ tools: [WEATHER] }));
    expect(order.slice(1, 3)).toEqual(['length', 'grammar']);
  });

  it('tool_choice auto: a lazy grammar triggered by the family’s markup', async () => {
    const expected = await expectedToolGrammar('hermes', [WEATHER, TIME]);
    expect(await constraintOf(request({ tools: [WEATHER, TIME] }))).toEqual({
      type: 'lazy_gbnf',
      grammar: `root ::= ${expected.calls}\n${expected.rules}`,
      triggers: [{ text: '<tool_call>' }],
    });
    // No tool_choice and an explicit auto are the same.
    expect(await constraintOf(request({ tools: [WEATHER, TIME], toolChoice: { type: 'auto' } }))).toEqual(await constraintOf(request({ tools: [WEATHER, TIME] })));
  });

  it('tool_choice auto in another family: that family’s triggers (Qwen3-Coder also triggers on <function=name>)', async () => {
    const constraint = await constraintOf(request({ tools: [WEATHER] }), { family: 'qwen3-coder' });
    expect(constraint).toMatchObject({ type: 'lazy_gbnf', triggers: [{ text: '<tool_call>' }, { text: '<function=get_weather>' }] });
    expect(constraint).not.toHaveProperty('insideThinking');
  });

  it('tool_choice required: the grammar applies from the first token', async () => {
    const expected = await expectedToolGrammar('hermes', [WEATHER, TIME]);
    expect(await constraintOf(request({ tools: [WEATHER, TIME], toolChoice: { type: 'required' } }))).toEqual({
      type: 'gbnf',
      grammar: `root ::= ${expected.calls}\n${expected.rules}`,
    });
  });

  it('a named function: a grammar for that tool alone', async () => {
    const expected = await expectedToolGrammar('hermes', [WEATHER, TIME], 'get_time');
    const constraint = await constraintOf(request({ tools: [WEATHER, TIME], toolChoice: { type: 'function', name: 'get_time' } }));
    expect(constraint).toEqual({ type: 'gbnf', grammar: `root ::= ${expected.calls}\n${expected.rules}` });
    expect(constraint?.type === 'gbnf' && constraint.grammar).toContain('get_time');
    expect(constraint?.type === 'gbnf' && constraint.grammar).not.toContain('get_weather');
  });

  it('a forced call when the prompt leaves thinking open: lazy, triggered by the end of thinking, inside thinking', async () => {
    const template = `{%- for message in messages %}{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}{{ '<|im_start|>assistant\\n<think>\\n' }}`;
    const expected = await expectedToolGrammar('hermes', [WEATHER]);
    const { engine, pipeline } = setup({ template, output: 'Paris, then.\n</think>\n\n' + HERMES_CALL });
    const events = await collect(pipeline, request({ tools: [WEATHER], toolChoice: { type: 'required' } }));
    expect(engine.requests[0]!.constraint).toEqual({
      type: 'lazy_gbnf',
      grammar: `root ::= "</think>" [ \\t\\n]{0,4} ${expected.calls}\n${expected.rules}`,
      triggers: [{ text: '</think>' }],
      insideThinking: true,
    });
    expect(engine.requests[0]!.thinking).toMatchObject({ startOpen: true });
    expect(
      joined(events)
        .slice(1)
        .map((event) => event.type),
    ).toEqual(['reasoning', 'tool_call_start', 'tool_call_arguments', 'tool_call_end', 'done']);
  });

  it('a named function that is not offered is an invalid_request naming tool_choice', async () => {
    const error = await rejection(request({ tools: [WEATHER], toolChoice: { type: 'function', name: 'launch_rocket' } }));
    expect(error).toMatchObject({ kind: 'invalid_request', param: 'tool_choice', status: 400 });
    expect(error.message).toContain('"launch_rocket"');
  });

  it('required (or a named function) without tools is an invalid_request naming tool_choice', async () => {
    for (const toolChoice of [{ type: 'required' }, { type: 'function', name: 'get_weather' }] as const) {
      const error = await rejection(request({ toolChoice }));
      expect(error).toMatchObject({ kind: 'invalid_request', param: 'tool_choice' });
    }
    const error = await rejection(request({ tools: [], toolChoice: { type: 'required' } }));
    expect(error.message).toBe('tool_choice "required" needs at least one tool in "tools".');
  });

  it('response_format json_object: any JSON', async () => {
    expect(await constraintOf(request({ responseFormat: { type: 'json_object' } }))).toEqual({ type: 'json' });
  });

  it('response_format json_schema: the schema (anyOf rewritten to oneOf for the grammar)', async () => {
    const schema = { type: 'object', properties: { answer: { anyOf: [{ type: 'string' }, { type: 'number' }] } }, required: ['answer'] };
    expect(await constraintOf(request({ responseFormat: { type: 'json_schema', name: 'x', schema } }))).toEqual({
      type: 'json_schema',
      schema: { type: 'object', properties: { answer: { oneOf: [{ type: 'string' }, { type: 'number' }] } }, required: ['answer'] },
    });
  });

  it('response_format json_schema with a keyword the grammar cannot enforce is an invalid_request naming response_format', async () => {
    const error = await rejection(request({ responseFormat: { type: 'json_schema', schema: { type: 'string', pattern: '^a' } } }));
    expect(error).toMatchObject({ kind: 'invalid_request', param: 'response_format' });
  });

  it('response_format text, or nothing at all: no constraint', async () => {
    expect(await constraintOf(request({ responseFormat: { type: 'text' } }))).toBeUndefined();
    expect(await constraintOf(request())).toBeUndefined();
  });

  it('tool_choice none with tools: no tool grammar (response_format still applies)', async () => {
    const { engine, pipeline } = setup();
    await collect(pipeline, request({ tools: [WEATHER], toolChoice: { type: 'none' } }));
    expect(engine.requests[0]).not.toHaveProperty('constraint');
    expect(engine.schemas).toEqual([]);
    expect(await constraintOf(request({ tools: [WEATHER], toolChoice: { type: 'none' }, responseFormat: { type: 'json_object' } }))).toEqual({ type: 'json' });
  });

  it('tools with tool_choice auto and a response_format: the response_format wins; a forced call wins over it', async () => {
    expect(await constraintOf(request({ tools: [WEATHER], responseFormat: { type: 'json_object' } }))).toEqual({ type: 'json' });
    expect(await constraintOf(request({ tools: [WEATHER], toolChoice: { type: 'required' }, responseFormat: { type: 'json_object' } }))).toMatchObject({
      type: 'gbnf',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The tool-grammar cache
// ---------------------------------------------------------------------------------------------

describe('ChatPipeline tool-grammar cache', () => {
  it('builds the grammar of a tool set once', async () => {
    const { engine, pipeline } = setup();
    await collect(pipeline, request({ tools: [WEATHER, TIME] }));
    const built = engine.schemas.length;
    expect(built).toBeGreaterThan(0);
    await collect(pipeline, request({ id: 'req-2', tools: [WEATHER, TIME] }));
    expect(engine.schemas).toHaveLength(built);
    expect(engine.requests[1]!.constraint).toEqual(engine.requests[0]!.constraint);
  });

  it('keys the cache by tool set, named tool and parallel calls', async () => {
    const { engine, pipeline } = setup();
    let built = 0;
    const builds = async (chat: ChatRequest): Promise<boolean> => {
      await collect(pipeline, chat);
      const before = built;
      built = engine.schemas.length;
      return built > before;
    };
    expect(await builds(request({ tools: [WEATHER] }))).toBe(true);
    expect(await builds(request({ tools: [WEATHER, TIME] }))).toBe(true);
    expect(await builds(request({ tools: [WEATHER], toolChoice: { type: 'function', name: 'get_weather' } }))).toBe(true);
    expect(await builds(request({ tools: [WEATHER], parallelToolCalls: false }))).toBe(true);
    // `required` and `auto` share the grammar (only its root differs), and so do parallel unset and true.
    expect(await builds(request({ tools: [WEATHER], toolChoice: { type: 'required' } }))).toBe(false);
    expect(await builds(request({ tools: [WEATHER], parallelToolCalls: true }))).toBe(false);
  });

  it('keeps the 16 most recently used tool sets', async () => {
    const { engine, pipeline } = setup();
    const tools = (n: number): ToolDefinition[] => [{ name: `tool_${n}`, parameters: { type: 'object', properties: { [`p${n}`]: { type: 'string' } } } }];
    const builds = async (n: number): Promise<boolean> => {
      const before = engine.schemas.length;
      await collect(pipeline, request({ tools: tools(n) }));
      return engine.schemas.length > before;
    };
    for (let n = 1; n <= 16; n++) expect(await builds(n)).toBe(true);
    expect(await builds(1)).toBe(false); // used again: now the most recent
    expect(await builds(17)).toBe(true); // evicts the least recently used: 2
    expect(await builds(1)).toBe(false);
    expect(await builds(2)).toBe(true);
  });

  it('does not keep a failed build: the next request tries again', async () => {
    const { engine, pipeline } = setup();
    engine.failGrammar = 1;
    await expect(collect(pipeline, request({ tools: [WEATHER] }))).rejects.toThrow('grammar conversion failed');
    expect(engine.requests).toHaveLength(0);
    const failed = engine.schemas.length;
    await collect(pipeline, request({ tools: [WEATHER] }));
    expect(engine.schemas.length).toBeGreaterThan(failed);
    expect(engine.requests[0]!.constraint).toMatchObject({ type: 'lazy_gbnf' });
  });
});

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

describe('ChatPipeline routing', () => {
  const CACHES: RoutedCache[] = [
    { name: 'main', slots: 1, contextSize: 0, queueSize: 4, routes: [], default: true },
    { name: 'background', slots: 2, contextSize: 4096, queueSize: 4, routes: [{ model: '*haiku*' }, { headers: { 'x-task': 'title' } }] },
  ];

  it('names the cache and slot in the accepted event and sends the engine to that cache', async () => {
    const { engine, pipeline } = setup({ mock: { caches: CACHES }, options: { router: new Router(CACHES) } });
    const accepted = async (chat: ChatRequest): Promise<GenerationEvent | undefined> => (await collect(pipeline, chat))[0];
    expect(await accepted(request({ model: 'claude-haiku-4' }))).toMatchObject({ type: 'accepted', cache: 'background', route: 'background/slot 0' });
    expect(await accepted(request({ model: 'claude-sonnet' }))).toMatchObject({ type: 'accepted', cache: 'main', route: 'main/slot 0' });
    expect(await accepted(request({ model: 'claude-sonnet', headers: { 'x-task': 'title' } }))).toMatchObject({ cache: 'background' });
    expect(engine.requests.map((sent) => sent.cache)).toEqual(['background', 'main', 'background']);
  });

  it('routes by the system messages’ text', async () => {
    const caches: RoutedCache[] = [
      { name: 'main', slots: 1, contextSize: 0, queueSize: 4, routes: [], default: true },
      { name: 'agents', slots: 1, contextSize: 0, queueSize: 4, routes: [{ systemContains: 'first part.\n\nsecond' }] },
    ];
    const { engine, pipeline } = setup({ mock: { caches }, options: { router: new Router(caches) } });
    await collect(
      pipeline,
      request({
        messages: [
          { role: 'system', content: 'first part.' },
          { role: 'user', content: 'hi' },
          { role: 'system', content: 'second part.' },
        ],
      }),
    );
    expect(engine.requests[0]!.cache).toBe('agents');
  });

  it('without a router names no cache: the engine picks its default', async () => {
    const { engine, pipeline } = setup({ mock: { caches: CACHES } });
    const events = await collect(pipeline, request({ model: 'claude-haiku-4' }));
    expect(engine.requests[0]).not.toHaveProperty('cache');
    expect(events[0]).toEqual({ type: 'accepted', promptTokens: expect.any(Number) as unknown, cachedTokens: 0, cache: 'main', route: 'main/slot 0', slot: 0 });
  });
});

// ---------------------------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------------------------

describe('ChatPipeline cancellation', () => {
  const SLOW = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';

  /** Reads a slow generation up to its first text (`busy` slots busy then), calls `abort`, and returns how it ended. */
  async function abortMidway(engine: SpyEngine, stream: AsyncGenerator<GenerationEvent>, busy: number, abort: () => void): Promise<unknown> {
    let event = await stream.next();
    while (!event.done && event.value.type !== 'text') event = await stream.next();
    expect(event.value).toMatchObject({ type: 'text' });
    expect(engine.slots().filter((slot) => slot.busy)).toHaveLength(busy);
    abort();
    try {
      for (;;) {
        const next = await stream.next();
        if (next.done) return 'finished';
        if (next.value.type === 'done') return next.value;
      }
    } catch (error) {
      return error;
    }
  }

  it('the request’s signal stops a generation and frees its slot', async () => {
    const { engine, pipeline } = setup({ output: SLOW, tokenDelayMs: 20 });
    const controller = new AbortController();
    const ended = await abortMidway(engine, pipeline.generate(request(), controller.signal), 1, () => controller.abort());
    expect(ended).toMatchObject({ name: 'AbortError' });
    expect(engine.slots().map((slot) => slot.busy)).toEqual([false, false, false, false]);
  });

  it('the shutdown signal stops every running generation and frees the slots', async () => {
    const shutdown = new AbortController();
    const { engine, pipeline } = setup({ output: SLOW, tokenDelayMs: 20, options: { shutdownSignal: shutdown.signal } });
    const other = collect(pipeline, request({ id: 'req-2' })).then(
      () => 'finished',
      (error: unknown) => error,
    );
    const ended = await abortMidway(engine, pipeline.generate(request(), new AbortController().signal), 2, () => shutdown.abort());
    expect(ended).toMatchObject({ name: 'AbortError' });
    expect(await other).toMatchObject({ name: 'AbortError' });
    expect(engine.slots().every((slot) => !slot.busy)).toBe(true);
  });

  it('a request not aborted runs to the end with a shutdown signal present', async () => {
    const shutdown = new AbortController();
    const { pipeline } = setup({ output: 'a b', tokenDelayMs: 1, options: { shutdownSignal: shutdown.signal } });
    const events = await collect(pipeline, request());
    expect(events.at(-1)).toMatchObject({ type: 'done', stop: 'end' });
  });
});

// ---------------------------------------------------------------------------------------------
// --debug trace hooks
// ---------------------------------------------------------------------------------------------

describe('ChatPipeline debug trace', () => {
  it('receives the prompt, its details, the raw output and the stop', async () => {
    const output = `Checking.\n${HERMES_CALL}`;
    const { engine, pipeline } = setup({ output });
    const { trace, record } = fakeTrace();
    const chat = request({ tools: [WEATHER], trace });
    const events = await collect(pipeline, chat);
    expect(record.prompts).toEqual([{ text: pipeline.render(chat), info: { family: 'hermes', tools: 1, toolChoice: 'auto' } }]);
    expect(record.raw.join('')).toBe(output);
    expect(record.raw.length).toBeGreaterThan(1); // streamed as generated, not once at the end
    const accepted = events[0];
    expect(accepted?.type).toBe('accepted');
    const promptTokens = accepted?.type === 'accepted' ? accepted.promptTokens : -1;
    expect(record.details).toEqual([
      { constraint: 'lazy_gbnf' },
      { promptTokens, reusedTokens: 0, route: 'slot 0' },
      { completionTokens: engine.inner.countTokens(output), stop: 'end' },
    ]);
    expect(record.notes).toEqual([]);
  });

  it('notes a tool call whose arguments do not parse (and passes its markup on as text)', async () => {
    const broken = '<tool_call>\n{"name": "get_weather", "arguments": {"city": }}\n</tool_call>';
    const { pipeline } = setup({ output: broken });
    const { trace, record } = fakeTrace();
    const events = await collect(pipeline, request({ tools: [WEATHER], trace }));
    expect(record.notes).toEqual([{ message: 'hermes: tool call could not be parsed (not valid JSON); kept as text', details: { family: 'hermes', markup: broken } }]);
    expect(joined(events).slice(1)).toEqual([
      { type: 'text', text: broken },
      { type: 'done', stop: 'end', usage: expect.anything() as unknown },
    ]);
  });

  it('notes a call that does not fit the offered tools, and passes it on unchanged', async () => {
    const output = '<tool_call>\n{"name": "get_weather", "arguments": {"unit": "c"}}\n</tool_call>\n<tool_call>\n{"name": "get_stock", "arguments": {}}\n</tool_call>';
    const { pipeline } = setup({ output });
    const { trace, record } = fakeTrace();
    const events = await collect(pipeline, request({ tools: [WEATHER], trace }));
    expect(record.notes).toEqual([
      { message: "tool call passed on as generated: arguments do not match the tool's schema: (root) must have required property 'city'", details: { tool: 'get_weather' } },
      { message: 'tool call passed on as generated: the model called "get_stock", which is not among the offered tools', details: { tool: 'get_stock' } },
    ]);
    expect(events.filter((event) => event.type === 'tool_call_arguments').map((event) => event.json)).toEqual(['{"unit":"c"}', '{}']);
    expect(events.at(-1)).toMatchObject({ type: 'done', stop: 'tool_calls' });
  });

  it('notes the route chosen by the router', async () => {
    const caches: RoutedCache[] = [
      { name: 'main', slots: 1, contextSize: 0, queueSize: 4, routes: [], default: true },
      { name: 'background', slots: 1, contextSize: 0, queueSize: 4, routes: [{ model: '*haiku*' }] },
    ];
    const { pipeline } = setup({ mock: { caches }, options: { router: new Router(caches) } });
    const { trace, record } = fakeTrace();
    await collect(pipeline, request({ model: 'claude-haiku-4', trace }));
    expect(record.details[0]).toEqual({ cache: 'background', routeRule: 'model *haiku*' });
  });
});

// Moved from src/engine/mock-engine-caches.test.ts: the pipeline's side of multi-cache routing.
const ROUTED_CACHES: RoutedCache[] = [
  { name: 'main', slots: 1, contextSize: 0, queueSize: 4, routes: [], default: true },
  { name: 'background', slots: 2, contextSize: 50, queueSize: 0, routes: [{ model: '*haiku*' }] },
];

describe("ChatPipeline routing over the mock engine's caches", () => {
  it('sends each request to the cache its rules pick and names it in the route', async () => {
    const engine = new MockEngine({ caches: ROUTED_CACHES });
    const notes: Record<string, unknown>[] = [];
    const pipeline = new ChatPipeline({
      engine,
      template: new ChatTemplate(DEFAULT_CHAT_TEMPLATE, {}),
      logger: silentLogger,
      family: 'hermes',
      reasoningFormat: 'auto',
      router: new Router(ROUTED_CACHES),
    });
    const request = (model: string): ChatRequest => ({
      id: model,
      model,
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'hi' },
      ],
      sampling: {},
      trace: { prompt: () => undefined, promptDetails: (info) => notes.push(info), rawOutput: () => undefined, note: () => undefined },
    });
    const routes: string[] = [];
    for (const model of ['claude-sonnet', 'claude-haiku-4']) {
      for await (const event of pipeline.generate(request(model), new AbortController().signal) as AsyncIterable<GenerationEvent>) {
        if (event.type === 'accepted') routes.push(event.route);
      }
    }
    expect(routes).toEqual(['main/slot 0', 'background/slot 0']);
    expect(notes).toContainEqual({ cache: 'main', routeRule: 'default' });
    expect(notes).toContainEqual({ cache: 'background', routeRule: 'model *haiku*' });
  });
});
