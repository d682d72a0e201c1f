// Each family's native tool-call markup, written to match what our parser for that family
// (src/chat/parsers/) turns into tool calls. GBNF is built from sequences: `call(name, args)`
// gets the tool name and the rule name of its arguments and returns the sequence of one call;
// `calls(call)` gets the rule name matching one call of any tool and returns one or more.

import { derivedFamilySyntax } from '../derived/grammar.js';
import type { DerivedSyntax } from '../derived/syntax.js';
import { isPlainObject } from '../parsers/json-arguments.js';
import { KIMI_K3 } from '../parsers/kimi-k3.js';
import { MINIMAX_M3_NS } from '../parsers/minimax-m3.js';
import type { FamilyId } from '../parsers/types.js';
import type { XmlArgumentSyntax } from './arguments.js';
import { literal } from './gbnf.js';
import { DSML_INVOKE_CLOSE, DSML_INVOKE_OPEN, DSML_PARAMETER_CLOSE, DSML_PARAMETER_OPEN, DSML_V32, DSML_V4, type DsmlMarkup } from '../parsers/deepseek-dsml.js';
import { GEMMA4 } from './gemma4.js';
import { GLM45 } from './glm.js';

export interface Trigger {
  text: string;
  /** Only at the very start of the output (after whitespace). */
  atStart?: boolean;
}

export interface FamilySyntax {
  /**
   * JSON arguments (with texts JSON strings may not contain: the closing markup), XML arguments,
   * Gemma 4's value encoding, or Python-style `key=value` arguments with JSON values (LFM2).
   */
  args: { kind: 'json'; excluded: readonly string[] } | { kind: 'xml'; syntax: XmlArgumentSyntax } | { kind: 'gemma4' } | { kind: 'python'; excluded: readonly string[] };
  /** One call of the named tool. */
  call(name: string, args: string): string;
  /** One or more calls (`parallel`) or exactly one, given the rule of one call. */
  calls(call: string, parallel: boolean): string;
  triggers(names: readonly string[]): Trigger[];
}

/** Mistral's two call syntaxes: `[TOOL_CALLS]name[ARGS]{…}` (Small 3.2, Devstral, Ministral 3) or `[TOOL_CALLS][{…}]` (Nemo). */
export type MistralSyntax = 'args' | 'array';

/** Which Mistral call syntax a chat template writes. */
export function mistralSyntaxOf(templateSource: string): MistralSyntax {
  return templateSource.includes('[ARGS]') ? 'args' : 'array';
}

/** `first (sep call)*`, or just `first` without parallel calls. */
const repeat = (first: string, call: string, sep: string, parallel: boolean): string => (parallel ? `${first} ( ${sep ? `${literal(sep)} ` : ''}${call} )*` : first);

/** `{"name": "NAME", "<key>": ARGS` as JSON text (the name JSON-escaped). */
const jsonHead = (name: string, key: string): string => `{"name": ${JSON.stringify(name)}, "${key}": `;

// Hermes and the generic fallback: `<tool_call>\n{json}\n</tool_call>`, calls separated by a newline.
const HERMES: FamilySyntax = {
  args: { kind: 'json', excluded: ['</tool_call>'] },
  call: (name, args) => `${literal(`<tool_call>\n${jsonHead(name, 'arguments')}`)} ${args} ${literal('}\n</tool_call>')}`,
  calls: (call, parallel) => repeat(call, call, '\n', parallel),
  triggers: () => [{ text: '<tool_call>' }],
};

// Qwen3-Coder: `<tool_call>\n<function=NAME>\n<parameter=P>\nVALUE\n</parameter>\n</function>\n</tool_call>`.
// Like llama.cpp (and our parser), the first call may omit `<tool_call>\n` for a known tool name.
const QWEN3_CODER: FamilySyntax = {
  args: {
    kind: 'xml',
    syntax: {
      nameBefore: '<parameter=',
      nameAfter: '>\n',
      close: '\n</parameter>\n',
      excluded: ['</parameter>', '</tool_call>'],
    },
  },
  call: (name, args) => `${literal(`<function=${name}>\n`)} ${args} ${literal('</function>\n</tool_call>')}`,
  calls: (call, parallel) => repeat(`${literal('<tool_call>\n')}? ${call}`, `${literal('<tool_call>\n')} ${call}`, '\n', parallel),
  triggers: (names) => [{ text: '<tool_call>' }, ...names.map((name) => ({ text: `<function=${name}>` }))],
};

