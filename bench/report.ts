// Turns a run into a console table and a Markdown results block for docs/benchmarks.md.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LlamaBenchResult } from './llama-bench.js';
import type { MachineInfo } from './machine.js';
import { median, type Phase, type RepMetrics } from './measure.js';
import type { ProcessMemory } from './memory.js';

export interface ServerResult {
  command: string;
  startSeconds?: number;
  reps: RepMetrics[];
  /** After the last repetition. */
  memory?: ProcessMemory;
  error?: string;
}

export interface BenchConfig {
  threads: number;
  parallel: number;
  slotContext: number;
  batch: number;
  flashAttention: 'auto' | 'on' | 'off';
  reps: number;
  extraReps: number;
  disturbedCores: number;
  prefillTokens: number;
  decodeTokens: number;
  conversationTokens: number;
  turns: number;
  streams: number;
}

export interface BenchReport {
  date: string;
  durationSeconds: number;
  machine: MachineInfo;
  loadBefore: string;
  loadAfter: string;
  llamaCppCommit: string;
  llamaCppVersion: string;
  nodeLlamaCppVersion: string;
  model: { path: string; description: string; fileBytes: number; kvCacheBytes: number };
  config: BenchConfig;
  ours?: ServerResult;
  llamaServer?: ServerResult;
  llamaServerSlotContext?: number;
  llamaBench?: LlamaBenchResult;
  llamaBenchError?: string;
  observations: string[];
}

type Key = keyof RepMetrics;

interface Row {
  label: string;
  key: Key;
  better: 'higher' | 'lower';
  digits: number;
  bench?: (b: LlamaBenchResult) => string;
}

function rows(config: BenchConfig): Row[] {
  return [
    {
      label: `Prefill tok/s (${config.prefillTokens}-token prompt, cold)`,
      key: 'prefillTps',
      better: 'higher',
      digits: 1,
      bench: (b) => `${b.prefillTps.toFixed(1)} (pp${config.prefillTokens})`,
    },
    {
      label: `Decode tok/s (${config.decodeTokens} tokens, 1 stream)`,
      key: 'decodeTps',
      better: 'higher',
      digits: 1,
      bench: (b) => `${b.decodeTps.toFixed(1)} (tg${config.decodeTokens})`,
    },
    { label: `TTFT cold, ${config.conversationTokens}-token conversation (s)`, key: 'ttftColdSeconds', better: 'lower', digits: 2 },
    { label: 'TTFT hot, same conversation + 1 turn (s)', key: 'ttftHotSeconds', better: 'lower', digits: 3 },
    { label: `Aggregate tok/s, ${config.streams} concurrent streams`, key: 'streamsTps', better: 'higher', digits: 1 },
  ];
}

/** Which measurement a number comes from. */
const PHASE_OF: Partial<Record<Key, Phase>> = {
  prefillTps: 'prefill',
  prefillPromptTokens: 'prefill',
  serverPrefillTps: 'prefill',
  decodeTps: 'decode',
  decodeTokens: 'decode',
  serverDecodeTps: 'decode',
  ttftColdSeconds: 'cold',
  ttftHotSeconds: 'hot',
  streamsTps: 'streams',
  streamsTokens: 'streams',
  streamsWallSeconds: 'streams',
  streamsOverlap: 'streams',
  streamsDecodeTps: 'streams',
};

/** The repetitions a median uses: those where that measurement was undisturbed, or all when none was. */
export function countedReps(result: ServerResult, phase: Phase | undefined): RepMetrics[] {
  if (!phase) return result.reps;
  const clean = result.reps.filter((rep) => !rep.disturbed.includes(phase));
  return clean.length > 0 ? clean : result.reps;
}

export function medianOf(result: ServerResult | undefined, key: Key): number {
  if (!result || result.reps.length === 0) return Number.NaN;
  return median(
    countedReps(result, PHASE_OF[key])
      .map((rep) => rep[key] as number)
      .filter((v) => typeof v === 'number'),
  );
}

