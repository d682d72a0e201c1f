// `npm run bench -- --spec`: speculative decoding (issue 16), side by side in one run.
//
// One scripted model file (bench/spec-models.ts: Qwen2.5-0.5B-sized, greedy output known in
// advance) and one scripted draft, the same threads and slots for every server:
//   llama-server without speculation, with --spec-type ngram-simple, with ngram-mod, with -md <draft>;
//   llama-bridge with --spec-type none, ngram, and draft (--model-draft <draft>).
// Two workloads through the OpenAI chat API, streamed: edit (answer = the prompt's file with three
// lines changed) and prose (answer shares nothing with the prompt); for llama-bridge also 4
// concurrent edit streams with and without n-gram speculation. Every answer is compared with the
// script: speculation that changes greedy output is a bug, flagged in the table.
//
// Each round starts every variant in turn (one at a time: they share 2 cores), warms it up,
// measures, and stops it; rounds alternate the order, so drift in machine load does not favour
// one side. A variant that fails to start is reported as "not run" (e.g. flags this build of
// llama-bridge does not have yet) and the others go on.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSample, cpuUse } from './cpu.js';
import { streamChat, type StreamTiming } from './http-client.js';
import { cacheRoot, toolVersion, type LlamaCppTools } from './llama-cpp.js';
import { loadAverage, machineInfo, type MachineInfo } from './machine.js';
import { median, warmUp } from './measure.js';
import { markdownTable, textTable, writeMarkedBlock, type Table } from './report.js';
import { buildOurs, oursServeHelp, repoRoot, startLlamaServer, startOurs, type RunningServer, type ServerConfig } from './servers.js';
import { specModels, WORKLOADS, type SpecModels, type WorkloadName } from './spec-models.js';

export interface SpecBenchOptions {
  tools: LlamaCppTools;
  reps: number;
  threads: number;
  writeDocs: boolean;
  /** Only these variant ids (default: all). */
  only?: string[];
  log: (line: string) => void;
}

type ServerKind = 'llama-server' | 'llama-bridge';

interface Variant {
  id: string;
  kind: ServerKind;
  label: string;
  args: string[];
  /** Also measure 4 concurrent edit streams. */
  streams: boolean;
  /** Flag this build of llama-bridge must have (checked in `serve --help`). */
  needs?: string;
}

/** Draft tokens per step for the draft-model runs (llama-server's default is 3; both get the same). */
const DRAFT_MAX = 16;
const STREAMS = 4;
/** A measurement during which other processes kept more cores than this busy is marked disturbed. */
const DISTURBED_CORES = 0.3;

function variants(models: SpecModels): Variant[] {
  const draft = models.draft.path;
  return [
    { id: 'ls-none', kind: 'llama-server', label: 'llama-server, no speculation', args: [], streams: false },
    { id: 'ls-ngram-simple', kind: 'llama-server', label: 'llama-server --spec-type ngram-simple', args: ['--spec-type', 'ngram-simple'], streams: false },
    { id: 'ls-ngram-mod', kind: 'llama-server', label: 'llama-server --spec-type ngram-mod', args: ['--spec-type', 'ngram-mod'], streams: false },
    {
      id: 'ls-draft',
      kind: 'llama-server',
      label: `llama-server -md draft (n_max ${DRAFT_MAX})`,
      args: ['-md', draft, '--spec-type', 'draft-simple', '--spec-draft-n-max', String(DRAFT_MAX)],
      streams: false,
    },
    { id: 'ours-none', kind: 'llama-bridge', label: 'llama-bridge --spec-type none', args: ['--spec-type', 'none'], streams: true, needs: '--spec-type' },
    { id: 'ours-ngram', kind: 'llama-bridge', label: 'llama-bridge --spec-type ngram', args: ['--spec-type', 'ngram'], streams: true, needs: '--spec-type' },
    {
      id: 'ours-draft',
      kind: 'llama-bridge',
      label: `llama-bridge --model-draft draft (max ${DRAFT_MAX})`,
      args: ['--model-draft', draft, '--spec-type', 'draft', '--draft-max', String(DRAFT_MAX)],
      streams: false,
      needs: '--model-draft',
    },
  ];
}

