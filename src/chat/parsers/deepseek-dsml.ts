// DeepSeek V3.2 and V4: reasoning in `<think>…</think>` (the generation prompt ends with `<think>`
// when thinking, so it is forced open) and tool calls in "DSML" markup (｜DSML｜ is one token):
//
//   <｜DSML｜function_calls>
//   <｜DSML｜invoke name="get_weather">
//   <｜DSML｜parameter name="city" string="true">Paris</｜DSML｜parameter>
//   <｜DSML｜parameter name="days" string="false">3</｜DSML｜parameter>
//   </｜DSML｜invoke>
//   </｜DSML｜function_calls>
//
// V4 writes the same markup but names the block `tool_calls` (llama.cpp tells them apart by
// whether the template mentions `function_calls`; common/parsers/deepseek.cpp). A value marked
// `string="true"` is raw text, kept as it is; `string="false"` is JSON. llama.cpp decides that
// from the tool's schema and rejects an output whose attribute disagrees; we follow what the
// model wrote, and type a value the attribute does not explain (missing, or not JSON) from the
// schema as the other XML families do. We also accept the markup without its newlines, and
// parameters in any order (llama.cpp wants the required ones first, in schema order).

import type { ToolDefinition } from '../types.js';
import { tryParseJson } from './json-arguments.js';
import { DEFAULT_THINK_TAGS } from './think.js';
import { type CallParse, ToolMarkupParser } from './tool-markup.js';
import type { OutputParser } from './types.js';
import { convertArgValue, parameterTypes, type XmlArgsParserOptions } from './xml-arguments.js';

export const DSML = '｜DSML｜';

/** The markup of one DeepSeek version: only the block name differs. */
export interface DsmlMarkup {
  blockOpen: string;
  blockClose: string;
}

export const dsmlMarkup = (block: 'function_calls' | 'tool_calls'): DsmlMarkup => ({ blockOpen: `<${DSML}${block}>`, blockClose: `</${DSML}${block}>` });

export const DSML_V32 = dsmlMarkup('function_calls');
export const DSML_V4 = dsmlMarkup('tool_calls');
export const DSML_INVOKE_OPEN = `<${DSML}invoke`;
export const DSML_INVOKE_CLOSE = `</${DSML}invoke>`;
export const DSML_PARAMETER_OPEN = `<${DSML}parameter`;
export const DSML_PARAMETER_CLOSE = `</${DSML}parameter>`;

const NAME = /^\s+name="([^"]*)"\s*>/;
const PARAMETER = new RegExp(`^\\s*${DSML_PARAMETER_OPEN}\\s+name="([^"]*)"(?:\\s+string="(true|false)")?\\s*>([\\s\\S]*?)${DSML_PARAMETER_CLOSE}`);

/** One parameter value: raw text, JSON, or (attribute missing or wrong) typed from the schema. */
function dsmlValue(raw: string, string: string | undefined, tools: readonly ToolDefinition[] | undefined, toolName: string, name: string): unknown {
  if (string === 'true') return raw;
  if (string === 'false') {
    const parsed = tryParseJson(raw.trim());
    if (parsed) return parsed.value;
  }
  return convertArgValue(raw, parameterTypes(tools, toolName, name), 'string');
}

/** The body of `<｜DSML｜invoke …>…</｜DSML｜invoke>` after `<｜DSML｜invoke`. */
export function parseDsmlInvoke(body: string, tools: readonly ToolDefinition[] | undefined): CallParse {
  const head = NAME.exec(body);
  if (!head) return { error: 'no invoke name' };
  const name = head[1]!.trim();
  if (!name) return { error: 'empty invoke name' };
  let rest = body.slice(head[0].length);
  const args: Record<string, unknown> = {};
  for (;;) {
    const parameter = PARAMETER.exec(rest);
    if (!parameter) break;
    const key = parameter[1]!.trim();
    args[key] = dsmlValue(parameter[3]!, parameter[2], tools, name, key);
    rest = rest.slice(parameter[0].length);
  }
  if (rest.trim()) return { error: 'unexpected text in invoke' };
  return { name, arguments: JSON.stringify(args) };
}

function createDsmlParser(family: string, markup: DsmlMarkup, options: XmlArgsParserOptions): OutputParser {
  return new ToolMarkupParser(options, {
    family,
    think: DEFAULT_THINK_TAGS,
    tools: {
      section: { open: markup.blockOpen, close: markup.blockClose },
      call: { open: DSML_INVOKE_OPEN, close: DSML_INVOKE_CLOSE },
      parse: (body) => parseDsmlInvoke(body, options.tools),
    },
  });
}

export const createDeepseekV32Parser = (options: XmlArgsParserOptions): OutputParser => createDsmlParser('deepseek-v3.2', DSML_V32, options);
export const createDeepseekV4Parser = (options: XmlArgsParserOptions): OutputParser => createDsmlParser('deepseek-v4', DSML_V4, options);
