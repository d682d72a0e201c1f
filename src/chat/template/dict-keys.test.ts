// Dicts with int keys, as Python's Jinja2 has them (issue 14: Seed-OSS's template starts with
// `{0: 0, 512: 128, …}` and failed every request with "Object keys must be strings"). Every
// expected string below is what Python's Jinja2 3.1 renders (SandboxedEnvironment, json.dumps
// as tojson, as in golden/render.py).

import { describe, expect, it } from 'vitest';
import { ChatTemplate } from '../template.js';

const render = (source: string, context: Record<string, unknown> = {}): string => new ChatTemplate(source).renderRaw(context);

describe('dicts with int keys', () => {
  const cases: [string, string][] = [
    // Seed-OSS's reflection-interval lookup: a literal, |dictsort, d[int] (and Jinja2's d.16384, the same).
    [
      '{% set d = {0: 0, 512: 128, 16384: 1024} %}{% for k, v in d | dictsort %}{{ k + 1 }}:{{ v }},{% endfor %}|{{ d[16384] }}|{{ d[512] }}|{{ d.16384 }}',
      '1:0,513:128,16385:1024,|1024|128|1024',
    ],
    // Sorted as numbers, not as text; pairs are tuples.
    [
      "{% set d = {2048: 'b', 16: 'a', 100: 'c'} %}{{ d | dictsort | list }}|{{ d | dictsort(reverse=true) | map('first') | list }}|{{ d | dictsort(by='value') | map('last') | join }}",
      "[(16, 'a'), (100, 'c'), (2048, 'b')]|[2048, 100, 16]|abc",
    ],
    // 1 and '1' are different keys.
    ["{% set d = {1: 'int', '1': 'str'} %}{{ d[1] }} {{ d['1'] }} {{ d | length }} {{ d }}", "int str 2 {1: 'int', '1': 'str'}"],
    // Membership and lookup compare across numeric types, as Python's hashing does.
    [
      "{% set d = {1: 'a', 'x': 2} %}{{ 1 in d }} {{ 2 in d }} {{ 'x' in d }} {{ 1 not in d }} {{ 1.0 in d }} {{ true in d }} {{ d[1.0] }} {{ d[true] }}",
      'True False True False True True a a',
    ],
    // Keys come back as ints from iteration, items(), keys(), |list and |items.
    [
      "{% set d = {1: 'a', 2: 'b'} %}{% for k in d %}{{ k * 10 }},{% endfor %}{% for k, v in d.items() %}{{ k is integer }}{{ v }}{% endfor %}{{ d.keys() | list }}{{ d | list }}{% for k, v in d | items %}{{ k + 1 }}{% endfor %}",
      '10,20,TrueaTrueb[1, 2][1, 2]23',
    ],
    // json.dumps writes int keys as strings (and tuples as lists); str() keeps them ints.
    [
      "{% set d = {1: 'a', 2: {3: [4]}} %}{{ d | tojson }}|{{ d | string }}|{{ {'k': d} | tojson }}|{{ d.items() | list | tojson }}|{{ (1, 2) | tojson }}",
      '{"1": "a", "2": {"3": [4]}}|{1: \'a\', 2: {3: [4]}}|{"k": {"1": "a", "2": {"3": [4]}}}|[[1, "a"], [2, {"3": [4]}]]|[1, 2]',
    ],
    // dict methods.
    [
      "{% set d = {1: 'a'} %}{{ d.get(1) }}{{ d.get(2) }}{{ d.get(2, 'z') }}{{ d.get('1', 'none') }}{% set _ = d.setdefault(5, 'e') %}{{ d.pop(1) }}{{ d }}{% set _ = d.update({7: 'g'}) %}{{ d }}",
      "aNoneznonea{5: 'e'}{5: 'e', 7: 'g'}",
    ],
    ["{% set d = {1: 'a'} %}[{{ d[2] }}]{{ d[2] is defined }}{{ d[1] is defined }}", '[]FalseTrue'],
    // String keys sort as before: case-insensitive unless asked, stable, by key or value.
    [
      "{% set d = {'B': 1, 'a': 2, 'c': 3} %}{{ d | dictsort }}{{ d | dictsort(true) }}{{ d | dictsort(false, 'value', true) }}",
      "[('a', 2), ('B', 1), ('c', 3)][('B', 1), ('a', 2), ('c', 3)][('c', 3), ('a', 2), ('B', 1)]",
    ],
    [
      "{% set d = {'b': 1, 'a': 2} %}{{ d | dictsort | map('join', '=') | join(',') }}|{{ d.items() | list }}|{{ (d.items() | list)[0] | list }}",
      "a=2,b=1|[('b', 1), ('a', 2)]|['b', 1]",
    ],
    ['{{ undefined_thing | items | list }}', '[]'],
  ];
  for (const [source, expected] of cases) {
    it(source, () => {
      expect(render(source)).toBe(expected);
    });
  }

  it('fails where Python does', () => {
    expect(() => render("{{ {1: 'a', 'b': 2} | dictsort }}")).toThrow("'<' not supported between instances of 'str' and 'int'");
    expect(() => render('{{ {[1]: 2} }}')).toThrow("unhashable type: 'list'");
    expect(() => render("{{ 'abc' | items | list }}")).toThrow('Can only get item pairs from a mapping.');
  });

  it('rejects the key types it cannot print back as Python would', () => {
    // Python allows them, but True would come back as 1 and 1.0 as 1.
    expect(() => render('{{ {true: 1} }}')).toThrow("dict keys of type 'bool' are not supported");
    expect(() => render('{{ {1.5: 1} }}')).toThrow("dict keys of type 'float' are not supported");
  });
});
