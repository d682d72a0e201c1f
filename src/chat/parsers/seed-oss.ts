// ByteDance Seed-OSS: reasoning in `<seed:think>…</seed:think>` and tool calls as
//
//   <seed:tool_call>
//   <function=get_weather>
//   <parameter=city>Paris</parameter>
//   </function>
//   </seed:tool_call>
//
// one call per `<seed:tool_call>`. The call body is Qwen3-Coder's, except that the template
// writes values without newlines around them, so a value's newlines are its own (as llama.cpp
// keeps them). Values convert like Qwen3-Coder's (xml-arguments.ts).

import type { OutputParser } from './types.js';
import { parseXmlFunctionCall } from './qwen3-coder.js';
import type { ThinkTags } from './think.js';
import { ToolMarkupParser } from './tool-markup.js';
import type { XmlArgsParserOptions } from './xml-arguments.js';

export const SEED_THINK_TAGS: ThinkTags = { open: '<seed:think>', close: '</seed:think>' };

export function createSeedOssParser(options: XmlArgsParserOptions): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'seed-oss',
    think: SEED_THINK_TAGS,
    tools: {
      call: { open: '<seed:tool_call>', close: '</seed:tool_call>' },
      parse: (body) => parseXmlFunctionCall(body, options.tools, false),
    },
  });
}
