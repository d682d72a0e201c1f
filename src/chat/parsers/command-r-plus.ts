// Cohere Command R+ (tool-use template): no thinking; the calls as a fenced JSON list
//
//   Action:
//   ```json
//   [
//       {
//           "tool_name": "get_weather",
//           "parameters": {"city": "Paris"}
//       }
//   ]```
//
// The closing fence follows the list directly in the template (`]```\n`); `\n```` works too.
// The template also asks for a `directly-answer` tool when no other is needed; like any tool
// name that was not offered, it is returned as a call.

import { parseJsonCallArray } from './json-arguments.js';
import { type TemplateHints, ToolMarkupParser } from './tool-markup.js';
import type { OutputParser, ParserOptions } from './types.js';

export function createCommandRPlusParser(options: ParserOptions & TemplateHints): OutputParser {
  return new ToolMarkupParser(options, {
    family: 'command-r-plus',
    think: false,
    tools: {
      call: { open: 'Action:\n```json', close: '```' },
      parse: (body) => parseJsonCallArray(body, 'tool_name'),
    },
  });
}