// Seed-OSS: `<seed:tool_call>\n<function=NAME>\n<parameter=P>VALUE</parameter>\n</function>\n</seed:tool_call>`,
// Qwen3-Coder's call without the newlines around values, one call per `<seed:tool_call>`.
const SEED_OSS: FamilySyntax = {
  args: {
    kind: 'xml',
    syntax: {
      nameBefore: '<parameter=',
      nameAfter: '>',
      close: '</parameter>\n',
      excluded: ['</parameter>', '</seed:tool_call>'],
    },
  },
  call: (name, args) => `${literal(`<seed:tool_call>\n<function=${name}>\n`)} ${args} ${literal('</function>\n</seed:tool_call>')}`,
  calls: (call, parallel) => repeat(call, call, '\n', parallel),
  triggers: () => [{ text: '<seed:tool_call>' }],
};

// MiniMax-M2: one `<minimax:tool_call>` section holding the `<invoke>`s.
const MINIMAX_M2: FamilySyntax = {
  args: {
    kind: 'xml',
    syntax: {
      nameBefore: '<parameter name="',
      nameAfter: '">',
      close: '</parameter>\n',
      excluded: ['</parameter>', '</invoke>', '</minimax:tool_call>'],
    },
  },
  call: (name, args) => `${literal(`<invoke name="${name}">\n`)} ${args} ${literal('</invoke>')}`,
  calls: (call, parallel) => `${literal('<minimax:tool_call>\n')} ${repeat(call, call, '\n', parallel)} ${literal('\n</minimax:tool_call>')}`,
  triggers: () => [{ text: '<minimax:tool_call>' }],
};

// DeepSeek V3.2 / V4: one DSML block (`function_calls` / `tool_calls`) holding the `<｜DSML｜invoke>`s;
// a raw-text value is marked `string="true"`, a JSON value `string="false"`, as the template writes them.
function deepseekDsml(markup: DsmlMarkup): FamilySyntax {
  return {
    args: {
      kind: 'xml',
      syntax: {
        nameBefore: `${DSML_PARAMETER_OPEN} name="`,
        nameAfter: '" string="true">',
        nameAfterJson: '" string="false">',
        close: `${DSML_PARAMETER_CLOSE}\n`,
        excluded: [DSML_PARAMETER_CLOSE, DSML_INVOKE_CLOSE, markup.blockClose],
      },
    },
    call: (name, args) => `${literal(`${DSML_INVOKE_OPEN} name="${name}">\n`)} ${args} ${literal(`${DSML_INVOKE_CLOSE}\n`)}`,
    calls: (call, parallel) => `${literal(`${markup.blockOpen}\n`)} ${repeat(call, call, '', parallel)} ${literal(markup.blockClose)}`,
    triggers: () => [{ text: markup.blockOpen }],
  };
}
// MiniMax-M3: M2's structure with every tag namespaced by `]<]minimax[>[` (NS) and parameters as
// elements named after them, `NS<city>Paris NS</city>`. Non-string values are JSON of their schema
// (the template expands objects and arrays into elements; the parser reads both).
const MINIMAX_M3: FamilySyntax = {
  args: {
    kind: 'xml',
    syntax: { nameBefore: `${MINIMAX_M3_NS}<`, nameAfter: '>', close: (name) => `${MINIMAX_M3_NS}</${name}>`, excluded: [MINIMAX_M3_NS] },
  },
  call: (name, args) => `${literal(`${MINIMAX_M3_NS}<invoke name="${name}">`)} ${args} ${literal(`${MINIMAX_M3_NS}</invoke>`)}`,
  calls: (call, parallel) => `${literal(`${MINIMAX_M3_NS}<tool_call>\n`)} ${repeat(call, call, '\n', parallel)} ${literal(`\n${MINIMAX_M3_NS}</tool_call>`)}`,
  triggers: () => [{ text: `${MINIMAX_M3_NS}<tool_call>` }],
};