const fmt = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export interface Table {
  header: string[];
  body: string[][];
}

function mainTable(report: BenchReport): Table {
  const header = ['Metric', 'Better', 'llama-bridge', 'llama-server', 'Ratio (bridge ÷ server)', 'llama-bench'];
  const body = rows(report.config).map((row) => {
    const ours = medianOf(report.ours, row.key);
    const theirs = medianOf(report.llamaServer, row.key);
    const ratio = ours / theirs;
    return [
      row.label,
      row.better,
      fmt(ours, row.digits),
      fmt(theirs, row.digits),
      Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a',
      row.bench && report.llamaBench ? row.bench(report.llamaBench) : '',
    ];
  });
  return { header, body };
}

const list = (result: ServerResult | undefined, pick: (rep: RepMetrics) => string, phase: Phase | undefined): string =>
  result && result.reps.length > 0 ? result.reps.map((rep) => `${pick(rep)}${phase && rep.disturbed.includes(phase) ? '*' : ''}`).join(', ') : 'n/a';

const cached = (value: number | undefined): string => (value === undefined ? '?' : String(value));

function detailTable(report: BenchReport): Table {
  const header = ['Per repetition', 'llama-bridge', 'llama-server'];
  const other =
    (phase: Phase) =>
    (r: RepMetrics): string =>
      r.phaseOtherCores[phase] === undefined ? '?' : r.phaseOtherCores[phase]!.toFixed(2);
  const detail: Array<[string, (rep: RepMetrics) => string, Phase?]> = [
    ['Prefill: prompt tokens (cached)', (r) => `${r.prefillPromptTokens} (${cached(r.prefillCachedTokens)})`, 'prefill'],
    ['Prefill tok/s', (r) => r.prefillTps.toFixed(1), 'prefill'],
    ['Decode: tokens generated (finish)', (r) => `${r.decodeTokens} (${r.decodeFinish ?? '?'})`, 'decode'],
    ['Decode tok/s', (r) => r.decodeTps.toFixed(1), 'decode'],
    ['TTFT cold: prompt tokens (cached)', (r) => `${r.coldPromptTokens} (${cached(r.coldCachedTokens)})`, 'cold'],
    ['TTFT cold (s)', (r) => r.ttftColdSeconds.toFixed(2), 'cold'],
    ['TTFT hot: prompt tokens (cached)', (r) => `${r.hotPromptTokens} (${cached(r.hotCachedTokens)})`, 'hot'],
    ['TTFT hot (s)', (r) => r.ttftHotSeconds.toFixed(3), 'hot'],
    ['Streams: tokens in all / wall (s)', (r) => `${r.streamsTokens} / ${r.streamsWallSeconds.toFixed(1)}`, 'streams'],
    ['Streams decoding at once (max)', (r) => String(r.streamsOverlap), 'streams'],
    ['Streams: Σ per-stream decode tok/s', (r) => r.streamsDecodeTps.toFixed(1), 'streams'],
    [
      "Server's own timings: prefill / decode tok/s",
      (r) => (r.serverPrefillTps === undefined ? '—' : `${r.serverPrefillTps.toFixed(1)} / ${(r.serverDecodeTps ?? Number.NaN).toFixed(1)}`),
    ],
    [
      'CPU cores, whole repetition: server / everything else',
      (r) => (r.serverCpuCores === undefined ? '?' : `${r.serverCpuCores.toFixed(2)} / ${(r.otherCpuCores ?? Number.NaN).toFixed(2)}`),
    ],
    ['Cores used by everything else: prefill', other('prefill'), 'prefill'],
    ['… decode', other('decode'), 'decode'],
    ['… TTFT cold', other('cold'), 'cold'],
    ['… TTFT hot', other('hot'), 'hot'],
    ['… streams', other('streams'), 'streams'],
  ];
  return { header, body: detail.map(([label, pick, phase]) => [label, list(report.ours, pick, phase), list(report.llamaServer, pick, phase)]) };
}

