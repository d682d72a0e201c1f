// What a template can do, found by rendering small probe conversations once at load time —
// the same approach (and the same probes) as llama.cpp's common/jinja/caps.cpp.

import { TemplateBudgetError } from './budget.js';
import { isArray, isMapping, type Environment, type RuntimeValue } from './jinja.js';

export interface TemplateCaps {
  /** The template renders a system message (Gemma 2's, for one, raises instead). */
  systemRole: boolean;
  /**
   * The template reads tool-call arguments as an object (`arguments | tojson`, `arguments.items()`,
   * `arguments.x`); otherwise it prints them and gets the JSON text. llama.cpp decides the same way.
   */
  objectArguments: boolean;
  /** The template renders the tool definitions it is given. */
  tools: boolean;
  /** The template renders the tool calls of earlier assistant turns. */
  toolCalls: boolean;
  /** Tool-call ids must be exactly this many alphanumerics (Mistral: 9). */
  toolCallIdLength?: number;
  /** The template reads an assistant message's reasoning from `thinking` (gpt-oss, LFM2) rather than `reasoning_content`. */
  thinkingField: boolean;
  /** The template rejects tool-call turns that have both content and reasoning (gpt-oss). */
  reasoningOrContent: boolean;
}

/** Renders a raw context; `prepare` may adjust the runtime values before the template runs. */
export type RawRender = (context: Record<string, unknown>, prepare?: (env: Environment) => void) => string;

const SYSTEM_MARKER = 'System message marker 7f3a';
const DESCRIPTION_MARKER = 'Tool description marker 7f3a';
const ARGUMENT_MARKER = 'argument value marker 7f3a';

/** A Map that records whether anyone looked inside it, except through plain iteration (see below). */
class TrackingMap extends Map<string, RuntimeValue> {
  used = false;
  override get(key: string): RuntimeValue | undefined {
    this.used = true;
    return super.get(key);
  }
  override has(key: string): boolean {
    this.used = true;
    return super.has(key);
  }
  override entries(): MapIterator<[string, RuntimeValue]> {
    this.used = true;
    return super.entries();
  }
  override keys(): MapIterator<string> {
    this.used = true;
    return super.keys();
  }
  override values(): MapIterator<RuntimeValue> {
    this.used = true;
    return super.values();
  }
  override forEach(callback: (value: RuntimeValue, key: string, map: Map<string, RuntimeValue>) => void): void {
    this.used = true;
    super.forEach(callback);
  }
  // Not tracked: `[Symbol.iterator]`, which our printing (python.ts pyRepr) uses. Printing
  // `{{ tool_call.arguments }}` means the template wants the text, as in llama.cpp, where
  // printing does not count as use either. The library's tojson, items(), attribute access and
  // `in` all go through the tracked methods above.
}

function child(value: RuntimeValue | undefined, key: string | number): RuntimeValue | undefined {
  if (value === undefined) return undefined;
  if (typeof key === 'number') return isArray(value) ? value.value[key] : undefined;
  return isMapping(value) ? value.value.get(key) : undefined;
}

function tryRender(render: RawRender, context: Record<string, unknown>, prepare?: (env: Environment) => void): string | undefined {
  try {
    return render(context, prepare);
  } catch (error) {
    // A probe the template refuses tells us something; one that went over the rendering limits
    // says every probe would (each would wait the full time limit): stop probing.
    if (error instanceof TemplateBudgetError) throw error;
    return undefined;
  }
}

const probeTools = [
  {
    type: 'function',
    function: {
      name: 'tool1',
      description: DESCRIPTION_MARKER,
      parameters: {
        type: 'object',
        properties: { arg: { type: 'string', description: 'Arg description' } },
        required: ['arg'],
      },
    },
  },
];

function toolConversation(args: Record<string, unknown> | string): unknown[] {
  return [
    { role: 'user', content: 'User message' },
    {
      role: 'assistant',
      content: '',
      tool_calls: [{ id: 'call00001', type: 'function', function: { name: 'tool1', arguments: args } }],
    },
    { role: 'tool', content: 'Tool response', tool_call_id: 'call00001', name: 'tool1' },
    { role: 'assistant', content: "The tool response was 'tool response'" },
    { role: 'user', content: 'User message' },
  ];
}

export function detectCaps(source: string, render: RawRender): TemplateCaps {
  const system = tryRender(render, {
    messages: [
      { role: 'system', content: SYSTEM_MARKER },
      { role: 'user', content: 'User message' },
    ],
  });
  const systemRole = system?.includes(SYSTEM_MARKER) ?? false;

  // Object arguments: does the template look inside them?
  let tracked: TrackingMap | undefined;
  const withObject = tryRender(render, { messages: toolConversation({ arg: ARGUMENT_MARKER }), tools: probeTools }, (env) => {
    const args = child(child(child(child(child(env.variables.get('messages'), 1), 'tool_calls'), 0), 'function'), 'arguments');
    if (args && isMapping(args)) {
      tracked = new TrackingMap(args.value);
      args.value = tracked;
    }
  });
  const objectArguments = withObject !== undefined && tracked?.used === true;
  const withString = objectArguments ? withObject : tryRender(render, { messages: toolConversation(JSON.stringify({ arg: ARGUMENT_MARKER })), tools: probeTools });

  // Source checks, as llama.cpp's own workarounds are keyed on template text.
  const thinkingField = /\b(?:message|msg|m)\s*(?:\.thinking\b|\[\s*['"]thinking['"]\s*\])|['"]thinking['"]\s+in\s+(?:message|msg)\b/.test(source);
  const reasoningOrContent = source.includes('Cannot pass both content and thinking');
  const idLength = /(?:\.id|\bid['"]\]|tool_call_id['"]?\]?)\s*\|\s*length\s*!=\s*(\d+)/.exec(source)?.[1];
  return {
    systemRole,
    objectArguments,
    tools: withString?.includes(DESCRIPTION_MARKER) ?? false,
    toolCalls: withString?.includes(ARGUMENT_MARKER) ?? false,
    ...(idLength !== undefined ? { toolCallIdLength: Number(idLength) } : {}),
    thinkingField,
    reasoningOrContent,
  };
}
