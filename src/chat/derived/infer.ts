// Probe renderings (probe.ts) → the template's output markup (DerivedSyntax), by diffing.
//
// Tool calls: the assistant turn with one call vs with plain content gives the call markup;
// the probe tool's name, its arguments' keys and values are found in it again, which tells
// where the name sits and how the arguments are written: a JSON object holding name and
// arguments (`{"name": …, "arguments": …}`, possibly a JSON array of them), the name in markup
// then a JSON object, or the name then tagged key/value pairs (`<parameter=k>v</parameter>`,
// `<arg_key>k</arg_key><arg_value>v</arg_value>`, `<parameter name="k">v</parameter>`: the
// markup around the keys and values is what two arguments' renderings have in common). Two
// calls vs one tell the per-call markers from a section wrapped around all calls, and the
// separator between calls.
//
// Reasoning: the turn with reasoning_content vs without gives the thinking tags; else an empty
// block the template writes before the content (`<think></think>`), else the generation prompt
// with thinking off (`<think>\n</think>`) or on (`<think>\n`, thinking forced open).
//
// Diffs work on whole tokens (a marker `<…>` / `[…]`, a whitespace run, other text), as
// llama.cpp's autoparser fixes its diff boundaries so that no marker is cut in two.

import { scanJsonValue } from '../parsers/json-scan.js';
import { PROBE, PROBE_ARGUMENTS, type ProbeRenderings } from './probe.js';
import {
  CALL_ID_SLOT,
  type DerivedJsonCall,
  type DerivedNamedCall,
  type DerivedReasoning,
  type DerivedSyntax,
  type DerivedTaggedArgs,
  type DerivedTools,
  NAME_SLOT,
} from './syntax.js';

export type Inference = { syntax: DerivedSyntax; notes: string[] } | { error: string; notes: string[] };

