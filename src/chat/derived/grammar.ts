// The lazy tool-call grammar for a DerivedSyntax (see tool-grammar/families.ts for the shape):
// the call markup exactly as the template renders it — the probe call's rendering with the
// tool's name and arguments put in — triggered by the section's or the call's opening marker.
// What it admits, the derived parser (parser.ts) turns into calls.

import { literal } from '../tool-grammar/gbnf.js';
import type { FamilySyntax } from '../tool-grammar/families.js';
import { CALL_ID_SLOT, NAME_SLOT, type DerivedSyntax } from './syntax.js';

/** `first (sep call)*`, or `first` alone. */
const repeat = (call: string, separator: string, parallel: boolean): string => (parallel ? `${call} ( ${separator ? `${literal(separator)} ` : ''}${call} )*` : call);

/** A call id where the probe's was rendered: 9 letters or digits, as the probe ids (and Mistral's templates). */
const CALL_ID = '[a-zA-Z0-9]{9}';

/** Rendered markup as GBNF: a call id slot becomes any id; with `counts`, digits (Kimi's `:0`) any number. */
function markup(text: string, counts = false): string {
  const pieces = (part: string): string[] =>
    counts ? part.split(/([0-9]+)/).map((piece, index) => (index % 2 === 1 ? '[0-9]{1,3}' : piece ? literal(piece) : '')) : [literal(part)];
  return text
    .split(CALL_ID_SLOT)
    .flatMap((part, index) => [...(index > 0 ? [CALL_ID] : []), ...(part ? pieces(part) : [])])
    .filter(Boolean)
    .join(' ');
}

export function derivedFamilySyntax(syntax: DerivedSyntax): FamilySyntax {
  const tools = syntax.tools;
  if (!tools) throw new Error('the derived syntax has no tool calls');
  const body = tools.body;
  // Texts a JSON string or a raw value may not contain: they would end the call in the parser.
  const closers = [tools.call.close, tools.section?.close ?? ''].filter(Boolean);
  const sectioned = (calls: string): string => {
    const section = tools.section;
    if (!section) return calls;
    return `${literal(section.open + section.afterOpen)} ${calls} ${literal(section.beforeClose + section.close)}`;
  };
  if (body.kind === 'json') {
    const fill = (part: string, name: string): string => part.split(JSON.stringify(NAME_SLOT)).join(JSON.stringify(name));
    const object = (name: string, args: string): string => [markup(fill(body.before, name)), args, markup(fill(body.after, name))].filter(Boolean).join(' ');
    if (body.array || body.sequence) {
      return {
        args: { kind: 'json', excluded: closers },
        call: object,
        calls: (call, parallel) => `${literal(tools.callHead)} ${repeat(call, body.arraySeparator, parallel)} ${literal(tools.callTail)}`,
        triggers: () => [{ text: tools.call.open }],
      };
    }
    return {
      args: { kind: 'json', excluded: closers },
      call: (name, args) => [markup(tools.callHead), object(name, args), markup(tools.callTail)].filter(Boolean).join(' '),
      calls: (call, parallel) => sectioned(repeat(call, tools.separator, parallel)),
      // No markup (Llama 3.x): the JSON's start up to its first key (`{"name"`), at the start of the output.
      triggers: () => (tools.call.open ? [{ text: tools.section?.open ?? tools.call.open }] : [{ text: body.before.split(':')[0]!, atStart: true }]),
    };
  }
  const args = body.args;
  const head = (name: string): string => [markup(tools.callHead + name), markup(body.nameSuffix, body.nameSuffixCounts)].filter(Boolean).join(' ');
  return {
    args:
      args.kind === 'json'
        ? { kind: 'json', excluded: [...closers, body.argsClose.trim()].filter(Boolean) }
        : {
            kind: 'xml',
            syntax: {
              nameBefore: args.keyOpen,
              nameAfter: args.keyClose,
              ...(args.keyCloseOther ? { nameAfterJson: args.keyCloseOther } : {}),
              close: args.valueClose,
              excluded: [args.valueClose.trim(), ...closers],
            },
          },
    call: (name, argsRule) => [head(name), argsRule, markup(tools.callTail)].filter(Boolean).join(' '),
    calls: (call, parallel) => sectioned(repeat(call, tools.separator, parallel)),
    triggers: () => [{ text: tools.section?.open ?? tools.call.open }],
  };
}
