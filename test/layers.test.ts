// The layer rule of src/ (scripts/check-layers.ts): no folder imports one above it, and only
// the engine touches the native binding. Fails with the offending import named.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLayers, formatReport, layerOf } from '../scripts/check-layers.js';

const src = join(import.meta.dirname, '..', 'src');

describe('src/ layers', () => {
  it('has no import pointing up and no file outside a layer', () => {
    const report = checkLayers(src);
    expect(report.unplaced, formatReport(report, false)).toEqual([]);
    expect(report.violations.map((v) => `${v.from} → ${v.to}: ${v.why}`)).toEqual([]);
    expect(report.edges.length).toBeGreaterThan(50);
  });
});

describe('the checker', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'llama-bridge-layers-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(tmp, path)), { recursive: true });
    writeFileSync(join(tmp, path), text);
  };

  it('catches a back-edge, a sibling import, a dynamic import and the native binding outside the engine', () => {
    write('engine/a.ts', "import type { X } from '../chat/types.js';\n");
    write('chat/types.ts', "export type X = 1;\nimport { y } from '../engine/b.js';\n");
    write('engine/b.ts', 'export const y = 1;\n');
    write('api/openai/c.ts', "export { z } from '../anthropic/d.js';\n");
    write('api/anthropic/d.ts', 'export const z = 1;\n');
    write('http/e.ts', "const server = await import('../server/f.js');\n");
    write('server/f.ts', "import { getLlama } from 'node-llama-cpp';\n");
    write('engine/g.test.ts', "import '../server/f.js';\n");
    const report = checkLayers(tmp);
    expect(report.violations.map((v) => `${v.from} → ${v.to}`).sort()).toEqual([
      'api/openai/c.ts → api/anthropic/d.ts',
      'engine/a.ts → chat/types.ts',
      'http/e.ts → server/f.ts',
      'server/f.ts → node-llama-cpp',
    ]);
    // Downward imports and tests are fine.
    expect(report.edges.map((edge) => edge.from)).toContain('chat/types.ts');
    expect(report.edges.map((edge) => edge.from)).toContain('engine/g.test.ts');
  });

  it('places nested folders in their layer and src/ files in the base layer', () => {
    expect(layerOf('chat/parsers/hermes.ts')).toBe('chat');
    expect(layerOf('api/models.ts')).toBe('api');
    expect(layerOf('api/openai/routes.ts')).toBe('api/openai');
    expect(layerOf('errors.ts')).toBe('.');
    expect(layerOf('nowhere/x.ts')).toBeUndefined();
  });
});