export interface RequestResult {
  tokens: number;
  finish: string | undefined;
  /** (tokens − 1) / (last token − first token). */
  decodeTps: number;
  ttftSeconds: number;
  /** The answer equals the script. */
  correct: boolean;
  /** Where the answer first differs from the script (character index), with a few characters of each. */
  mismatch?: { at: number; got: string; expected: string };
  /** Earlier attempts replaced because other processes disturbed them. */
  replacedDisturbed?: number;
  /** Draft counters: llama-server's `timings`, llama-bridge's /metrics (difference over the request). */
  draftN?: number;
  draftAccepted?: number;
  otherCores?: number;
}

export interface StreamsResult {
  tokens: number;
  /** All tokens / (last stream end − first request sent), prefill included. */
  wholeTps: number;
  /** Σ (tokens − 1) / (last token of any stream − first token of any stream): decoding together. */
  decodeTps: number;
  correct: number;
  otherCores?: number;
}

export interface VariantResult {
  id: string;
  kind: ServerKind;
  label: string;
  command?: string;
  /** Why it was not run (failed to start, flag missing). */
  notRun?: string;
  /** Failed during the measurements. */
  error?: string;
  edit: RequestResult[];
  prose: RequestResult[];
  streams: StreamsResult[];
}

export interface SpecReport {
  date: string;
  durationSeconds: number;
  machine: MachineInfo;
  loadBefore: string;
  loadAfter: string;
  llamaCppCommit: string;
  llamaCppVersion: string;
  model: { target: string; draft: string; targetPath: string; draftPath: string; answerTokens: Record<WorkloadName, number> };
  settings: { threads: number; parallel: number; slotContext: number; batch: number; reps: number; draftMax: number; streams: number };
  variants: VariantResult[];
}

const ttft = (t: StreamTiming): number => (t.firstToken - t.started) / 1000;
const decodeRate = (t: StreamTiming): number => (t.completionTokens > 1 && t.lastToken > t.firstToken ? ((t.completionTokens - 1) * 1000) / (t.lastToken - t.firstToken) : 0);

function mismatch(got: string, expected: string): RequestResult['mismatch'] {
  if (got === expected) return undefined;
  let at = 0;
  while (at < got.length && at < expected.length && got[at] === expected[at]) at++;
  return { at, got: got.slice(Math.max(0, at - 10), at + 30), expected: expected.slice(Math.max(0, at - 10), at + 30) };
}