/** The issue's target: process memory beyond the model file and the KV cache, at its peak. */
export function beyondModelAndKv(report: BenchReport, memory: ProcessMemory | undefined): number {
  return memory ? memory.peakBytes - report.model.fileBytes - report.model.kvCacheBytes : Number.NaN;
}

function memoryTable(report: BenchReport): Table {
  const mb = (bytes: number | undefined): string => (bytes === undefined || !Number.isFinite(bytes) ? 'n/a' : String(Math.round(bytes / 1e6)));
  const both = (pick: (memory: ProcessMemory) => number): string[] => [
    mb(report.ours?.memory && pick(report.ours.memory)),
    mb(report.llamaServer?.memory && pick(report.llamaServer.memory)),
  ];
  return {
    header: ['Memory after the run (MB)', 'llama-bridge', 'llama-server'],
    body: [
      ['Peak resident (VmHWM)', ...both((m) => m.peakBytes)],
      ['Resident now (VmRSS)', ...both((m) => m.rssBytes)],
      ['… file-backed (memory-mapped model, binaries)', ...both((m) => m.fileBytes)],
      ['… anonymous (KV cache, compute buffers, heaps)', ...both((m) => m.anonBytes)],
      ['Model file', mb(report.model.fileBytes), mb(report.model.fileBytes)],
      [`KV cache (f16, ${report.config.parallel} × ${report.config.slotContext} cells)`, mb(report.model.kvCacheBytes), mb(report.model.kvCacheBytes)],
      ['**Beyond model + KV cache (peak)**', mb(beyondModelAndKv(report, report.ours?.memory)), mb(beyondModelAndKv(report, report.llamaServer?.memory))],
    ],
  };
}

