// GLM-4.5/4.6/4.7 tool calls (parser: src/chat/parsers/glm45.ts). GLM-4.5 and 4.6 write
//
//   <tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>
//
// GLM-4.7 (its template: `'<tool_call>' + tc.name` then `<arg_key>…` with whitespace control)
// writes the same markup without any of those newlines, and several calls back to back. So every
// newline of the markup is optional, as llama.cpp's own grammar for these templates allows
// whitespace between the parts (common/chat-auto-parser-generator.cpp, `p.space()`); the parser
// skips it either way. A grammar that wrote GLM-4.5's newlines for a GLM-4.7 model forced text
// the model never writes the moment the lazy grammar took over at `<tool_call>`, and the model,
// thrown off its own markup, wrote anything (its reasoning again) into the arguments.

import type { FamilySyntax } from './families.js';
import { literalOptionalNewlines } from './gbnf.js';

export const GLM45: FamilySyntax = {
  args: {
    kind: 'xml',
    syntax: {
      nameBefore: '<arg_key>',
      nameAfter: '</arg_key>\n<arg_value>',
      close: '</arg_value>\n',
      excluded: ['</arg_value>', '</tool_call>'],
      optionalNewlines: true,
    },
  },
  call: (name, args) => `${literalOptionalNewlines(`<tool_call>${name}\n`)} ${args} ${literalOptionalNewlines('</tool_call>')}`,
  calls: (call, parallel) => (parallel ? `${call} ( ${literalOptionalNewlines('\n')} ${call} )*` : call),
  triggers: () => [{ text: '<tool_call>' }],
};
