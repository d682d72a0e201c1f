import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FatalError } from '../errors.js';
import { globToRegExp } from './glob.js';
import { routingHeaders } from './headers.js';
import { Router } from './router.js';
import type { RoutedCache, RouteInput } from './types.js';

function cache(name: string, routes: RoutedCache['routes'] = [], extra: Partial<RoutedCache> = {}): RoutedCache {
  return { name, slots: 1, contextSize: 0, queueSize: 4, routes, ...extra };
}

function input(partial: Partial<RouteInput> = {}): RouteInput {
  return { model: 'claude-sonnet-4-5', headers: {}, system: 'You are Claude Code.', ...partial };
}

describe('globToRegExp', () => {
  it('matches * across anything (slashes too), ? one character, the rest literally', () => {
    expect(globToRegExp('claude-*haiku*').test('claude-3-5-haiku-20241022')).toBe(true);
    expect(globToRegExp('claude-*haiku*').test('claude-sonnet-4')).toBe(false);
    expect(globToRegExp('org/*').test('org/team/model')).toBe(true);
    expect(globToRegExp('gpt-?').test('gpt-4')).toBe(true);
    expect(globToRegExp('gpt-?').test('gpt-40')).toBe(false);
    expect(globToRegExp('a.b+(c)').test('a.b+(c)')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('Claude-*').test('claude-x')).toBe(true);
    expect(globToRegExp('x').test('xx')).toBe(false);
  });
});

describe('Router', () => {
  const router = new Router([
    cache('main', [], { default: true }),
    cache('background', [{ model: 'claude-*haiku*' }, { headers: { 'X-Background': '*' } }]),
    cache('subagent', [{ systemContains: 'You are a subagent' }, { headers: { 'x-agent': 'sub-*' }, model: 'claude-*' }]),
    cache('titles', [{ systemFingerprint: sha('Summarize this conversation in a title.').slice(0, 12).toUpperCase() }]),
  ]);

  it('sends what matches no rule to the default cache', () => {
    expect(router.route(input())).toEqual({ cache: 'main', rule: 'default' });
  });

  it('routes by model glob', () => {
    expect(router.route(input({ model: 'claude-3-5-haiku-latest' }))).toEqual({ cache: 'background', rule: 'model claude-*haiku*' });
  });

  it('routes by header presence ("*") with lower-cased rule names', () => {
    expect(router.route(input({ headers: { 'x-background': '' } }))).toEqual({ cache: 'background', rule: 'header x-background' });
    expect(router.route(input({ headers: { 'x-other': '1' } })).cache).toBe('main');
  });

  it('needs every field of a rule to match', () => {
    expect(router.route(input({ headers: { 'x-agent': 'sub-explorer' } }))).toEqual({ cache: 'subagent', rule: 'model claude-*, header x-agent: sub-*' });
    expect(router.route(input({ model: 'gpt-4', headers: { 'x-agent': 'sub-explorer' } })).cache).toBe('main');
    expect(router.route(input({ headers: { 'x-agent': 'main' } })).cache).toBe('main');
  });

  it('routes by system text and by system fingerprint prefix (case-insensitive hex)', () => {
    expect(router.route(input({ system: 'Hello. You are a subagent for search.' })).cache).toBe('subagent');
    const decision = router.route(input({ system: 'Summarize this conversation in a title.' }));
    expect(decision.cache).toBe('titles');
    expect(decision.rule).toMatch(/^system fingerprint [0-9a-f]{12}$/);
    expect(router.route(input({ system: 'Summarize this conversation in a title!' })).cache).toBe('main');
  });

  it('takes the first cache (in order) with a matching rule', () => {
    // A haiku subagent matches both background (model) and subagent (system): background comes first.
    expect(router.route(input({ model: 'claude-haiku-4', system: 'You are a subagent' })).cache).toBe('background');
    const reversed = new Router([cache('a', [{ systemContains: 'x' }]), cache('b', [{ systemContains: 'x' }], { default: true })]);
    expect(reversed.route(input({ system: 'x' })).cache).toBe('a');
  });

  it('takes the first cache as default when none says so; an empty rule matches everything', () => {
    const first = new Router([cache('one'), cache('two')]);
    expect(first.defaultCache).toBe('one');
    expect(first.route(input())).toEqual({ cache: 'one', rule: 'default' });
    const catchAll = new Router([cache('one'), cache('two', [{}])]);
    expect(catchAll.route(input())).toEqual({ cache: 'two', rule: 'any request' });
  });

  it('rejects bad configurations', () => {
    expect(() => new Router([])).toThrow(FatalError);
    expect(() => new Router([cache('a'), cache('a')])).toThrow(/configured twice/);
    expect(() => new Router([cache('a', [], { default: true }), cache('b', [], { default: true })])).toThrow(/Only one cache/);
    expect(() => new Router([cache('a', [], { slots: 0 })])).toThrow(/slots/);
    expect(() => new Router([cache('a b')])).toThrow(/not valid/);
    expect(() => new Router([cache('a', [{ systemFingerprint: 'xyz' }])])).toThrow(/hex prefix/);
    expect(() => new Router([cache('a', [{ systemContains: '' }])])).toThrow(/empty/);
  });
});

describe('routingHeaders', () => {
  it('keeps lower-cased headers as strings and drops credentials', () => {
    expect(routingHeaders({ 'User-Agent': 'claude-cli/2.1', authorization: 'Bearer k', 'x-api-key': 'k', cookie: 'c', accept: ['a', 'b'], gone: undefined })).toEqual({
      'user-agent': 'claude-cli/2.1',
      accept: 'a, b',
    });
  });
});

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
