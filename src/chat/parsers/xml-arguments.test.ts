import { describe, expect, it } from 'vitest';
import { convertArgValue, parameterTypes } from './xml-arguments.js';
import type { ToolDefinition } from '../types.js';

const tools: ToolDefinition[] = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } }];

describe('xml arguments', () => {
  it('value conversion rules', () => {
    const types = parameterTypes(tools, 'get_weather', 'days');
    expect(convertArgValue('3', types)).toBe(3);
    expect(convertArgValue('three', types)).toBe('three');
    expect(convertArgValue('"quoted"', undefined)).toBe('"quoted"');
    expect(convertArgValue('true', undefined)).toBe(true);
    expect(convertArgValue('[1, 2]', undefined)).toEqual([1, 2]);
    expect(parameterTypes(tools, 'get_weather', 'nope')).toBeUndefined();
  });
});
