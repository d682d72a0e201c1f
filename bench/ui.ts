// `npm run bench -- --ui`: what an open status page costs the server while it decodes, and
// what the page weighs. Our server on the bench model (Qwen2.5-0.5B-shaped, 2 threads), one
// 128-token decode at a time, in three settings taken in turn every round so machine noise
// falls on all of them alike:
//   - no page open;
//   - the page's event stream read by a plain client (the server's own cost: a sample and one
//     JSON update a second);
//   - the page open in headless Chromium on the same machine (what a user on one machine pays:
//     the browser draws the plots every second too).
// The page weight is the bytes of every file the page loads, as served and gzip-compressed.

import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEFAULTS } from '../src/config/config.js';
import { chromiumPath } from '../test/helpers/browser.js';
import { cpuSample, cpuUse } from './cpu.js';
import { streamChat } from './http-client.js';
import { cacheRoot } from './llama-cpp.js';
import { machineInfo } from './machine.js';
import { median, warmUp } from './measure.js';
import { benchModel } from './model.js';
import { writeMarkedBlock } from './report.js';
import { repoRoot, startOurs, type RunningServer } from './servers.js';

export interface UiBenchOptions {
  reps: number;
  threads: number;
  writeDocs: boolean;
  log: (line: string) => void;
}

const MODES = ['no page', 'event stream read', 'page open in Chromium'] as const;
type Mode = (typeof MODES)[number];

const DECODE_TOKENS = 128;
/** The files the page loads, as the browser asks for them. */
const PAGE_FILES = ['/', '/ui/assets/style.css', '/ui/assets/app.js', '/ui/assets/vendor/preact-htm.js', '/ui/assets/vendor/uplot.js', '/ui/assets/vendor/uplot.css'];

interface Sample {
  mode: Mode;
  decodeTps: number;
  tokens: number;
  /** Cores the server used during the request, and what other processes (the browser among them) used. */
  serverCores?: number;
  otherCores?: number;
}

export async function runUiBench(options: UiBenchOptions): Promise<void> {
  const { log } = options;
  const model = await benchModel(log);
  const logDir = join(cacheRoot(), 'bench-logs');
  const server = await startOurs(
    { model: model.path, threads: options.threads, parallel: DEFAULTS.parallel, slotContext: 4096, batch: DEFAULTS.batchSize, flashAttention: 'auto', logName: 'ui-llama-bridge' },
    logDir,
  );
  let browser: Browser | undefined;
  try {
    const weight = await pageWeight(server.baseUrl);
    log(`page weight: ${kib(weight.bytes)} as served, ${kib(weight.gzip)} gzip-compressed, ${weight.files} files`);
    await warmUp(server.baseUrl);
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const samples: Sample[] = [];
    for (let rep = 0; rep < options.reps; rep++) {
      // Rotate the order each round, so no setting always runs first.
      const order = MODES.map((_, i) => MODES[(i + rep) % MODES.length]!);
      for (const mode of order) {
        const sample = await measure(server, browser, mode, rep);
        samples.push(sample);
        log(
          `round ${rep + 1}/${options.reps}, ${mode}: decode ${sample.decodeTps.toFixed(1)} tok/s (${sample.tokens} tokens), server ${sample.serverCores?.toFixed(2) ?? '?'} cores, other processes ${sample.otherCores?.toFixed(2) ?? '?'} cores`,
        );
      }
    }
    const block = report(samples, weight, options, model.description);
    process.stdout.write(`\n${block}\n`);
    if (options.writeDocs) {
      writeMarkedBlock(join(repoRoot, 'docs', 'benchmarks.md'), block, UI_START, UI_END, 20);
      log('docs/benchmarks.md: status page block updated');
    }
  } finally {
    await browser?.close();
    await server.stop();
  }
}

const UI_START = '<!-- bench:ui:start (written by `npm run bench -- --ui`; edit outside this block) -->';
const UI_END = '<!-- bench:ui:end -->';

async function measure(server: RunningServer, browser: Browser, mode: Mode, rep: number): Promise<Sample> {
  let page: Page | undefined;
  const stream = new AbortController();
  if (mode === 'page open in Chromium') {
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${server.baseUrl}/`);
    await page.getByTestId('model').waitFor();
  } else if (mode === 'event stream read') {
    const response = await fetch(`${server.baseUrl}/ui/api/events`, { signal: stream.signal });
    void (async () => {
      const reader = response.body!.getReader();
      for (;;) if ((await reader.read()).done) return;
    })().catch(() => undefined);
  }
  try {
    // Let the page settle (first plot, first updates) before the request.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = cpuSample(server.pgid);
    const timing = await streamChat(server.baseUrl, {
      messages: [
        { role: 'system', content: `Status page bench, round ${rep}, ${mode}.` },
        { role: 'user', content: 'Tell me a long story about a lighthouse keeper and the sea.' },
      ],
      max_tokens: DECODE_TOKENS,
    });
    const use = cpuUse(before, cpuSample(server.pgid));
    return {
      mode,
      decodeTps: (timing.completionTokens - 1) / ((timing.lastToken - timing.firstToken) / 1000),
      tokens: timing.completionTokens,
      ...(use ? { serverCores: use.serverCores, otherCores: use.otherCores } : {}),
    };
  } finally {
    stream.abort();
    await page?.close();
  }
}

async function pageWeight(baseUrl: string): Promise<{ bytes: number; gzip: number; files: number }> {
  let bytes = 0;
  let gzip = 0;
  for (const path of PAGE_FILES) {
    const response = await fetch(`${baseUrl}${path}`, { headers: { accept: 'text/html' } });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    const body = Buffer.from(await response.arrayBuffer());
    bytes += body.length;
    gzip += gzipSync(body, { level: 9 }).length;
  }
  return { bytes, gzip, files: PAGE_FILES.length };
}

function report(samples: Sample[], weight: { bytes: number; gzip: number; files: number }, options: UiBenchOptions, modelDescription: string): string {
  const machine = machineInfo();
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16);
  const base = median(samples.filter((s) => s.mode === 'no page').map((s) => s.decodeTps));
  const rows = MODES.map((mode) => {
    const own = samples.filter((s) => s.mode === mode);
    const tps = median(own.map((s) => s.decodeTps));
    const other = median(own.map((s) => s.otherCores ?? 0));
    return `| ${mode} | ${tps.toFixed(1)} (${own.map((s) => s.decodeTps.toFixed(1)).join(', ')}) | ${(tps / base).toFixed(3)}× | ${median(own.map((s) => s.serverCores ?? 0)).toFixed(2)} | ${other.toFixed(2)} |`;
  });
  return [
    `Run ${date} UTC on ${machine.cpuModel} (${machine.nproc} cores), ${options.threads} threads, ${options.reps} rounds; model: ${modelDescription}.`,
    `Command: \`npm run bench -- --ui --reps ${options.reps}\`. Page weight: ${kib(weight.bytes)} in ${weight.files} files as served (${kib(weight.gzip)} gzip-compressed); the page takes one update a second.`,
    '',
    `| while a ${DECODE_TOKENS}-token answer decodes | decode tok/s, median (each round) | ÷ no page | server cores | other processes' cores |`,
    '|---|--:|--:|--:|--:|',
    ...rows,
  ].join('\n');
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
