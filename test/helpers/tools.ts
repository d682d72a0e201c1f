// The tools the end-to-end tests offer, as the official openai client types them: one
// definition for every test file that asks a model for the weather or the time.
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';

export const WEATHER_TOOL: OpenAI.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

export const TIME_TOOL: OpenAI.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'Current time in a timezone',
    parameters: { type: 'object', properties: { timezone: { type: 'string' } }, required: ['timezone'] },
  },
};

/** The same tools as the Anthropic Messages API takes them. */
export function anthropicTools(tools: readonly OpenAI.ChatCompletionFunctionTool[]): Anthropic.Tool[] {
  return tools.map(({ function: f }) => ({
    name: f.name,
    ...(f.description !== undefined ? { description: f.description } : {}),
    input_schema: f.parameters as Anthropic.Tool.InputSchema,
  }));
}