export function markdownTable({ header, body }: Table, align: Array<'l' | 'r'>): string {
  const sep = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [header, sep, ...body].map((cells) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n');
}

export function textTable({ header, body }: Table): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function consoleReport(report: BenchReport): string {
  const parts = [
    '',
    textTable(mainTable(report)),
    '',
    textTable(detailTable(report)),
    '',
    textTable(memoryTable(report)),
    `* disturbed (other processes used more than ${report.config.disturbedCores} cores during that measurement): left out of its median`,
    '',
    `load average before ${report.loadBefore}; after ${report.loadAfter}; run took ${(report.durationSeconds / 60).toFixed(1)} min`,
  ];
  if (report.ours?.error) parts.push(`llama-bridge error: ${report.ours.error}`);
  if (report.llamaServer?.error) parts.push(`llama-server error: ${report.llamaServer.error}`);
  if (report.llamaBenchError) parts.push(`llama-bench error: ${report.llamaBenchError}`);
  if (report.observations.length > 0) parts.push('', 'Observations:', ...report.observations.map((o) => `- ${o}`));
  return parts.join('\n');
}

export function markdownReport(report: BenchReport): string {
  const m = report.machine;
  const c = report.config;
  const lines = [
    `### Run of ${report.date}`,
    '',
    `- **Machine:** ${m.nproc} cores (\`nproc\`), ${m.cpuModel} (${m.simd}), ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}`,
    `- **Load average** (1/5/15 min): ${report.loadBefore} before, ${report.loadAfter} after — the machine is shared; compare ratios, not absolute numbers.`,
    `- **llama.cpp:** commit \`${report.llamaCppCommit}\` (${report.llamaCppVersion}), built from node-llama-cpp ${report.nodeLlamaCppVersion}'s bundled source; llama-bridge runs node-llama-cpp ${report.nodeLlamaCppVersion}'s prebuilt binary.`,
    `- **Model:** ${report.model.description}.`,
    `- **Settings (all three):** ${c.threads} threads, batch ${c.batch}, flash attention ${c.flashAttention}${c.flashAttention === 'auto' ? " (every tool's default; llama.cpp decides)" : ''}, ${c.parallel} slots × ${c.slotContext} tokens per slot${report.llamaServerSlotContext !== undefined ? ` (llama-server reported n_ctx_slot = ${report.llamaServerSlotContext})` : ''}, temperature 0, seed fixed.`,
    ...(report.llamaBench?.otherCores !== undefined
      ? [
          `- **llama-bench** ran while other processes used ${report.llamaBench.otherCores.toFixed(2)} cores${report.llamaBench.otherCores > c.disturbedCores ? ' (disturbed: its numbers are low)' : ''}.`,
        ]
      : []),
    `- **Repetitions:** ${c.reps} (+ up to ${c.extraReps} extra to replace disturbed ones), median shown; llama-bridge and llama-server alternate within each repetition. The run took ${(report.durationSeconds / 60).toFixed(1)} min.`,
    '',
    'Commands:',
    '',
    '```sh',
    'npm run bench',
    ...(report.ours ? [report.ours.command] : []),
    ...(report.llamaServer ? [report.llamaServer.command] : []),
    ...(report.llamaBench ? [report.llamaBench.command] : []),
    '```',
    '',
    markdownTable(mainTable(report), ['l', 'l', 'r', 'r', 'r', 'r']),
    '',
    'Ratio = llama-bridge ÷ llama-server: above 1× is better for tok/s rows, below 1× is better for TTFT rows.',
    '',
    markdownTable(memoryTable(report), ['l', 'r', 'r']),
    '',
    "Memory is read from `/proc/<pid>/status` of each server's process after the last repetition; the KV cache size is computed from the model's dimensions. \"Beyond\" = peak resident − model file − KV cache: llama.cpp's compute buffers plus, for llama-bridge, the Node.js runtime and our code.",
    '',
    '<details><summary>Every repetition</summary>',
    '',
    markdownTable(detailTable(report), ['l', 'r', 'r']),
    '',
    `\\* disturbed: other processes kept more than ${c.disturbedCores} cores busy during that measurement; left out of its median (up to ${c.extraReps} extra repetitions make up for them).`,
    '',
    '</details>',
  ];
  const errors = [
    report.ours?.error && `llama-bridge: ${report.ours.error}`,
    report.llamaServer?.error && `llama-server: ${report.llamaServer.error}`,
    report.llamaBenchError && `llama-bench: ${report.llamaBenchError}`,
  ].filter(Boolean) as string[];
  if (errors.length > 0) lines.push('', '**Errors:**', '', ...errors.map((e) => `- \`${e.split('\n')[0]}\``));
  if (report.observations.length > 0) lines.push('', '**Observations** (generated by the script):', '', ...report.observations.map((o) => `- ${o}`));
  return lines.join('\n');
}

export const RESULTS_START = '<!-- bench:results:start (written by `npm run bench`; edit outside this block) -->';
export const RESULTS_END = '<!-- bench:results:end -->';

/** Replaces the marked results block of docs/benchmarks.md (creating the file or block when missing). */
export function writeResultsBlock(docPath: string, block: string): void {
  writeMarkedBlock(docPath, block, RESULTS_START, RESULTS_END, 28);
}

/**
 * Replaces the text between `startMarker` (recognised by its first `startPrefix` characters) and
 * `endMarker` in `docPath`; appends the block at the end when the markers are missing.
 */
export function writeMarkedBlock(docPath: string, block: string, startMarker: string, endMarker: string, startPrefix = startMarker.length): void {
  const wrapped = `${startMarker}\n\n${block}\n\n${endMarker}`;
  let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n\n## Results\n\n';
  const start = doc.indexOf(startMarker.slice(0, startPrefix));
  const end = doc.indexOf(endMarker);
  if (start >= 0 && end > start) doc = doc.slice(0, start) + wrapped + doc.slice(end + endMarker.length);
  else doc = `${doc.trimEnd()}\n\n${wrapped}\n`;
  writeFileSync(docPath, doc);
}