// Kimi K3: `<|open|>tools<|sep|>` then calls `<|open|>call tool="N" index="i"<|sep|>` with
// `<|open|>argument key="K" type="T"<|sep|>V<|close|>argument<|sep|>` per parameter (T the value's
// JSON type, as the template's xtml_type writes it; strings raw, the rest JSON), then
// `<|close|>tools<|sep|>` and optionally the message closer. (The template writes an empty
// response section before the tools; the parser, like llama.cpp's, does not need it, and a
// forced call starts right after thinking with the tools section.)
const KIMI_K3_SYNTAX: FamilySyntax = {
  args: {
    kind: 'xml',
    syntax: {
      nameBefore: KIMI_K3.argumentOpen,
      nameAfter: '" type="string"<|sep|>',
      afterName: (property, raw) => `" type="${raw ? 'string' : xtmlType(property)}"<|sep|>`,
      close: KIMI_K3.argumentClose,
      excluded: ['<|close|>'],
    },
  },
  call: (name, args) => `${literal(`${KIMI_K3.callOpen}${name}" index="`)} [1-9] [0-9]{0,2} ${literal('"<|sep|>')} ${args} ${literal(KIMI_K3.callClose)}`,
  calls: (call, parallel) => `${literal(KIMI_K3.toolsOpen)} ${repeat(call, call, '', parallel)} ${literal(KIMI_K3.toolsClose)} ( ${literal(KIMI_K3.messageClose)} )?`,
  triggers: () => [{ text: KIMI_K3.toolsOpen }],
};

/** The template's xtml_type of a value of this schema (its JSON type; numbers are `number`). */
function xtmlType(property: unknown): string {
  const type = isPlainObject(property) ? property.type : undefined;
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'boolean' || type === 'object' || type === 'array' || type === 'null') return type;
  return 'string';
}

// Kimi-K2: calls in a section, or (as the parser and llama.cpp allow) bare.
const KIMI_K2: FamilySyntax = {
  args: { kind: 'json', excluded: ['<|tool_call_end|>', '<|tool_calls_section_end|>'] },
  call: (name, args) => `${literal(`<|tool_call_begin|>functions.${name}:`)} [0-9]{1,3} ${literal('<|tool_call_argument_begin|>')} ${args} ${literal('<|tool_call_end|>')}`,
  calls: (call, parallel) => {
    const sequence = repeat(call, call, '', parallel);
    return `( ${literal('<|tool_calls_section_begin|>')} ${sequence} ${literal('<|tool_calls_section_end|>')} | ${sequence} )`;
  },
  triggers: () => [{ text: '<|tool_calls_section_begin|>' }, { text: '<|tool_call_begin|>' }],
};

// Llama 3.x: `{"name": "NAME", "parameters": {…}}` at the start of the output, or after
// `<|python_tag|>`; several separated by newlines (the parser skips whitespace and `;`).
const LLAMA3: FamilySyntax = {
  args: { kind: 'json', excluded: [] },
  call: (name, args) => `${literal('{"name":')} " "? ${literal(jsonHead(name, 'parameters').slice('{"name": '.length))} ${args} ${literal('}')}`,
  calls: (call, parallel) => `${literal('<|python_tag|>')}? ${repeat(call, call, '\n', parallel)}`,
  triggers: () => [{ text: '{"name"', atStart: true }, { text: '<|python_tag|>' }],
};

function mistral(syntax: MistralSyntax): FamilySyntax {
  if (syntax === 'args') {
    return {
      args: { kind: 'json', excluded: [] },
      call: (name, args) => `${literal(`[TOOL_CALLS]${name}[ARGS]`)} ${args}`,
      calls: (call, parallel) => repeat(call, call, '', parallel),
      triggers: () => [{ text: '[TOOL_CALLS]' }],
    };
  }
  return {
    args: { kind: 'json', excluded: [] },
    // Nemo's template gives each call a 9-character alphanumeric id; the parser ignores it.
    call: (name, args) => `${literal(jsonHead(name, 'arguments'))} ${args} ${literal(', "id": "')} [a-zA-Z0-9]{9} ${literal('"}')}`,
    calls: (call, parallel) => `${literal('[TOOL_CALLS][')} ${repeat(call, call, ', ', parallel)} ${literal(']')}`,
    triggers: () => [{ text: '[TOOL_CALLS]' }],
  };
}

