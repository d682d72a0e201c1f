import { describe, expect, it } from 'vitest';
import { createLlama3Parser } from './llama3.js';
import { check } from './parser-test-helper.js';

const create = createLlama3Parser;

describe('llama3 parser', () => {
  it('passes text through', () => {
    check(create, "Hello, world!\nWhat's up?", { text: "Hello, world!\nWhat's up?" });
  });

  it('streams text before the end', () => {
    const parser = create({
      reasoningFormat: 'auto',
      toolsEnabled: true,
      prompt: '',
      newToolCallId: () => 'x',
      warn: () => {},
    });
    expect(parser.push('Hello')).toEqual([{ type: 'text', text: 'Hello' }]);
  });

  it('keeps JSON in the middle of a sentence as text', () => {
    const text = 'Use {"name": "get_weather", "parameters": {"city": "Paris"}} like this.';
    check(create, text, { text });
  });

  it('parses one call with parameters', () => {
    check(create, '{"name": "get_weather", "parameters": {"city": "Paris"}}', {
      calls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
  });

  it('parses a call with "type": "function" and "arguments" after whitespace', () => {
    check(create, '\n {"type": "function", "name": "f", "arguments": {"a": [1, "}"]}}', {
      calls: [{ name: 'f', arguments: '{"a":[1,"}"]}' }],
    });
  });

  it('parses a call after <|python_tag|>', () => {
    check(create, '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}', {
      calls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
  });

  it('parses two calls separated by ; or a newline', () => {
    const calls = [
      { name: 'a', arguments: '{"x":1}' },
      { name: 'b', arguments: '{"y":"2"}' },
    ];
    check(create, '{"name": "a", "parameters": {"x": 1}}; {"name": "b", "parameters": {"y": "2"}}', { calls });
    check(create, '{"name": "a", "parameters": {"x": 1}}\n{"name": "b", "parameters": {"y": "2"}}', { calls });
  });

  it('parses builtin tool calls', () => {
    check(create, '<|python_tag|>brave_search.call(query="weather in Paris")', {
      calls: [{ name: 'brave_search', arguments: '{"query":"weather in Paris"}' }],
    });
    check(create, '<|python_tag|>wolfram_alpha.call(query="2+2", n=3)', {
      calls: [{ name: 'wolfram_alpha', arguments: '{"query":"2+2","n":3}' }],
    });
  });

  it('keeps text before a mid-text <|python_tag|> call', () => {
    check(create, 'Let me search.<|python_tag|>brave_search.call(query="x")', {
      text: 'Let me search.',
      calls: [{ name: 'brave_search', arguments: '{"query":"x"}' }],
    });
  });

  it('keeps a JSON answer that is not a call as text', () => {
    check(create, '{"answer": 42}', { text: '{"answer": 42}' });
  });

  it('streams a JSON answer that cannot be a call before it is complete', () => {
    const parser = create({ reasoningFormat: 'auto', toolsEnabled: true, prompt: '', newToolCallId: () => 'x', warn: () => {} });
    expect(parser.push('{"name": "get')).toEqual([]);
    const other = create({ reasoningFormat: 'auto', toolsEnabled: true, prompt: '', newToolCallId: () => 'x', warn: () => {} });
    expect(other.push('{"answer": 4')).toEqual([{ type: 'text', text: '{"answer": 4' }]);
  });

  it('turns a broken call into text and warns', () => {
    const text = '{"name": "get_weather", "parameters": {"city": Paris}}';
    check(create, text, { text, warnings: 1 });
  });

  it('emits an unterminated but complete call at the end', () => {
    check(create, '{"name": "f", "parameters": {}}\n', { calls: [{ name: 'f', arguments: '{}' }] });
  });

  it('turns an incomplete call at the end into text and warns', () => {
    const text = '<|python_tag|>{"name": "f", "parameters": {"a":';
    check(create, text, { text, warnings: 1 });
  });

  it('gives back a lone <|python_tag|> as text', () => {
    check(create, 'Hi <|python_tag|>', { text: 'Hi <|python_tag|>', warnings: 1 });
  });

  it('leaves everything as text without tools', () => {
    const text = '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}';
    check(create, text, { text }, { toolsEnabled: false });
  });
});
