// The one-way layer rule of src/, checked. Each folder may import its own files and the layers
// below it, never one above: the engine knows nothing of chat, chat nothing of HTTP, the APIs
// nothing of how the server is assembled. `npm test` runs this (test/layers.test.ts); run it
// by hand to see the layers and every cross-folder import:
//
//   npx tsx scripts/check-layers.ts [--edges]
//
// Tests (`*.test.ts`) sit at the top and may import anything; test fakes (`test-fakes.ts`,
// `*-test-helper.ts`) obey the rule like production code.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Bottom to top. A layer is a folder under src/ (or `.` for the files directly in src/);
 * folders in one row are siblings and must not import each other.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['.'], // errors.ts, log.ts: what every layer shares
  ['hub'], // Hugging Face: model references, downloads, where a --model points
  ['engine'], // the Engine interface, llama.cpp through node-llama-cpp, the mock engine
  ['routing'], // which cache a request goes to
  ['chat'], // ChatRequest/GenerationEvent, templates, output parsers, grammars, the pipeline
  ['debug'], // --debug traces
  ['http'], // what both APIs share about HTTP: SSE, validation messages, security, metrics
  ['api/anthropic', 'api/openai'], // the two wire formats, each on its own
  ['api'], // routes shared by both wire formats (GET /v1/models)
  ['ui'], // the status page: what it shows (activity) and its routes
  ['config'], // flags and TOML → one validated Config
  ['server'], // the composition root: Config → running server
  ['cli'], // the llama-bridge command
];

/** Only these folders may import these packages (the native binding stays behind the Engine interface). */
export const PACKAGE_OWNERS: Readonly<Record<string, readonly string[]>> = {
  'node-llama-cpp': ['engine'],
};

export interface ImportEdge {
  from: string;
  to: string;
  fromLayer: string;
  toLayer: string;
}

export interface LayerReport {
  /** Imports that point up (or sideways between siblings). */
  violations: (ImportEdge & { why: string })[];
  /** Every import between two layers. */
  edges: ImportEdge[];
  /** Files whose folder is in no layer. */
  unplaced: string[];
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

export function checkLayers(srcDir: string): LayerReport {
  const report: LayerReport = { violations: [], edges: [], unplaced: [] };
  for (const file of sourceFiles(srcDir)) {
    const from = relative(srcDir, file).split(sep).join('/');
    const fromLayer = layerOf(from);
    if (fromLayer === undefined) {
      report.unplaced.push(from);
      continue;
    }
    const isTest = /\.test\.ts$/.test(from);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      if (!specifier.startsWith('.')) {
        const owners = PACKAGE_OWNERS[packageName(specifier)];
        if (owners && !isTest && !owners.includes(fromLayer)) {
          report.violations.push({ from, to: specifier, fromLayer, toLayer: specifier, why: `only ${owners.join(', ')} may import ${specifier}` });
        }
        continue;
      }
      const to = relative(srcDir, resolve(dirname(file), specifier))
        .split(sep)
        .join('/')
        .replace(/\.js$/, '.ts');
      if (to.startsWith('..')) continue; // outside src/ (package.json for the version)
      const toLayer = layerOf(to);
      if (toLayer === undefined || toLayer === fromLayer) continue;
      const edge = { from, to, fromLayer, toLayer };
      report.edges.push(edge);
      if (isTest) continue;
      const why = violation(fromLayer, toLayer);
      if (why) report.violations.push({ ...edge, why });
    }
  }
  return report;
}

function violation(fromLayer: string, toLayer: string): string | undefined {
  const fromRank = rankOf(fromLayer);
  const toRank = rankOf(toLayer);
  if (toRank > fromRank) return `${fromLayer} is below ${toLayer}`;
  if (toRank === fromRank) return `${fromLayer} and ${toLayer} are siblings`;
  return undefined;
}

function rankOf(layer: string): number {
  return LAYERS.findIndex((row) => row.includes(layer));
}

/** The layer a src-relative file belongs to: the longest layer folder that contains it. */
export function layerOf(file: string): string | undefined {
  const folder = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.';
  let best: string | undefined;
  for (const layer of LAYERS.flat()) {
    const contains = layer === '.' ? folder === '.' : folder === layer || folder.startsWith(`${layer}/`);
    if (contains && (best === undefined || layer.length > best.length)) best = layer;
  }
  return best;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sourceFiles(path);
      return name.endsWith('.ts') ? [path] : [];
    });
}

/** Human-readable report: the layers, then violations (or the edges with --edges). */
export function formatReport(report: LayerReport, showEdges: boolean): string {
  const lines = ['Layers, bottom to top (a folder may import only rows above it in this list):'];
  LAYERS.forEach((row, index) => lines.push(`  ${String(index).padStart(2)}  ${row.join(', ')}`));
  if (report.unplaced.length) lines.push('', `Files in no layer (add their folder to LAYERS): ${report.unplaced.join(', ')}`);
  if (showEdges) {
    const counts = new Map<string, number>();
    for (const edge of report.edges) counts.set(`${edge.fromLayer} → ${edge.toLayer}`, (counts.get(`${edge.fromLayer} → ${edge.toLayer}`) ?? 0) + 1);
    lines.push('', 'Imports between layers (tests included):');
    for (const [pair, count] of [...counts].sort()) lines.push(`  ${pair}  (${count})`);
  }
  lines.push('');
  if (report.violations.length === 0 && report.unplaced.length === 0) {
    lines.push(`OK: ${report.edges.length} imports between layers, none pointing up.`);
  } else {
    for (const v of report.violations) lines.push(`BACK-EDGE ${v.from} → ${v.to}: ${v.why}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const report = checkLayers(srcDir);
  process.stdout.write(`${formatReport(report, process.argv.includes('--edges'))}\n`);
  process.exitCode = report.violations.length || report.unplaced.length ? 1 : 0;
}