// Granite 3.3: `<|tool_call|>[{"name": "NAME", "arguments": {…}}, …]`, no closing markup.
const GRANITE: FamilySyntax = {
  args: { kind: 'json', excluded: [] },
  call: (name, args) => `${literal(jsonHead(name, 'arguments'))} ${args} ${literal('}')}`,
  calls: (call, parallel) => `${literal('<|tool_call|>[')} ${repeat(call, call, ', ', parallel)} ${literal(']')}`,
  triggers: () => [{ text: '<|tool_call|>' }],
};

// Nemotron Nano v2: `<TOOLCALL>[{"name": "NAME", "arguments": {…}}, …]</TOOLCALL>`.
const NEMOTRON_V2: FamilySyntax = {
  args: { kind: 'json', excluded: ['</TOOLCALL>'] },
  call: GRANITE.call,
  calls: (call, parallel) => `${literal('<TOOLCALL>[')} ${repeat(call, call, ', ', parallel)} ${literal(']</TOOLCALL>')}`,
  triggers: () => [{ text: '<TOOLCALL>' }],
};

// Apriel 1.5 / 1.6: `<tool_calls>[{"name": "NAME", "arguments": {…}}, …]</tool_calls>`.
const APRIEL: FamilySyntax = {
  args: { kind: 'json', excluded: ['</tool_calls>'] },
  call: GRANITE.call,
  calls: (call, parallel) => `${literal('<tool_calls>[')} ${repeat(call, call, ', ', parallel)} ${literal(']</tool_calls>')}`,
  triggers: () => [{ text: '<tool_calls>' }],
};

// MiniMax-M1: `<tool_calls>\n{"name": "NAME", "arguments": {…}}\n…</tool_calls>`, one call per line.
const MINIMAX_M1: FamilySyntax = {
  args: { kind: 'json', excluded: ['</tool_calls>'] },
  call: GRANITE.call,
  calls: (call, parallel) => `${literal('<tool_calls>\n')} ${repeat(call, call, '\n', parallel)} ${literal('\n</tool_calls>')}`,
  triggers: () => [{ text: '<tool_calls>' }],
};

// FireFunction v2: `functools[{"name": "NAME", "arguments": {…}}, …]`, no closing markup.
const FIREFUNCTION_V2: FamilySyntax = {
  args: { kind: 'json', excluded: [] },
  call: GRANITE.call,
  calls: (call, parallel) => `${literal('functools[')} ${repeat(call, call, ', ', parallel)} ${literal(']')}`,
  triggers: () => [{ text: 'functools[' }],
};

// GigaChat 3 / 3.1: one `{"name": "NAME", "arguments": {…}}` after the call marker (one call per turn).
const gigachat = (marker: string): FamilySyntax => ({
  args: { kind: 'json', excluded: [] },
  call: GRANITE.call,
  calls: (call) => `${literal(marker)} ${call}`,
  triggers: () => [{ text: marker }],
});

