// Functionary v3.1 (Llama 3.1 based): no thinking, tool calls as
//
//   <function=get_weather>{"city": "Paris"}</function>
//
// one per `<function=…>`, back to back, text allowed before them. The template renders a call of
// a tool named `python` as `<|python_tag|>` followed by its arguments as JSON, and the model ends
// its turn there (`<|eom_id|>`): we parse that as a `python` call, its arguments the JSON object
// or, when the model writes bare code as Llama 3.1 does, `{"code": …}`. llama.cpp's autoparser
// (which sees only the `<function=` syntax) leaves `<|python_tag|>…` in the content.

import { isPlainObject, parseJsonArguments, tryParseJson } from './json-arguments.js';
import type { CallParse } from './tool-markup.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';
import type { OutputParser, ParserOptions } from './types.js';

const PYTHON_TAG = '<|python_tag|>';
const NAME = /^([^\s>]+)>/;

/** `NAME>{json}` (the markup after `<function=`), or `<|python_tag|>` and what follows. */
function parseFunctionaryCall(body: string): CallParse {
  if (body.startsWith(PYTHON_TAG)) {
    const code = body.slice(PYTHON_TAG.length).trim();
    if (!code) return { error: 'nothing after <|python_tag|>' };
    const parsed = tryParseJson(code);
    return { name: 'python', arguments: JSON.stringify(parsed && isPlainObject(parsed.value) ? parsed.value : { code }) };
  }
  const name = NAME.exec(body);
  if (!name) return { error: 'no function name' };
  const args = parseJsonArguments(body.slice(name[0].length));
  if ('error' in args) return args;
  return { name: name[1]!, arguments: args.json };
}

export function createFunctionaryV31Parser(options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'functionary-v3.1',
    think: false,
    tools: {
      // `<|python_tag|>` runs to the end of the output (nothing closes it).
      call: { open: '<function=', close: '</function>', bareOpens: [PYTHON_TAG] },
      parse: parseFunctionaryCall,
    },
  });
}
