import { describe, expect, it } from 'vitest';
import { createOutputParser, implementedFamilies } from './index.js';
import { parseAllSplits } from './parser-test-helper.js';
import { FAMILY_IDS } from './types.js';

describe('parser registry', () => {
  it('implements every family', () => {
    expect([...implementedFamilies].sort()).toEqual([...FAMILY_IDS].sort());
  });

  it('generic splits <think> and parses Hermes-style calls when present', () => {
    const out = '<think>hm</think>\nSure.\n<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n</tool_call>';
    const r = parseAllSplits((o) => createOutputParser('generic', o), out);
    expect(r.parts).toEqual([{ reasoning: 'hm' }, { text: 'Sure.\n' }, { call: 'f', args: '{"a":1}' }]);
    expect(parseAllSplits((o) => createOutputParser('generic', o), 'plain {"a": 1}').parts).toEqual([{ text: 'plain {"a": 1}' }]);
  });

  it('passes tool schemas to the XML-argument families', () => {
    const tools = [{ name: 'f', parameters: { type: 'object', properties: { zip: { type: 'string' } } } }];
    const out = '<tool_call>f<arg_key>zip</arg_key><arg_value>75001</arg_value></tool_call>';
    const r = parseAllSplits((o) => createOutputParser('glm45', { ...o, tools }), out);
    expect(r.calls).toEqual([{ name: 'f', arguments: '{"zip":"75001"}' }]);
  });
});
