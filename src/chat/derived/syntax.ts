// What the template-derived parser knows about a model's output markup: inferred from the
// template's own renderings (infer.ts) when no hand-written family matches, and turned into a
// streaming parser (parser.ts) and a lazy tool-call grammar (grammar.ts).
//
// Markers are kept as the template renders them, whitespace included: the grammar writes them
// exactly so, the parser matches them with any whitespace around and between their parts.

/** The thinking block, e.g. `<think>` … `</think>`. */
export interface DerivedReasoning {
  open: string;
  close: string;
  /** Whitespace the template writes after the opening / the closing tag (the parser drops it). */
  afterOpen: string;
  afterClose: string;
  /** How it was found: an assistant turn's reasoning_content, an empty block the template writes, or the generation prompt. */
  source: 'reasoning_content' | 'empty block' | 'generation prompt';
}

/** Arguments as tagged pairs: `<parameter=KEY>VALUE</parameter>`, `<arg_key>KEY</arg_key><arg_value>VALUE</arg_value>`, … */
export interface DerivedTaggedArgs {
  kind: 'tagged';
  /** Before each key (`\n<parameter=`). */
  keyOpen: string;
  /** Between a key and its value (`>\n`, `</arg_key>\n<arg_value>`). */
  keyClose: string;
  /**
   * Between a key and a value that is not a string, where the template writes it differently
   * (DeepSeek V3.2's `" string="false">` vs `" string="true">`).
   */
  keyCloseOther?: string;
  /** After each value (`\n</parameter>`). */
  valueClose: string;
}

/** A call whose name sits in markup, followed by its arguments. */
export interface DerivedNamedCall {
  kind: 'named';
  /** Between the call's opening marker and the name (`<function=`, `functions.`). */
  namePrefix: string;
  /** Between the name and the arguments (`>`, `<｜tool▁sep｜>`, `:0<|tool_call_argument_begin|>`). */
  nameSuffix: string;
  /** Digits in nameSuffix count the calls (Kimi's `:0`, `:1`): any number is accepted there. */
  nameSuffixCounts: boolean;
  /** A JSON object, or tagged pairs. */
  args: { kind: 'json' } | DerivedTaggedArgs;
  /** Between the arguments and the call's closing marker (`\n</function>`, "\n```"). */
  argsClose: string;
}

/** A call that is one JSON object (`{"name": …, "arguments": {…}}`), or a JSON array of them. */
export interface DerivedJsonCall {
  kind: 'json';
  /** Where the name and the arguments sit in the object (`["name"]`, `["function", "arguments"]`). */
  namePath: string[];
  argsPath: string[];
  /** The call markup holds a JSON array of call objects (`[TOOL_CALLS][{…}, {…}]`). */
  array: boolean;
  /** The call markup holds call objects one after another (MiniMax-M1's `<tool_calls>\n{…}\n{…}\n</tool_calls>`). */
  sequence: boolean;
  /** One call object as rendered, split at the arguments object, with the name as NAME_SLOT. */
  before: string;
  after: string;
  /** Between two objects of the array or sequence (`, `, `\n`). */
  arraySeparator: string;
}

/** Marks the tool name in DerivedJsonCall.before / after. */
export const NAME_SLOT = '\u0000NAME\u0000';

/**
 * Marks a call id in rendered markup (Mistral's `[CALL_ID]…[ARGS]`, Nemo's `"id": "…"`): the
 * parser accepts any id there, the grammar any 9 letters or digits (the probe ids' length).
 */
export const CALL_ID_SLOT = '\u0000ID\u0000';

export interface DerivedTools {
  /** A wrapper around all the calls of a turn (`<minimax:tool_call>` … `</minimax:tool_call>`). */
  section?: {
    open: string;
    close: string;
    /** Rendered text between the section's opening marker and the first call, and between the last call and its closing marker. */
    afterOpen: string;
    beforeClose: string;
  };
  /**
   * One call: its opening marker (the parser's trigger) and closing marker ('' when the call is
   * a JSON value with nothing after it, e.g. `[TOOL_CALLS][…]`). Both '' for JSON calls with no
   * markup at all (Llama 3.x), read at the start of the output only.
   */
  call: { open: string; close: string };
  /** Between two calls, as rendered (`\n`). */
  separator: string;
  body: DerivedNamedCall | DerivedJsonCall;
  /** Rendered text: from the call's opening marker to the name (or the JSON), and from the arguments' end to its closing marker. */
  callHead: string;
  callTail: string;
}

export interface DerivedSyntax {
  reasoning?: DerivedReasoning;
  tools?: DerivedTools;
  /** Markers around the answer text, dropped from it (Command R7B's `<|START_RESPONSE|>` … `<|END_RESPONSE|>`). */
  content?: { open: string; close: string };
}

/** The markers as /props and the start-up log show them. */
export function describeSyntax(syntax: DerivedSyntax): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (syntax.reasoning) out.reasoning = { open: syntax.reasoning.open, close: syntax.reasoning.close, source: syntax.reasoning.source };
  if (syntax.content) out.content = syntax.content;
  const tools = syntax.tools;
  if (tools) {
    const body = tools.body;
    out.tool_calls = {
      ...(tools.section ? { section: { open: tools.section.open, close: tools.section.close } } : {}),
      call: tools.call,
      separator: tools.separator,
      ...(body.kind === 'json'
        ? { format: body.array ? 'json-array' : body.sequence ? 'json-sequence' : 'json', name_path: body.namePath, arguments_path: body.argsPath }
        : {
            format: body.args.kind === 'json' ? 'name + json-arguments' : 'name + tagged-arguments',
            name_prefix: body.namePrefix.trim(),
            name_suffix: body.nameSuffix.trim().split(CALL_ID_SLOT).join('<id>'),
            ...(body.args.kind === 'tagged'
              ? {
                  key_open: body.args.keyOpen.trim(),
                  key_close: body.args.keyClose.trim(),
                  ...(body.args.keyCloseOther ? { key_close_json: body.args.keyCloseOther.trim() } : {}),
                  value_close: body.args.valueClose.trim(),
                }
              : {}),
            ...(body.argsClose.trim() ? { arguments_close: body.argsClose.trim() } : {}),
          }),
    };
  }
  return out;
}
