// The template-derived parser: for templates no hand-written family matches, the output markup
// is inferred from the template's own renderings (probe.ts → infer.ts → DerivedSyntax) and
// turned into a streaming parser (parser.ts) and a lazy tool-call grammar (grammar.ts).

import type { ParsedEvent } from '../output-parser.js';
import type { ChatTemplate } from '../template.js';
import { diffRegion, type Inference, inferSyntax } from './infer.js';
import { createDerivedParser } from './parser.js';
import { PROBE, PROBE_ARGUMENTS, PROBE_TOOLS, type ProbeRenderings, renderProbes } from './probe.js';
import type { DerivedSyntax } from './syntax.js';

export type { Inference } from './infer.js';
export { describeSyntax, type DerivedSyntax } from './syntax.js';

/** The calls the derived parser makes of `text`, as `name(arguments JSON)`. */
function callsIn(syntax: DerivedSyntax, text: string): string[] {
  const parser = createDerivedParser(syntax, { reasoningFormat: 'auto', toolsEnabled: true, prompt: '', tools: PROBE_TOOLS, newToolCallId: () => 'call_0', warn: () => {} });
  const events: ParsedEvent[] = [...parser.push(text), ...parser.finish()];
  const calls: string[] = [];
  for (const event of events) {
    if (event.type === 'tool_call_start') calls.push(`${event.name}(`);
    else if (event.type === 'tool_call_arguments') calls[calls.length - 1] += event.json;
    else if (event.type === 'tool_call_end') calls[calls.length - 1] += ')';
  }
  return calls;
}

/**
 * Whether the inferred markup reads the template's own renderings of the probe calls back
 * (one call, and two where the template renders two): an inference that does not is wrong
 * (e.g. channels, or markup that changes between calls) and is not used.
 */
function readsItsOwnCalls(syntax: DerivedSyntax, probes: ProbeRenderings): boolean {
  const call = (name: string): string => `${name}(${JSON.stringify(PROBE_ARGUMENTS)})`;
  const one = callsIn(syntax, diffRegion(probes.content!, probes.oneCall!));
  if (JSON.stringify(one) !== JSON.stringify([call(PROBE.tool)])) return false;
  if (!probes.twoCalls?.includes(PROBE.otherTool)) return true;
  return JSON.stringify(callsIn(syntax, diffRegion(probes.content!, probes.twoCalls))) === JSON.stringify([call(PROBE.tool), call(PROBE.otherTool)]);
}

/** Render the probes through the template and infer its markup; tool-call markup is kept only if it reads the template's own calls back. */
export function deriveSyntax(template: ChatTemplate): Inference {
  const probes = renderProbes(template);
  const inference = inferSyntax(probes, template.source);
  if ('error' in inference || !inference.syntax.tools || readsItsOwnCalls(inference.syntax, probes)) return inference;
  const notes = [...inference.notes, 'tool calls: the inferred markup does not read the template’s own rendering of the probe calls back'];
  const { reasoning } = inference.syntax;
  return reasoning
    ? { syntax: { reasoning }, notes }
    : { error: 'the inferred tool-call markup does not read the template’s own calls back, and there is no reasoning markup', notes };
}