/** llama-bridge's speculation counters from /metrics (summed over caches), or undefined. */
async function ourDraftCounters(server: RunningServer): Promise<{ drafted: number; accepted: number } | undefined> {
  try {
    const response = await fetch(`${server.baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return undefined;
    const text = await response.text();
    const sum = (name: string): number =>
      text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .reduce((total, line) => total + Number(line.trim().split(/\s+/).at(-1)), 0);
    return { drafted: sum('llama_bridge_draft_tokens_total'), accepted: sum('llama_bridge_draft_accepted_tokens_total') };
  } catch {
    return undefined;
  }
}

/** One request; run again (up to `retries` times) while other processes kept the cores busy during it. */
async function request(server: RunningServer, workload: WorkloadName, tag: string, maxTokens: number, retries = 2): Promise<RequestResult> {
  let result = await requestOnce(server, workload, `${tag}-a0`, maxTokens);
  for (let attempt = 1; attempt <= retries && (result.otherCores ?? 0) > DISTURBED_CORES; attempt++) {
    result = { ...(await requestOnce(server, workload, `${tag}-a${attempt}`, maxTokens)), replacedDisturbed: attempt };
  }
  return result;
}

async function requestOnce(server: RunningServer, workload: WorkloadName, tag: string, maxTokens: number): Promise<RequestResult> {
  const counters = server.name === 'llama-bridge' ? await ourDraftCounters(server) : undefined;
  const before = cpuSample(server.pgid);
  const t = await streamChat(server.baseUrl, { messages: WORKLOADS[workload].messages(tag), max_tokens: maxTokens, temperature: 0 });
  const use = cpuUse(before, cpuSample(server.pgid));
  const wrong = mismatch(t.text, WORKLOADS[workload].answer);
  const countersAfter = counters ? await ourDraftCounters(server) : undefined;
  const draftN = t.serverTimings?.draft_n ?? (counters && countersAfter ? countersAfter.drafted - counters.drafted : undefined);
  const draftAccepted = t.serverTimings?.draft_n_accepted ?? (counters && countersAfter ? countersAfter.accepted - counters.accepted : undefined);
  return {
    tokens: t.completionTokens,
    finish: t.finishReason,
    decodeTps: decodeRate(t),
    ttftSeconds: ttft(t),
    correct: wrong === undefined,
    ...(wrong ? { mismatch: wrong } : {}),
    ...(typeof draftN === 'number' ? { draftN } : {}),
    ...(typeof draftAccepted === 'number' ? { draftAccepted } : {}),
    ...(use ? { otherCores: use.otherCores } : {}),
  };
}

async function concurrentStreams(server: RunningServer, tag: string, maxTokens: number): Promise<StreamsResult> {
  const before = cpuSample(server.pgid);
  const all = await Promise.all(
    Array.from({ length: STREAMS }, (_, i) => streamChat(server.baseUrl, { messages: WORKLOADS.edit.messages(`${tag}-${i}`), max_tokens: maxTokens, temperature: 0 })),
  );
  const use = cpuUse(before, cpuSample(server.pgid));
  const tokens = all.reduce((sum, t) => sum + t.completionTokens, 0);
  const start = Math.min(...all.map((t) => t.started));
  const end = Math.max(...all.map((t) => t.ended));
  const firstToken = Math.min(...all.map((t) => t.firstToken));
  const lastToken = Math.max(...all.map((t) => t.lastToken));
  return {
    tokens,
    wholeTps: (tokens * 1000) / (end - start),
    decodeTps: ((tokens - all.length) * 1000) / (lastToken - firstToken),
    correct: all.filter((t) => t.text === WORKLOADS.edit.answer).length,
    ...(use ? { otherCores: use.otherCores } : {}),
  };
}

export async function runSpecBench(options: SpecBenchOptions): Promise<SpecReport> {
  const { log, tools } = options;
  const started = performance.now();
  const loadBefore = loadAverage();
  const models = await specModels('bench', log);
  const config: ServerConfig = { model: models.target.path, threads: options.threads, parallel: STREAMS, slotContext: 4096, batch: 512, flashAttention: 'auto' };
  const logDir = join(cacheRoot(), 'bench-logs');
  const report: SpecReport = {
    date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
    durationSeconds: 0,
    machine: machineInfo(),
    loadBefore,
    loadAfter: '',
    llamaCppCommit: tools.commit,
    llamaCppVersion: toolVersion(tools),
    model: { target: models.description.target, draft: models.description.draft, targetPath: models.target.path, draftPath: models.draft.path, answerTokens: models.answerTokens },
    settings: {
      threads: config.threads,
      parallel: config.parallel,
      slotContext: config.slotContext,
      batch: config.batch,
      reps: options.reps,
      draftMax: DRAFT_MAX,
      streams: STREAMS,
    },
    variants: [],
  };

  const chosen = variants(models).filter((v) => !options.only || options.only.includes(v.id));
  const results = new Map<string, VariantResult>(chosen.map((v) => [v.id, { id: v.id, kind: v.kind, label: v.label, edit: [], prose: [], streams: [] }]));
  report.variants = [...results.values()];

  // Our flags: build once, then see which spec flags this build has.
  if (chosen.some((v) => v.kind === 'llama-bridge')) {
    try {
      log('building llama-bridge (dist/)');
      buildOurs();
      const help = oursServeHelp();
      for (const v of chosen) {
        if (v.kind === 'llama-bridge' && v.needs && !help.includes(v.needs)) results.get(v.id)!.notRun = `this build of llama-bridge has no ${v.needs} flag`;
      }
      // Without --spec-type at all, llama-bridge does not speculate: measure it as it is.
      const none = results.get('ours-none');
      if (none?.notRun && !help.includes('--spec-type')) {
        delete none.notRun;
        const variant = chosen.find((v) => v.id === 'ours-none')!;
        variant.args = [];
        variant.label = 'llama-bridge (no --spec-type in this build: no speculation)';
        none.label = variant.label;
      }
    } catch (error) {
      for (const v of chosen) if (v.kind === 'llama-bridge') results.get(v.id)!.notRun = `build failed: ${(error as Error).message.split('\n')[0]}`;
    }
  }

  const maxTokens = (w: WorkloadName): number => models.answerTokens[w] + 16;
  for (let round = 0; round < options.reps; round++) {
    const order = round % 2 === 0 ? chosen : [...chosen].reverse();
    for (const variant of order) {
      const result = results.get(variant.id)!;
      if (result.notRun || result.error) continue;
      log(`round ${round + 1}/${options.reps}: starting ${variant.label}`);
      let server: RunningServer | undefined;
      try {
        const variantConfig = { ...config, extraArgs: variant.args, logName: `spec-${variant.id}` };
        server = variant.kind === 'llama-server' ? await startLlamaServer(tools, variantConfig, logDir) : await startOurs(variantConfig, logDir, 300_000, false);
        result.command = server.command;
      } catch (error) {
        result.notRun = (error as Error).message;
        log(`${variant.label}: not run: ${result.notRun.split('\n')[0]}`);
        await server?.stop();
        continue;
      }
      try {
        await warmUp(server.baseUrl);
        for (const workload of ['edit', 'prose'] as const) {
          const r = await request(server, workload, `${variant.id}-${round}-${workload}`, maxTokens(workload));
          result[workload].push(r);
          log(
            `  ${workload}: ${r.tokens} tokens, decode ${r.decodeTps.toFixed(1)} tok/s, TTFT ${r.ttftSeconds.toFixed(2)} s` +
              (r.draftN !== undefined ? `, drafts accepted ${r.draftAccepted}/${r.draftN}` : '') +
              (r.otherCores !== undefined ? `, other processes ${r.otherCores.toFixed(2)} cores` : '') +
              (r.replacedDisturbed ? ` (after ${r.replacedDisturbed} disturbed attempt${r.replacedDisturbed > 1 ? 's' : ''})` : '') +
              (r.correct ? '' : ` — OUTPUT DIFFERS from the script at char ${r.mismatch!.at}: got ${JSON.stringify(r.mismatch!.got)}`),
          );
        }
        if (variant.streams) {
          const s = await concurrentStreams(server, `${variant.id}-${round}-streams`, maxTokens('edit'));
          result.streams.push(s);
          log(
            `  ${STREAMS} edit streams: ${s.tokens} tokens, ${s.decodeTps.toFixed(1)} tok/s decoding together, ${s.wholeTps.toFixed(1)} tok/s with prefill; ${s.correct}/${STREAMS} answers match the script`,
          );
        }
      } catch (error) {
        result.error = `round ${round + 1}: ${(error as Error).message}`;
        log(`${variant.label} failed: ${result.error}`);
      } finally {
        await server.stop();
      }
    }
  }

  report.loadAfter = loadAverage();
  report.durationSeconds = (performance.now() - started) / 1000;
  process.stdout.write(`${specConsoleReport(report)}\n`);
  const resultsDir = join(cacheRoot(), 'bench-results');
  mkdirSync(resultsDir, { recursive: true });
  const rawPath = join(resultsDir, `spec-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(rawPath, JSON.stringify(report, null, 2));
  log(`raw results: ${rawPath}; server logs: ${logDir}/spec-*.log`);
  if (options.writeDocs) {
    const docPath = join(repoRoot, 'docs', 'benchmarks.md');
    writeMarkedBlock(docPath, specMarkdownReport(report), SPEC_RESULTS_START, SPEC_RESULTS_END, 24);
    log(`results written to ${docPath}`);
  }
  return report;
}

export const SPEC_RESULTS_START = '<!-- bench:spec:start (written by `npm run bench -- --spec`; edit outside this block) -->';
export const SPEC_RESULTS_END = '<!-- bench:spec:end -->';

// ---- report ----

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const med = (values: number[]): number => median(values);
const disturbed = (other: number | undefined): string => (other !== undefined && other > DISTURBED_CORES ? '*' : '');

function byId(report: SpecReport, id: string): VariantResult | undefined {
  const v = report.variants.find((x) => x.id === id);
  return v && !v.notRun ? v : undefined;
}

const editTps = (v: VariantResult | undefined): number => (v ? med(v.edit.map((r) => r.decodeTps)) : Number.NaN);
const proseTps = (v: VariantResult | undefined): number => (v ? med(v.prose.map((r) => r.decodeTps)) : Number.NaN);
const streamsTps = (v: VariantResult | undefined): number => (v ? med(v.streams.map((s) => s.decodeTps)) : Number.NaN);
const streamsWholeTps = (v: VariantResult | undefined): number => (v ? med(v.streams.map((s) => s.wholeTps)) : Number.NaN);

/** The faster of llama-server's n-gram variants on the edit workload. */
function bestLlamaServerNgram(report: SpecReport): VariantResult | undefined {
  const candidates = ['ls-ngram-simple', 'ls-ngram-mod'].map((id) => byId(report, id)).filter((v): v is VariantResult => v !== undefined && v.edit.length > 0);
  return candidates.sort((a, b) => editTps(b) - editTps(a))[0];
}

function correctness(v: VariantResult): string {
  const all = [...v.edit, ...v.prose];
  const wrong = all.filter((r) => !r.correct);
  const streamsWrong = v.streams.reduce((sum, s) => sum + (STREAMS - s.correct), 0);
  if (all.length === 0) return 'n/a';
  if (wrong.length === 0 && streamsWrong === 0) return 'yes';
  const first = wrong[0]?.mismatch;
  return `**NO — ${wrong.length + streamsWrong} wrong answer(s)${first ? `, first at char ${first.at}: ${JSON.stringify(first.got)}` : ''}**`;
}

function acceptance(rs: RequestResult[]): string {
  const n = rs.reduce((sum, r) => sum + (r.draftN ?? 0), 0);
  const a = rs.reduce((sum, r) => sum + (r.draftAccepted ?? 0), 0);
  return rs.some((r) => r.draftN !== undefined) && n > 0 ? `${a}/${n}` : '—';
}

function variantTable(report: SpecReport): Table {
  const header = [
    'Variant',
    'Edit decode tok/s',
    'Edit TTFT (s)',
    'Prose decode tok/s',
    'Prose TTFT (s)',
    `${STREAMS} edit streams tok/s`,
    'Output = script',
    'Drafts accepted (edit; prose)',
  ];
  const body = report.variants.map((v) => {
    if (v.notRun) return [v.label, `not run: ${v.notRun.split('\n')[0]}`, '', '', '', '', '', ''];
    const list = (rs: RequestResult[], pick: (r: RequestResult) => number, digits = 1): string =>
      rs.length === 0 ? 'n/a' : `${fmt(med(rs.map(pick)), digits)} (${rs.map((r) => `${fmt(pick(r), digits)}${disturbed(r.otherCores)}`).join(', ')})`;
    return [
      v.label + (v.error ? ` (error: ${v.error.split('\n')[0]})` : ''),
      list(v.edit, (r) => r.decodeTps),
      list(v.edit, (r) => r.ttftSeconds, 2),
      list(v.prose, (r) => r.decodeTps),
      list(v.prose, (r) => r.ttftSeconds, 2),
      v.streams.length === 0 ? '' : `${fmt(streamsTps(v))} (${fmt(streamsWholeTps(v))} with prefill)`,
      correctness(v),
      `${acceptance(v.edit)}; ${acceptance(v.prose)}`,
    ];
  });
  return { header, body };
}

function ratioTable(report: SpecReport): Table {
  const lsNone = byId(report, 'ls-none');
  const best = bestLlamaServerNgram(report);
  const oursNone = byId(report, 'ours-none');
  const oursNgram = byId(report, 'ours-ngram');
  const oursDraft = byId(report, 'ours-draft');
  const lsDraft = byId(report, 'ls-draft');
  const row = (label: string, num: number, den: number, target: number | undefined): string[] => {
    const ratio = num / den;
    const verdict = target === undefined || !Number.isFinite(ratio) ? '' : ratio >= target ? 'met' : '**missed**';
    return [label, Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a', target === undefined ? '—' : `≥ ${target}×`, verdict];
  };
  const bestName = best ? best.label.replace('llama-server ', '') : 'best n-gram';
  return {
    header: ['Ratio', 'Value', 'Target', ''],
    body: [
      row('Edit decode: llama-bridge ngram ÷ llama-server without speculation', editTps(oursNgram), editTps(lsNone), 1.5),
      row(`Edit decode: llama-bridge ngram ÷ llama-server ${bestName} (its best n-gram)`, editTps(oursNgram), editTps(best), 1.0),
      row('Prose decode: llama-bridge ngram ÷ llama-bridge without speculation', proseTps(oursNgram), proseTps(oursNone), 0.98),
      row(`${STREAMS} edit streams, aggregate decode: llama-bridge ngram ÷ without`, streamsTps(oursNgram), streamsTps(oursNone), 0.95),
      row('Edit decode: llama-bridge draft ÷ llama-server -md draft', editTps(oursDraft), editTps(lsDraft), undefined),
      row('Edit decode: llama-bridge draft ÷ llama-server without speculation', editTps(oursDraft), editTps(lsNone), undefined),
      row(`Edit decode: llama-server ${bestName} ÷ llama-server without (reference)`, editTps(best), editTps(lsNone), undefined),
      row('Edit decode: llama-server -md draft ÷ llama-server without (reference)', editTps(lsDraft), editTps(lsNone), undefined),
      row('Prose decode: llama-server without ÷ llama-bridge without (reference)', proseTps(lsNone), proseTps(oursNone), undefined),
    ],
  };
}

export function specConsoleReport(report: SpecReport): string {
  const wrong = report.variants.filter((v) => !v.notRun && correctness(v).startsWith('**NO'));
  return [
    '',
    'Speculative decoding (issue 16): decode tok/s median (each round)',
    textTable(variantTable(report)),
    '',
    textTable(ratioTable(report)),
    `* other processes kept more than ${DISTURBED_CORES} cores busy during that request`,
    ...wrong.map((v) => `!!! ${v.label}: its output differs from the script (greedy decoding must not change with speculation)`),
    `load average before ${report.loadBefore}; after ${report.loadAfter}; run took ${(report.durationSeconds / 60).toFixed(1)} min`,
  ].join('\n');
}

export function specMarkdownReport(report: SpecReport): string {
  const m = report.machine;
  const s = report.settings;
  const commands = report.variants.filter((v) => v.command).map((v) => v.command!);
  return [
    `### Run of ${report.date}`,
    '',
    `- **Machine:** ${m.nproc} cores (\`nproc\`), ${m.cpuModel} (${m.simd}), ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}`,
    `- **Load average** (1/5/15 min): ${report.loadBefore} before, ${report.loadAfter} after — the machine is shared; compare ratios, not absolute numbers.`,
    `- **llama.cpp:** commit \`${report.llamaCppCommit}\` (${report.llamaCppVersion}).`,
    `- **Target model:** ${report.model.target}. Answers: edit ${report.model.answerTokens.edit} tokens, prose ${report.model.answerTokens.prose} tokens.`,
    `- **Draft model:** ${report.model.draft}.`,
    `- **Settings (every server):** ${s.threads} threads, ${s.parallel} slots × ${s.slotContext} tokens, batch ${s.batch}, temperature 0; draft runs ${s.draftMax} draft tokens at most per step. ${s.reps} rounds, each starting every variant in turn (order reversed every other round); medians, every round in brackets.`,
    '',
    'Commands:',
    '',
    '```sh',
    'npm run bench -- --spec',
    ...[...new Set(commands)],
    '```',
    '',
    markdownTable(variantTable(report), ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'r']),
    '',
    markdownTable(ratioTable(report), ['l', 'r', 'r', 'l']),
    '',
    `\\* other processes kept more than ${DISTURBED_CORES} cores busy during that request. Decode tok/s = (tokens − 1) / (last token − first token) of one streamed request; ${STREAMS} streams: Σ (tokens − 1) / (last token of any stream − first token of any). The run took ${(report.durationSeconds / 60).toFixed(1)} min.`,
  ].join('\n');
}