const TOKEN = /<[^<>]*>|\[[^[\]]*\]|\s+|[^<[\s]+|[\s\S]/g;

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** A complete marker: `<…>` or `[…]` (special tokens such as `<|im_end|>` or `<｜tool▁sep｜>` included). */
export const isMarker = (token: string | undefined): boolean => token !== undefined && /^(<[^<>\s][^<>]*>|\[[^[\]\s][^[\]]*\])$/.test(token);

/** The longest common prefix of a and b made of whole tokens. */
export function commonPrefix(a: string, b: string): string {
  const ta = tokenize(a);
  const tb = tokenize(b);
  let out = '';
  for (let i = 0; i < ta.length && i < tb.length && ta[i] === tb[i]; i++) out += ta[i];
  return out;
}

/** The longest common suffix of a and b made of whole tokens. */
export function commonSuffix(a: string, b: string): string {
  const ta = tokenize(a);
  const tb = tokenize(b);
  let out = '';
  for (let i = 1; i <= ta.length && i <= tb.length && ta[ta.length - i] === tb[tb.length - i]; i++) out = ta[ta.length - i]! + out;
  return out;
}

/** What `variant` has where it differs from `base` (common prefix and suffix removed). */
export function diffRegion(base: string, variant: string): string {
  const prefix = commonPrefix(base, variant);
  const suffix = commonSuffix(base.slice(prefix.length), variant.slice(prefix.length));
  return variant.slice(prefix.length, variant.length - suffix.length);
}

const firstMarker = (text: string): string | undefined => tokenize(text).find(isMarker);
const lastMarker = (text: string): string | undefined => tokenize(text).findLast(isMarker);

/** `</x>` for `<x>`, `[/X]` for `[X]`. */
const closingOf = (open: string): string => open[0] + '/' + open.slice(1);

/** Whether `close` closes `open`: `<x>` / `</x>`, or the same name with START / BEGIN → END (`<|START_THINKING|>` / `<|END_THINKING|>`). */
const closes = (open: string | undefined, close: string | undefined): boolean =>
  isMarker(open) &&
  isMarker(close) &&
  (close === closingOf(open!) || (/START|BEGIN/i.test(open!) && close === open!.replace(/START|BEGIN/i, (m) => (m === m.toUpperCase() ? 'END' : 'end'))));

/** The last two non-whitespace tokens of `text` when they are an empty block (`<think></think>`). */
function emptyBlockAtEnd(text: string): { open: string; close: string; afterClose: string } | undefined {
  const [open, close] = tokenize(text)
    .filter((t) => t.trim())
    .slice(-2);
  if (!closes(open, close)) return undefined;
  return { open: open!, close: close!, afterClose: text.slice(text.lastIndexOf(close!) + close!.length) };
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The key path to the first value `match` accepts (objects only, at most 3 deep). */
function pathTo(value: unknown, match: (value: unknown) => boolean, depth = 0): string[] | undefined {
  if (match(value)) return [];
  if (depth >= 3 || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const rest = pathTo(child, match, depth + 1);
    if (rest) return [key, ...rest];
  }
  return undefined;
}

interface JsonAt {
  start: number;
  end: number;
  value: unknown;
}

/** The first JSON object or array starting at or after `from` that `accept` takes. */
function findJson(text: string, from: number, accept: (value: unknown) => boolean): JsonAt | undefined {
  for (let start = from; start < text.length; start++) {
    const c = text[start];
    if (c !== '{' && c !== '[') continue;
    const end = scanJsonValue(text, start);
    if (end < 0) continue;
    try {
      const value = JSON.parse(text.slice(start, end)) as unknown;
      if (accept(value)) return { start, end, value };
    } catch {
      // not JSON here
    }
  }
  return undefined;
}

const isArgs = (value: unknown): boolean => deepEqual(value, PROBE_ARGUMENTS);
const callPaths = (value: unknown, name: string): { namePath: string[]; argsPath: string[] } | undefined => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const namePath = pathTo(value, (v) => v === name);
  const argsPath = pathTo(value, isArgs);
  return namePath?.length && argsPath?.length ? { namePath, argsPath } : undefined;
};

/** Per-call markup vs section markup, from one call (head, tail) and two calls (between, after). */
interface Structure {
  section?: DerivedTools['section'];
  perCallHead: string;
  perCallTail: string;
  separator: string;
}

const TWO_CALLS_REFUSED = 'no second call in the rendering: no section, calls separated by a newline';

function structure(head: string, tail: string, between: string | undefined, notes: string[]): Structure {
  let perCallHead: string;
  let perCallTail: string;
  let separator = '\n';
  if (between !== undefined) {
    perCallHead = commonSuffix(head, between).trimStart();
    perCallTail = commonPrefix(between, tail).trimEnd();
    if (perCallHead.length + perCallTail.length <= between.length) {
      separator = between.slice(perCallTail.length, between.length - perCallHead.length);
    } else {
      // The two overlap: the second call's opening is also the end of the first (no separator).
      perCallTail = between.slice(0, between.length - perCallHead.length).trimEnd();
      separator = '';
    }
  } else {
    // One call only (the template refused two, or the calls are one JSON array): the tail up
    // to its first marker closes the call.
    const close = firstMarker(tail);
    perCallTail = close ? tail.slice(0, tail.indexOf(close) + close.length) : tail.trimEnd();
    perCallHead = head.trimStart();
  }
  const beforeCalls = head.slice(0, head.length - perCallHead.length);
  const afterCalls = tail.slice(perCallTail.length);
  const sectionOpen = lastMarker(beforeCalls);
  const sectionClose = firstMarker(afterCalls);
  if (sectionOpen && !sectionClose) notes.push(`"${sectionOpen}" before the calls has no closing marker: ignored`);
  if (!sectionOpen || !sectionClose) return { perCallHead, perCallTail, separator };
  return {
    section: {
      open: sectionOpen,
      close: sectionClose,
      afterOpen: beforeCalls.slice(beforeCalls.lastIndexOf(sectionOpen) + sectionOpen.length),
      beforeClose: afterCalls.slice(0, afterCalls.indexOf(sectionClose)),
    },
    perCallHead,
    perCallTail,
    separator,
  };
}

/** The call's opening marker and the text after it (up to the name or the JSON). */
function splitHead(perCallHead: string): { open: string; rest: string } | undefined {
  const text = perCallHead.trimStart();
  const first = tokenize(text)[0];
  if (first === undefined) return undefined;
  if (isMarker(first)) return { open: first, rest: text.slice(first.length) };
  // Not a whole marker (MiniMax's `<invoke name="`): the whole head opens the call.
  return text.trim() ? { open: text.trim(), rest: '' } : undefined;
}

/** The call's closing marker ('' when none) and the text before it. */
function splitTail(perCallTail: string): { close: string; rest: string } {
  const text = perCallTail.trimEnd();
  const last = tokenize(text).at(-1);
  if (last !== undefined && isMarker(last)) return { close: last, rest: text.slice(0, text.length - last.length) };
  return { close: '', rest: text };
}

const maskDigits = (text: string): string => text.replace(/[0-9]+/g, '0');

/** The n-th probe call's id (rendered in some templates' markup) as CALL_ID_SLOT. */
const idSlot = (text: string, call: 0 | 1): string => text.split(PROBE.callIds[call]).join(CALL_ID_SLOT);

function inferJsonCalls(m1: string, m2: string | undefined, found: JsonAt, notes: string[]): DerivedTools | string {
  const array = Array.isArray(found.value);
  // The first call object: the JSON itself, or the array's first element.
  const object = array ? findJson(m1, found.start + 1, (v) => callPaths(v, PROBE.tool) !== undefined) : found;
  if (!object) return 'no call object in the JSON array';
  const paths = callPaths(object.value, PROBE.tool)!;
  const text = m1.slice(object.start, object.end);
  const args = findJson(text, 1, isArgs);
  if (!args) return 'the arguments are not a JSON object in the call';
  const slot = (part: string): string => idSlot(part.split(JSON.stringify(PROBE.tool)).join(JSON.stringify(NAME_SLOT)), 0);
  let arraySeparator = ', ';
  let between: string | undefined;
  if (m2 !== undefined) {
    const second = findJson(m2, object.end, (v) => callPaths(v, PROBE.otherTool) !== undefined);
    if (second) {
      if (array) arraySeparator = m2.slice(object.end, second.start);
      else between = m2.slice(object.end, second.start);
    }
  }
  const head = m1.slice(0, found.start);
  const tail = m1.slice(found.end);
  // A JSON array holds every call: its opening marker opens it, the first marker after it closes it.
  if (!array && between === undefined) notes.push(TWO_CALLS_REFUSED);
  // A JSON array of calls opens at the marker right before it (Command R7B writes an empty
  // thinking block before `<|START_ACTION|>[`).
  const s = structure(array && lastMarker(head) ? head.slice(head.lastIndexOf(lastMarker(head)!)) : head, tail, array ? undefined : between, notes);
  const body: DerivedJsonCall = {
    kind: 'json',
    ...paths,
    array,
    sequence: false,
    before: slot(text.slice(0, args.start)),
    after: slot(text.slice(args.end)),
    arraySeparator,
  };
  if (!s.perCallHead.trim() && s.section) {
    // Bare call objects one after another in a section: the section is the call, a sequence.
    const { open, close, afterOpen, beforeClose } = s.section;
    return { call: { open, close }, separator: '', body: { ...body, sequence: true, arraySeparator: s.separator }, callHead: open + afterOpen, callTail: beforeClose + close };
  }
  const opening = splitHead(s.perCallHead);
  if (!opening && !array && !s.section && !head.trim()) {
    // No markup at all around the call (Llama 3.x): JSON calls at the start of the output.
    notes.push('the JSON call has no opening marker: calls are read at the start of the output only');
    return { call: { open: '', close: '' }, separator: s.separator, body, callHead: '', callTail: '' };
  }
  if (!opening) return 'the JSON call has no opening marker';
  const closing = splitTail(s.perCallTail);
  return {
    ...(s.section ? { section: s.section } : {}),
    call: { open: opening.open, close: closing.close },
    separator: s.separator,
    body,
    callHead: s.perCallHead.trimStart() + (array ? '[' : ''),
    callTail: (array ? ']' : '') + s.perCallTail,
  };
}

/** Two spellings of the rest of one tag between key and value (`" string="true">` / `" string="false">`): attributes, the same end. */
function sameEnding(a: string, b: string): boolean {
  return !/[<[]/.test(a + b) && a.trimEnd().at(-1) !== undefined && a.trimEnd().at(-1) === b.trimEnd().at(-1);
}

/** Tagged arguments: the markup around two arguments' keys and values. */
function inferTagged(m1: string, nameEnd: number): { args: DerivedTaggedArgs; argsStart: number; argsEnd: number } | string {
  const k1 = m1.indexOf(PROBE.stringArg, nameEnd);
  const v1 = m1.indexOf(PROBE.stringValue, k1);
  const k2 = m1.indexOf(PROBE.numberArg, v1);
  const v2 = m1.indexOf(String(PROBE.numberValue), k2);
  if (k1 < 0 || v1 < 0 || k2 < 0 || v2 < 0) return 'the arguments are neither JSON nor key/value markup in order';
  const x0 = m1.slice(nameEnd, k1);
  const keyClose = m1.slice(k1 + PROBE.stringArg.length, v1);
  const x1 = m1.slice(v1 + PROBE.stringValue.length, k2);
  const keyClose2 = m1.slice(k2 + PROBE.numberArg.length, v2);
  const rest = m1.slice(v2 + String(PROBE.numberValue).length);
  // The template may mark a value's type between key and value (DeepSeek V3.2's `string="true"`):
  // both spellings are kept, as long as they share their closing markup.
  if (keyClose !== keyClose2 && !sameEnding(keyClose, keyClose2)) {
    return `a string and a number argument are written differently (${JSON.stringify(keyClose)} vs ${JSON.stringify(keyClose2)})`;
  }
  const keyOpen = commonSuffix(x0, x1);
  const valueClose = commonPrefix(x1.slice(0, x1.length - keyOpen.length), rest);
  if (!keyOpen.trim() || !keyClose.trim() || !valueClose.trim()) return 'no markup around argument keys and values';
  const args: DerivedTaggedArgs = { kind: 'tagged', keyOpen, keyClose, valueClose, ...(keyClose2 !== keyClose ? { keyCloseOther: keyClose2 } : {}) };
  return { args, argsStart: k1 - keyOpen.length, argsEnd: v2 + String(PROBE.numberValue).length + valueClose.length };
}

function inferNamedCalls(m1: string, m2: string | undefined, notes: string[]): DerivedTools | string {
  const nameStart = m1.indexOf(PROBE.tool);
  const nameEnd = nameStart + PROBE.tool.length;
  const json = findJson(m1, nameEnd, isArgs);
  let args: DerivedNamedCall['args'];
  let argsStart: number;
  let argsEnd: number;
  if (json) {
    args = { kind: 'json' };
    argsStart = json.start;
    argsEnd = json.end;
  } else {
    const tagged = inferTagged(m1, nameEnd);
    if (typeof tagged === 'string') return tagged;
    ({ args, argsStart, argsEnd } = tagged);
  }
  // A call id in the markup (Mistral's `[CALL_ID]…[ARGS]`) is any id.
  const nameSuffix = idSlot(m1.slice(nameEnd, argsStart), 0);
  let between: string | undefined;
  let nameSuffixCounts = false;
  if (m2 !== undefined && m2.slice(0, argsEnd) === m1.slice(0, argsEnd)) {
    const second = m2.indexOf(PROBE.otherTool, argsEnd);
    const rawCore = m1.slice(nameEnd, argsEnd);
    const core = idSlot(rawCore, 0);
    const core2 = second < 0 ? undefined : idSlot(m2.slice(second + PROBE.otherTool.length, second + PROBE.otherTool.length + rawCore.length), 1);
    if (core2 !== undefined && maskDigits(core2) === maskDigits(core)) {
      between = m2.slice(argsEnd, second);
      // Kimi's `functions.NAME:0` / `:1`: a call counter right after the name.
      nameSuffixCounts = core2 !== core;
    } else {
      notes.push('the second call is written differently from the first: ignored');
    }
  }
  if (between === undefined) notes.push(TWO_CALLS_REFUSED);
  const s = structure(m1.slice(0, nameStart), m1.slice(argsEnd), between, notes);
  const opening = splitHead(s.perCallHead);
  if (!opening) return 'the call has no opening marker before its name';
  const closing = splitTail(s.perCallTail);
  // No closing marker: the JSON arguments end the call (Mistral's `[TOOL_CALLS]NAME[ARGS]{…}`).
  if (!closing.close && args.kind !== 'json') return 'the call has no closing marker';
  const body: DerivedNamedCall = { kind: 'named', namePrefix: opening.rest, nameSuffix, nameSuffixCounts, args, argsClose: closing.rest };
  return {
    ...(s.section ? { section: s.section } : {}),
    call: { open: opening.open, close: closing.close },
    separator: s.separator,
    body,
    callHead: s.perCallHead,
    callTail: s.perCallTail,
  };
}

function inferTools(probes: ProbeRenderings, notes: string[]): DerivedTools | string {
  if (probes.content === undefined || probes.oneCall === undefined) return 'the template refused an assistant turn with a tool call';
  if (!probes.oneCall.includes(PROBE.tool)) return 'the template does not render tool calls';
  const m1 = diffRegion(probes.content, probes.oneCall);
  if (!m1.includes(PROBE.tool)) return 'the tool name is outside the rendered call';
  const m2 = probes.twoCalls?.includes(PROBE.otherTool) ? diffRegion(probes.content, probes.twoCalls) : undefined;
  // A JSON value holding the name and the arguments: the whole call is JSON.
  const whole = findJson(m1, 0, (v) => callPaths(Array.isArray(v) ? v[0] : v, PROBE.tool) !== undefined);
  if (whole && whole.start < m1.indexOf(PROBE.tool)) return inferJsonCalls(m1, m2, whole, notes);
  return inferNamedCalls(m1, m2, notes);
}

/** Reasoning tags around `at` in `text`: the marker before (whitespace between allowed) and the one after. */
function tagsAround(text: string, at: number, length: number): Omit<DerivedReasoning, 'source'> | undefined {
  const before = tokenize(text.slice(0, at));
  const after = tokenize(text.slice(at + length));
  let afterOpen = '';
  if (before.length && !before.at(-1)!.trim()) afterOpen = before.pop()!;
  const open = before.at(-1);
  if (after.length && !after[0]!.trim()) after.shift();
  const close = after[0];
  const afterClose = after[1] !== undefined && !after[1].trim() ? after[1] : '';
  if (!isMarker(open) || !isMarker(close) || open === close) return undefined;
  return { open: open!, close: close!, afterOpen, afterClose };
}

/** Whether `marker` is right before or after the user's message (whitespace aside) in the history rendering. */
function framesUserMessage(history: string | undefined, marker: string): boolean {
  if (!history?.includes(PROBE.user)) return false;
  const at = history.indexOf(PROBE.user);
  const before = tokenize(history.slice(0, at)).filter((t) => t.trim());
  const after = tokenize(history.slice(at + PROBE.user.length)).filter((t) => t.trim());
  return before.at(-1) === marker || after[0] === marker;
}

function inferReasoning(probes: ProbeRenderings, source: string): DerivedReasoning | undefined {
  const withReasoning = probes.reasoning;
  if (withReasoning?.includes(PROBE.reasoning) && !withReasoning.includes(`${PROBE.reasoning}${PROBE.content}`)) {
    const tags = tagsAround(withReasoning, withReasoning.indexOf(PROBE.reasoning), PROBE.reasoning.length);
    // A tag that also frames the user's message is a role or channel marker (`<|message|>`), not thinking.
    if (tags && !framesUserMessage(probes.history, tags.open)) return { ...tags, source: 'reasoning_content' };
  }
  // An empty block the template writes before the content (`<think></think>PROBE…`: Kimi,
  // GLM) or before the calls (`<|START_THINKING|><|END_THINKING|><|START_ACTION|>`: Command R7B).
  const content = probes.content;
  const wrapper = contentWrapper(probes);
  if (content?.includes(PROBE.content)) {
    const before = content.slice(0, content.indexOf(PROBE.content));
    const block = emptyBlockAtEnd(wrapper ? before.slice(0, before.lastIndexOf(wrapper.open)) : before);
    if (block) return { ...block, afterOpen: '', source: 'empty block' };
  }
  if (content !== undefined && probes.oneCall !== undefined) {
    const calls = diffRegion(content, probes.oneCall);
    const firstCallMarker = tokenize(calls).findIndex((t) => isMarker(t) && !/think|reason/i.test(t));
    const block = firstCallMarker > 0 ? emptyBlockAtEnd(tokenize(calls).slice(0, firstCallMarker).join('')) : undefined;
    if (block && /think|reason/i.test(block.open)) return { ...block, afterOpen: '', source: 'empty block' };
  }
  // The generation prompt: thinking off closes an empty block (`<think>\n</think>`), thinking
  // on may open one (`<think>\n`, thinking forced open) whose closing tag the template names.
  for (const prompt of [probes.promptNoThinking, probes.promptThinking]) {
    if (prompt === undefined || probes.history === undefined) continue;
    const tail = tokenize(diffRegion(probes.history, prompt)).filter((t) => t.trim());
    const [a, b] = tail.slice(-2);
    if (closes(a, b)) return { open: a!, close: b!, afterOpen: '\n', afterClose: '\n\n', source: 'generation prompt' };
    if (isMarker(b) && /^<[a-zA-Z][\w:-]*>$/.test(b!) && source.includes(closingOf(b!))) {
      return { open: b!, close: closingOf(b!), afterOpen: '\n', afterClose: '\n\n', source: 'generation prompt' };
    }
  }
  return undefined;
}

/**
 * Markers the template writes around the answer text only: the content rendering's own part
 * (vs the call rendering) is exactly `OPEN PROBE_CONTENT CLOSE` (Command R7B's
 * `<|START_RESPONSE|>…<|END_RESPONSE|>`).
 */
function contentWrapper(probes: ProbeRenderings): { open: string; close: string } | undefined {
  if (probes.content === undefined || probes.oneCall === undefined) return undefined;
  const tokens = tokenize(diffRegion(probes.oneCall, probes.content)).filter((t) => t.trim());
  const [open, text, close] = tokens;
  return tokens.length === 3 && text === PROBE.content && isMarker(open) && isMarker(close) && open !== close ? { open: open!, close: close! } : undefined;
}

/** The template's markup, or why none could be inferred. */
export function inferSyntax(probes: ProbeRenderings, source: string): Inference {
  const notes: string[] = [];
  const reasoning = inferReasoning(probes, source);
  const tools = inferTools(probes, notes);
  if (typeof tools === 'string') notes.push(`tool calls: ${tools}`);
  const content = contentWrapper(probes);
  const syntax: DerivedSyntax = { ...(reasoning ? { reasoning } : {}), ...(typeof tools !== 'string' ? { tools } : {}), ...(content ? { content } : {}) };
  // (tools is a string here: the reason none was found)
  if (!syntax.reasoning && !syntax.tools) return { error: `no reasoning markup, and ${String(tools)}`, notes };
  return { syntax, notes };
}