// Apertus: `<|tools_prefix|>[{"NAME": {…}}, …]<|tools_suffix|>`, each call keyed by the tool's name.
const APERTUS: FamilySyntax = {
  args: { kind: 'json', excluded: ['<|tools_suffix|>'] },
  call: (name, args) => `${literal(`{${JSON.stringify(name)}: `)} ${args} ${literal('}')}`,
  calls: (call, parallel) => `${literal('<|tools_prefix|>[')} ${repeat(call, call, ', ', parallel)} ${literal(']<|tools_suffix|>')}`,
  triggers: () => [{ text: '<|tools_prefix|>' }],
};

// Cohere Command R7B / Cohere2 MoE: `<|START_ACTION|>[` then one call per line, indented as the
// templates write them, `{"tool_call_id": "0", "tool_name": "NAME", "parameters": {…}}`, then
// `\n]<|END_ACTION|>`. The id is a small number (the templates count calls from 0).
const COMMAND_R7B: FamilySyntax = {
  args: { kind: 'json', excluded: ['<|END_ACTION|>'] },
  call: (name, args) => `${literal('{"tool_call_id": "')} [0-9]{1,3} ${literal(`", "tool_name": ${JSON.stringify(name)}, "parameters": `)} ${args} ${literal('}')}`,
  calls: (call, parallel) => `${literal('<|START_ACTION|>[\n    ')} ${repeat(call, call, ',\n    ', parallel)} ${literal('\n]<|END_ACTION|>')}`,
  triggers: () => [{ text: '<|START_ACTION|>' }],
};

// Muse Glimmer: a message to the tool, ` to=NAME<|message|>` then an ATEM block. Further calls are
// further messages after `<|eom|>`, which may be an end-of-generation token that no grammar
// literal matches (and a grammar that required a next message after a spelled-out one left the
// model no way to stop): so, as for gpt-oss, the grammar holds one call, then `<|eom|>` as text
// optionally. The trigger is the recipient of an offered tool (llama.cpp's is a pattern
// excluding `self` and `user`).
const MUSE_GLIMMER: FamilySyntax = {
  args: {
    kind: 'xml',
    syntax: {
      nameBefore: '<atem:parameter name="',
      nameAfter: '">',
      close: '</atem:parameter>\n',
      excluded: ['</atem:parameter>', '</atem:invoke>', '<|eom|>', '<|eot|>', '<|start|>'],
    },
  },
  call: (name, args) => `${literal(` to=${name}<|message|><atem:function_calls>\n<atem:invoke name="${name}">\n`)} ${args} ${literal('</atem:invoke>\n</atem:function_calls>')}`,
  calls: (call) => `${call} ${literal('<|eom|>')}?`,
  triggers: (names) => names.map((name) => ({ text: ` to=${name}<|message|>` })),
};

// Hy3: GLM-4.5's tagged arguments with `:opensource` tags, in a `<tool_calls:opensource>` section,
// written with the template's newlines.
const HY3: FamilySyntax = {
  args: {
    kind: 'xml',
    syntax: {
      nameBefore: '<arg_key:opensource>',
      nameAfter: '</arg_key:opensource>\n<arg_value:opensource>',
      close: '</arg_value:opensource>\n',
      excluded: ['</arg_value:opensource>', '</tool_call:opensource>'],
    },
  },
  call: (name, args) => `${literal(`<tool_call:opensource>${name}<tool_sep:opensource>\n`)} ${args} ${literal('</tool_call:opensource>\n')}`,
  calls: (call, parallel) => `${literal('<tool_calls:opensource>\n')} ${repeat(call, call, '', parallel)} ${literal('</tool_calls:opensource>')}`,
  triggers: () => [{ text: '<tool_calls:opensource>' }],
};

// MiniCPM5: `<function name="NAME"><param name="P">VALUE</param>…</function>`, a newline between
// calls. The grammar writes values bare (the parser also reads `<![CDATA[…]]>`, which the model
// uses for values holding `<`, `&` or a newline: those stay out of grammar-made values).
const MINICPM5: FamilySyntax = {
  args: {
    kind: 'xml',
    syntax: {
      nameBefore: '<param name="',
      nameAfter: '">',
      close: '</param>',
      excluded: ['</param>', '</function>', '<', '&', '\n'],
    },
  },
  call: (name, args) => `${literal(`<function name="${name}">`)} ${args} ${literal('</function>')}`,
  calls: (call, parallel) => repeat(call, call, '\n', parallel),
  triggers: () => [{ text: '<function' }],
};

// Solar Open: `<|tool_calls|>` then per call `<|tool_call:begin|>ID<|tool_call:name|>NAME<|tool_call:args|>{…}<|tool_call:end|>`
// (ID: 10 characters [a-z0-9], as the template asks), then `<|calls|>`, which ends the turn and
// may be an end-of-generation token (never matched by a grammar literal): optional.
const SOLAR_OPEN: FamilySyntax = {
  args: { kind: 'json', excluded: ['<|tool_call:end|>', '<|calls|>'] },
  call: (name, args) => `${literal('<|tool_call:begin|>')} [a-z0-9]{10} ${literal(`<|tool_call:name|>${name}<|tool_call:args|>`)} ${args} ${literal('<|tool_call:end|>')}`,
  calls: (call, parallel) => `${literal('<|tool_calls|>')} ${repeat(call, call, '', parallel)} ${literal('<|calls|>')}?`,
  triggers: () => [{ text: '<|tool_calls|>' }],
};

// Functionary v3.1: `<function=NAME>{…}</function>`, calls back to back as the template writes them.
// (A `python` call after `<|python_tag|>` is parsed but not a trigger: the grammar offers one syntax.)
const FUNCTIONARY_V31: FamilySyntax = {
  args: { kind: 'json', excluded: ['</function>'] },
  call: (name, args) => `${literal(`<function=${name}>`)} ${args} ${literal('</function>')}`,
  calls: (call, parallel) => repeat(call, call, '', parallel),
  triggers: () => [{ text: '<function=' }],
};

// LFM2 / LFM2.5: `<|tool_call_start|>[NAME(key=value, …), …]<|tool_call_end|>` (tool-grammar/pythonic.ts).
const LFM2: FamilySyntax = {
  args: { kind: 'python', excluded: ['<|tool_call_end|>'] },
  call: (name, args) => `${literal(`${name}(`)} ${args} ${literal(')')}`,
  calls: (call, parallel) => `${literal('<|tool_call_start|>[')} ${repeat(call, call, ', ', parallel)} ${literal(']<|tool_call_end|>')}`,
  triggers: () => [{ text: '<|tool_call_start|>' }],
};

// Functionary v3.2: `NAME\n{…}`, then `>>>NAME\n{…}` per further call. The generation prompt ends
// with `>>>`, so the first call starts the output with its name (an at-start trigger); a call
// after text for the user (`all\n…`) starts with `>>>NAME\n`.
const FUNCTIONARY_V32: FamilySyntax = {
  args: { kind: 'json', excluded: ['>>>'] },
  call: (name, args) => `${literal(`${name}\n`)} ${args}`,
  calls: (call, parallel) => `${literal('>>>')}? ${repeat(call, call, '>>>', parallel)}`,
  triggers: (names) => names.flatMap((name) => [{ text: `${name}\n`, atStart: true }, { text: `>>>${name}\n` }]),
};

// Cohere Command R+: `Action:\n```json\n[\n    {"tool_name": "NAME", "parameters": {…}},\n    …\n]```.
const COMMAND_R_PLUS: FamilySyntax = {
  args: { kind: 'json', excluded: ['```'] },
  call: (name, args) => `${literal(`{"tool_name": ${JSON.stringify(name)}, "parameters": `)} ${args} ${literal('}')}`,
  calls: (call, parallel) => `${literal('Action:\n```json\n[\n    ')} ${repeat(call, call, ',\n    ', parallel)} ${literal('\n]```')}`,
  triggers: () => [{ text: 'Action:\n```json' }],
};

const DS_CALLS_BEGIN = '<｜tool▁calls▁begin｜>';
const DS_CALLS_END = '<｜tool▁calls▁end｜>';
const DS_CALL_BEGIN = '<｜tool▁call▁begin｜>';
const DS_CALL_END = '<｜tool▁call▁end｜>';
const DS_SEP = '<｜tool▁sep｜>';

// DeepSeek R1: `function<｜tool▁sep｜>NAME\n```json\n{…}\n```` per call. Three backticks in a
// JSON string would end the parser's fence early, so strings may not contain them either.
const DEEPSEEK_R1: FamilySyntax = {
  args: { kind: 'json', excluded: [DS_CALL_END, '```'] },
  call: (name, args) => `${literal(`${DS_CALL_BEGIN}function${DS_SEP}${name}\n\`\`\`json\n`)} ${args} ${literal(`\n\`\`\`${DS_CALL_END}`)}`,
  calls: (call, parallel) => `${literal(DS_CALLS_BEGIN)} ${repeat(call, call, '\n', parallel)} ${literal(DS_CALLS_END)}`,
  triggers: () => [{ text: DS_CALLS_BEGIN }],
};

const DEEPSEEK_V31: FamilySyntax = {
  args: { kind: 'json', excluded: [DS_CALL_END] },
  call: (name, args) => `${literal(`${DS_CALL_BEGIN}${name}${DS_SEP}`)} ${args} ${literal(DS_CALL_END)}`,
  calls: (call, parallel) => `${literal(DS_CALLS_BEGIN)} ${repeat(call, call, '', parallel)} ${literal(DS_CALLS_END)}`,
  triggers: () => [{ text: DS_CALLS_BEGIN }],
};

// gpt-oss (Harmony): `<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{…}`.
// One call per turn: `<|call|>` ends the turn, and it is an end-of-generation token, which
// llama.cpp's grammar sampler never matches against a literal (it is only allowed once the
// grammar is complete). So the grammar ends after the arguments; `<|call|>` as text is
// optional for vocabularies where it is an ordinary token.
const GPT_OSS: FamilySyntax = {
  // The parser ends a message body at any of these.
  args: { kind: 'json', excluded: ['<|end|>', '<|call|>', '<|return|>', '<|start|>'] },
  call: (name, args) => `${literal(`${name} <|constrain|>json<|message|>`)} ${args}`,
  calls: (call) => `${literal('<|channel|>commentary to=functions.')} ${call} ${literal('<|call|>')}?`,
  triggers: () => [{ text: '<|channel|>commentary to=' }],
};

/** `derived`: the markup inferred from the template (required for that family). */
export function familySyntax(family: FamilyId, mistralSyntax: MistralSyntax, derived?: DerivedSyntax): FamilySyntax {
  switch (family) {
    case 'derived':
      if (!derived?.tools) throw new Error('the derived family needs the inferred tool-call syntax');
      return derivedFamilySyntax(derived);
    case 'generic':
    case 'hermes':
      return HERMES;
    case 'qwen3-coder':
      return QWEN3_CODER;
    case 'glm45':
      return GLM45;
    case 'minimax-m2':
      return MINIMAX_M2;
    case 'seed-oss':
      return SEED_OSS;
    case 'nemotron-v2':
      return NEMOTRON_V2;
    case 'granite':
      return GRANITE;
    case 'apertus':
      return APERTUS;
    case 'gemma4':
      return GEMMA4;
    case 'command-r7b':
      return COMMAND_R7B;
    case 'command-r-plus':
      return COMMAND_R_PLUS;
    case 'apriel':
      return APRIEL;
    case 'minimax-m1':
      return MINIMAX_M1;
    case 'solar-open':
      return SOLAR_OPEN;
    case 'functionary-v3.1':
      return FUNCTIONARY_V31;
    case 'lfm2':
      return LFM2;
    case 'firefunction-v2':
      return FIREFUNCTION_V2;
    case 'minicpm5':
      return MINICPM5;
    case 'functionary-v3.2':
      return FUNCTIONARY_V32;
    case 'deepseek-v3.2':
      return deepseekDsml(DSML_V32);
    case 'deepseek-v4':
      return deepseekDsml(DSML_V4);
    case 'gigachat3':
      return gigachat('<|message_sep|>\n\nfunction call<|role_sep|>\n');
    case 'gigachat3.1':
      return gigachat('<|function_call|>');
    case 'hy3':
      return HY3;
    case 'muse-glimmer':
      return MUSE_GLIMMER;
    case 'minimax-m3':
      return MINIMAX_M3;
    case 'kimi-k3':
      return KIMI_K3_SYNTAX;
    case 'kimi-k2':
      return KIMI_K2;
    case 'llama3':
      return LLAMA3;
    case 'mistral':
      return mistral(mistralSyntax);
    case 'deepseek-r1':
      return DEEPSEEK_R1;
    case 'deepseek-v3.1':
      return DEEPSEEK_V31;
    case 'gpt-oss':
      return GPT_OSS;
  }
}
