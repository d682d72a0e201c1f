// Output constraints → llama.cpp grammars, through node-llama-cpp's GBNF parser and JSON-schema
// converter. A constraint llama.cpp cannot use is the client's mistake: an `invalid_request`.

import type { Llama, LlamaGrammar } from 'node-llama-cpp';
import { ApiError } from '../../errors.js';
import { messageOf } from '../errors.js';
import type { OutputConstraint } from '../types.js';

export async function createGrammar(llama: Llama, constraint: OutputConstraint): Promise<LlamaGrammar> {
  try {
    switch (constraint.type) {
      case 'json':
        return await llama.getGrammarFor('json');
      case 'json_schema':
        return await llama.createGrammarForJsonSchema(constraint.schema as Parameters<Llama['createGrammarForJsonSchema']>[0]);
      case 'gbnf':
      case 'lazy_gbnf':
        return await llama.createGrammar({ grammar: constraint.grammar });
    }
  } catch (error) {
    const gbnf = constraint.type === 'gbnf' || constraint.type === 'lazy_gbnf';
    throw new ApiError('invalid_request', `Unsupported or invalid ${gbnf ? 'grammar' : 'JSON schema'}: ${messageOf(error)}`, {
      param: gbnf ? 'grammar' : 'response_format',
      cause: error,
    });
  }
}
