// Kimi K3: "XTML" sections built from the special tokens <|open|>, <|close|> and <|sep|>
// (`<|open|>tag k="v"…<|sep|>` opens, `<|close|>tag<|sep|>` closes). An assistant message is
//
//   <|open|>message role="assistant"<|sep|>
//   <|open|>think<|sep|>REASONING<|close|>think<|sep|>
//   <|open|>response<|sep|>TEXT<|close|>response<|sep|>
//   <|open|>tools<|sep|><|open|>call tool="get_weather" index="1"<|sep|>
//     <|open|>argument key="city" type="string"<|sep|>Paris<|close|>argument<|sep|>
//   <|close|>call<|sep|><|close|>tools<|sep|>
//   <|close|>message<|sep|><|end_of_msg|>
//
// and the generation prompt already opens the message and its think section (or the response
// section when the template's `thinking` is off). We follow llama.cpp's specialized handler
// (common/parsers/kimi-k3.cpp): reasoning runs to `<|close|>think<|sep|>`, or to the response
// opener when the model skips the closer; the section and message markers are syntax, not
// content; an argument is a string when the tool's schema says so and JSON otherwise. Where the
// schema gives no type we read the value's own `type="…"` attribute (llama.cpp takes it as a
// string); the template's `<|open|>json type="object"<|sep|>{…}<|close|>json<|sep|>` form of
// arguments is parsed too. Attribute values are HTML-escaped by the template (`&quot;`, `&amp;`).

import { isPlainObject, tryParseJson } from './json-arguments.js';
import { MarkerStripper } from './marker-stripper.js';
import { type CallParse, ToolMarkupParser } from './tool-markup.js';
import type { OutputParser } from './types.js';
import type { XmlArgsParserOptions } from './xml-arguments.js';
import type { ToolDefinition } from '../types.js';

const open = (tag: string): string => `<|open|>${tag}<|sep|>`;
const close = (tag: string): string => `<|close|>${tag}<|sep|>`;

export const KIMI_K3 = {
  thinkOpen: open('think'),
  thinkClose: close('think'),
  responseOpen: open('response'),
  responseClose: close('response'),
  toolsOpen: open('tools'),
  toolsClose: close('tools'),
  callOpen: '<|open|>call tool="',
  callClose: close('call'),
  argumentOpen: '<|open|>argument key="',
  argumentClose: close('argument'),
  messageOpen: open('message role="assistant"'),
  messageClose: close('message'),
  endOfMessage: '<|end_of_msg|>',
};
const K = KIMI_K3;
const JSON_OPEN = '<|open|>json';
const JSON_CLOSE = close('json');
const SEP = '<|sep|>';

const unescapeAttr = (value: string): string => value.replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/** The attributes of an opening tag (`key="v" type="t"`). */
function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of text.matchAll(/([\w-]+)="([^"]*)"/g)) out.set(match[1]!, unescapeAttr(match[2]!));
  return out;
}

/** The type a tool's schema gives a parameter, if it names one. */
function schemaType(tools: readonly ToolDefinition[] | undefined, toolName: string, key: string): string | undefined {
  const properties = tools?.find((tool) => tool.name === toolName)?.parameters.properties;
  const property = isPlainObject(properties) ? properties[key] : undefined;
  return isPlainObject(property) && typeof property.type === 'string' ? property.type : undefined;
}

/** The body of `<|open|>call tool="…` up to `<|close|>call<|sep|>`. */
export function parseKimiK3Call(body: string, tools: readonly ToolDefinition[] | undefined): CallParse {
  const quote = body.indexOf('"');
  const sep = body.indexOf(SEP);
  if (quote <= 0 || sep < quote) return { error: 'no tool name' };
  const name = unescapeAttr(body.slice(0, quote)).trim();
  let rest = body.slice(sep + SEP.length);
  const args: Record<string, unknown> = {};
  for (;;) {
    rest = rest.trimStart();
    if (!rest) break;
    if (rest.startsWith(JSON_OPEN)) {
      // The whole arguments object as JSON.
      const start = rest.indexOf(SEP);
      const end = rest.indexOf(JSON_CLOSE);
      if (start === -1 || end < start) return { error: 'unterminated json block' };
      const parsed = tryParseJson(rest.slice(start + SEP.length, end).trim());
      if (!parsed || !isPlainObject(parsed.value)) return { error: 'json block is not a JSON object' };
      Object.assign(args, parsed.value);
      rest = rest.slice(end + JSON_CLOSE.length);
      continue;
    }
    if (!rest.startsWith('<|open|>argument ')) return { error: 'unexpected text in call' };
    const start = rest.indexOf(SEP);
    const end = rest.indexOf(K.argumentClose);
    if (start === -1 || end < start) return { error: 'unterminated argument' };
    const attrs = attributes(rest.slice('<|open|>argument '.length, start));
    const key = attrs.get('key');
    if (key === undefined) return { error: 'argument without a key' };
    const raw = rest.slice(start + SEP.length, end);
    const type = schemaType(tools, name, key) ?? attrs.get('type') ?? 'string';
    if (type === 'string') args[key] = raw;
    else {
      // Non-strings are JSON (the template writes them with tojson); text that is not stays a string.
      const parsed = tryParseJson(raw.trim());
      args[key] = parsed ? parsed.value : raw;
    }
    rest = rest.slice(end + K.argumentClose.length);
  }
  return { name, arguments: JSON.stringify(args) };
}

export function createKimiK3Parser(options: XmlArgsParserOptions): OutputParser {
  const parser = new ToolMarkupParser(options, {
    family: 'kimi-k3',
    // Reasoning also ends where the response opens (the opener then goes on as content, and
    // is dropped below with the other section markers).
    think: { open: K.thinkOpen, close: K.thinkClose, endsAt: [K.responseOpen] },
    callsEndThinking: false,
    tools: {
      section: { open: K.toolsOpen, close: K.toolsClose },
      call: { open: K.callOpen, close: K.callClose },
      parse: (body) => parseKimiK3Call(body, options.tools),
    },
  });
  return new MarkerStripper(parser, [K.messageOpen, K.thinkOpen, K.thinkClose, K.responseOpen, K.responseClose, K.messageClose, K.endOfMessage]);
}
