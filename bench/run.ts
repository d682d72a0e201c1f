// `npm run bench`: llama-bridge side by side with llama.cpp's llama-server and llama-bench,
// same model file, same threads, one run. See docs/benchmarks.md for the method.
//
//   npm run bench -- [--reps N] [--threads N] [--skip-ours] [--skip-llama-server]
//                    [--skip-llama-bench] [--no-docs] [--flash-attn auto|on|off]
//   npm run bench -- --spec [--reps N] [--threads N] [--no-docs] [--spec-variants ls-none,ours-ngram,...]
//                    speculative decoding only (bench/spec.ts; --reps defaults to 2 there)
//   npm run bench -- --remote [--reps N] [--no-docs]
//                    a request through --remote llama-server vs in-process vs llama-server itself (bench/remote.ts)
//   npm run bench -- --ui [--reps N] [--no-docs]
//                    what an open status page costs while decoding, and its weight (bench/ui.ts)
//
// Caches (outside the repo): $LLAMA_BRIDGE_CACHE or ~/.cache/llama-bridge
//   llama.cpp-<commit>/   the llama.cpp build (made on first run, ~15 min on 2 cores)
//   bench-logs/           server logs of the last run
//   bench-results/        raw JSON of every run

import { DEFAULTS } from '../src/config/config.js';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureLlamaCpp, cacheRoot, toolVersion, type LlamaCppTools } from './llama-cpp.js';
import { runLlamaBench } from './llama-bench.js';
import { loadAverage, machineInfo } from './machine.js';
import { measureRep, PHASES, warmUp } from './measure.js';
import { groupMemory, kvCacheBytes } from './memory.js';
import { benchModel } from './model.js';
import { buildPromptSet, PromptBuilder, type PromptSet } from './prompts.js';
import { runSpecBench } from './spec.js';
import { runUiBench } from './ui.js';
import { runRemoteBench } from './remote.js';
import { beyondModelAndKv, consoleReport, markdownReport, medianOf, writeResultsBlock, type BenchConfig, type BenchReport, type ServerResult } from './report.js';
import { llamaServerSlotContext, repoRoot, startLlamaServer, startOurs, type RunningServer, type ServerConfig } from './servers.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string' },
    threads: { type: 'string', default: '2' },
    'skip-ours': { type: 'boolean', default: false },
    'skip-llama-server': { type: 'boolean', default: false },
    'skip-llama-bench': { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false },
    'flash-attn': { type: 'string', default: 'auto' },
    spec: { type: 'boolean', default: false },
    'spec-variants': { type: 'string' },
    ui: { type: 'boolean', default: false },
    remote: { type: 'boolean', default: false },
  },
});

const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

const config: BenchConfig = {
  threads: Number(args.threads),
  // The server's defaults (slots, batch), so the bench measures what users run.
  parallel: DEFAULTS.parallel,
  slotContext: 4096,
  batch: DEFAULTS.batchSize,
  // The same for all three tools; default 'auto', what each of them does when not told.
  flashAttention: parseFlashAttention(args['flash-attn']),
  reps: Number(args.reps ?? 3),
  // Up to this many extra repetitions replace ones during which other processes kept
  // more than `disturbedCores` cores busy (other people's builds and tests on a shared machine).
  extraReps: 2,
  disturbedCores: 0.3,
  prefillTokens: 512,
  decodeTokens: 128,
  conversationTokens: 2000,
  turns: 5,
  streams: 4,
};

interface Contender {
  key: 'ours' | 'llamaServer';
  name: string;
  server?: RunningServer;
  result: ServerResult;
}

/** `--spec`: only the speculative-decoding section (bench/spec.ts). */
async function specMain(): Promise<void> {
  log(`load average ${loadAverage()} (${machineInfo().nproc} cores)`);
  const tools = await ensureLlamaCpp(log);
  const report = await runSpecBench({
    tools,
    reps: Number(args.reps ?? 2),
    threads: Number(args.threads),
    writeDocs: !args['no-docs'],
    ...(args['spec-variants'] ? { only: args['spec-variants'].split(',') } : {}),
    log,
  });
  if (report.variants.some((v) => v.error || [...v.edit, ...v.prose].some((r) => !r.correct) || v.streams.some((x) => x.correct < report.settings.streams))) process.exitCode = 1;
}

async function main(): Promise<void> {
  if (args.spec) return specMain();
  if (args.remote) return runRemoteBench({ tools: await ensureLlamaCpp(log), reps: Number(args.reps ?? 5), threads: Number(args.threads), writeDocs: !args['no-docs'], log });
  if (args.ui) return runUiBench({ reps: Number(args.reps ?? 5), threads: Number(args.threads), writeDocs: !args['no-docs'], log });
  const started = performance.now();
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const loadBefore = loadAverage();
  log(`load average ${loadBefore} (${machineInfo().nproc} cores)`);

  const tools: LlamaCppTools = await ensureLlamaCpp(log);
  const model = await benchModel(log);

  const serverConfig: ServerConfig = {
    model: model.path,
    threads: config.threads,
    parallel: config.parallel,
    slotContext: config.slotContext,
    batch: config.batch,
    flashAttention: config.flashAttention,
  };

  log('building prompts (vocabulary-only load of the model)');
  const builder = await PromptBuilder.create(model.path, model.template);
  const promptSets: PromptSet[] = [];
  try {
    for (let rep = 0; rep < config.reps + config.extraReps; rep++) {
      promptSets.push(
        buildPromptSet(builder, rep, {
          prefill: config.prefillTokens,
          conversation: config.conversationTokens,
          turns: config.turns,
          streams: config.streams,
        }),
      );
    }
  } finally {
    await builder.dispose();
  }

  const report: BenchReport = {
    date,
    durationSeconds: 0,
    machine: machineInfo(),
    loadBefore,
    loadAfter: '',
    llamaCppCommit: tools.commit,
    llamaCppVersion: toolVersion(tools),
    nodeLlamaCppVersion: nodeLlamaCppVersion(),
    model: { path: model.path, description: model.description, fileBytes: statSync(model.path).size, kvCacheBytes: kvCacheBytes(model.dims, config.parallel * config.slotContext) },
    config,
    observations: [],
  };

  // The engine's ceiling first, while nothing else of ours runs.
  if (!args['skip-llama-bench']) {
    log(`llama-bench: pp${config.prefillTokens} and tg${config.decodeTokens}, ${config.threads} threads`);
    try {
      // Like the servers' measurements: run again (up to twice more) when other processes competed for the cores.
      for (let attempt = 0; attempt < 1 + config.extraReps; attempt++) {
        const result = await runLlamaBench(tools, {
          model: model.path,
          prompt: config.prefillTokens,
          generate: config.decodeTokens,
          threads: config.threads,
          batch: config.batch,
          flashAttention: config.flashAttention,
          repetitions: 3,
          displayModel: relative(repoRoot, model.path),
        });
        const other = result.otherCores ?? 0;
        log(`llama-bench: pp ${result.prefillTps.toFixed(1)} tok/s, tg ${result.decodeTps.toFixed(1)} tok/s; other processes used ${other.toFixed(2)} cores`);
        if (!report.llamaBench || other < (report.llamaBench.otherCores ?? 0)) report.llamaBench = result;
        if (other <= config.disturbedCores) break;
        if (attempt < config.extraReps) log('llama-bench: disturbed by other processes; running it again');
      }
    } catch (error) {
      report.llamaBenchError = (error as Error).message;
      log(`llama-bench failed: ${report.llamaBenchError}`);
    }
  }

  const logDir = join(cacheRoot(), 'bench-logs');
  const contenders: Contender[] = [];
  if (!args['skip-ours']) contenders.push({ key: 'ours', name: 'llama-bridge', result: { command: '', reps: [] } });
  if (!args['skip-llama-server']) contenders.push({ key: 'llamaServer', name: 'llama-server', result: { command: '', reps: [] } });

  try {
    // Start both (one at a time: loading competes for the same 2 cores), then measure them alternately.
    for (const contender of contenders) {
      log(`starting ${contender.name}`);
      try {
        contender.server = contender.key === 'ours' ? await startOurs(serverConfig, logDir) : await startLlamaServer(tools, serverConfig, logDir);
        contender.result.command = contender.server.command;
        contender.result.startSeconds = contender.server.startSeconds;
        log(`${contender.name} ready at ${contender.server.baseUrl} after ${contender.server.startSeconds.toFixed(1)} s; warming up`);
        await warmUp(contender.server.baseUrl);
      } catch (error) {
        contender.result.error = (error as Error).message;
        log(`${contender.name} failed to start: ${contender.result.error}`);
        await contender.server?.stop();
        contender.server = undefined;
      }
      report[contender.key] = contender.result;
    }
    const llamaServer = contenders.find((c) => c.key === 'llamaServer')?.server;
    if (llamaServer) report.llamaServerSlotContext = llamaServerSlotContext(llamaServer.logFile);

    // Fewest undisturbed values any one measurement has.
    const clean = (c: Contender): number => Math.min(...PHASES.map((phase) => c.result.reps.filter((r) => !r.disturbed.includes(phase)).length));
    for (let round = 0; round < promptSets.length; round++) {
      // After the planned repetitions, repeat only for a server that has too few undisturbed ones.
      const due = contenders.filter((c) => c.server && (round < config.reps || clean(c) < config.reps));
      if (due.length === 0) break;
      // Alternate who goes first, so drift in machine load does not favour one side.
      const order = round % 2 === 0 ? due : [...due].reverse();
      for (const contender of order) {
        if (!contender.server) continue;
        const label = round < config.reps ? `repetition ${round + 1}/${config.reps}` : `extra repetition ${round + 1} (earlier ones were disturbed)`;
        log(`${label}: ${contender.name}`);
        try {
          const metrics = await measureRep(contender.server.baseUrl, promptSets[round]!, {
            decodeTokens: config.decodeTokens,
            seed: 42,
            pgid: contender.server.pgid,
            disturbedCores: config.disturbedCores,
          });
          contender.result.reps.push(metrics);
          log(
            `  prefill ${metrics.prefillTps.toFixed(1)} tok/s, decode ${metrics.decodeTps.toFixed(1)} tok/s (${metrics.decodeTokens} tokens), ` +
              `TTFT cold ${metrics.ttftColdSeconds.toFixed(2)} s, hot ${metrics.ttftHotSeconds.toFixed(3)} s (cached ${metrics.hotCachedTokens ?? '?'}/${metrics.hotPromptTokens}), ` +
              `${config.streams} streams ${metrics.streamsTps.toFixed(1)} tok/s (overlap ${metrics.streamsOverlap}); ` +
              `CPU: server ${metrics.serverCpuCores?.toFixed(2) ?? '?'} cores, others ${metrics.otherCpuCores?.toFixed(2) ?? '?'}` +
              (metrics.disturbed.length > 0 ? ` (disturbed: ${metrics.disturbed.join(', ')})` : ''),
          );
        } catch (error) {
          contender.result.error = `repetition ${round + 1}: ${(error as Error).message}`;
          log(`${contender.name} failed: ${contender.result.error}`);
          await contender.server.stop();
          contender.server = undefined;
        }
      }
    }
    for (const contender of contenders) {
      contender.result.memory = groupMemory(contender.server?.pgid);
      if (contender.result.memory) log(`${contender.name}: peak resident ${Math.round(contender.result.memory.peakBytes / 1e6)} MB (pid ${contender.result.memory.pid})`);
    }
  } finally {
    for (const contender of contenders) await contender.server?.stop();
  }

  report.loadAfter = loadAverage();
  report.durationSeconds = (performance.now() - started) / 1000;
  report.observations = observations(report);

  process.stdout.write(`${consoleReport(report)}\n`);

  const resultsDir = join(cacheRoot(), 'bench-results');
  mkdirSync(resultsDir, { recursive: true });
  const rawPath = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(rawPath, JSON.stringify(report, null, 2));
  log(`raw results: ${rawPath}; server logs: ${logDir}`);
  if (!args['no-docs']) {
    const docPath = join(repoRoot, 'docs', 'benchmarks.md');
    writeResultsBlock(docPath, markdownReport(report));
    log(`results written to ${docPath}`);
  }
  if (contenders.some((c) => c.result.error) || report.llamaBenchError) process.exitCode = 1;
}

/** Things in our numbers worth a look, derived from the run itself. */
function observations(report: BenchReport): string[] {
  const notes: string[] = [];
  const { ours, llamaServer, llamaBench, config: c } = report;
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  for (const [name, result] of [
    ['llama-bridge', ours],
    ['llama-server', llamaServer],
  ] as const) {
    if (!result || result.reps.length === 0) continue;
    const disturbed = PHASES.map((phase) => [phase, result.reps.filter((r) => r.disturbed.includes(phase)).length] as const).filter(([, n]) => n > 0);
    if (disturbed.length > 0) {
      notes.push(
        `${name}: disturbed measurements (other processes kept more than ${c.disturbedCores} cores busy), left out of the medians: ${disturbed.map(([phase, n]) => `${phase} ×${n}`).join(', ')}${disturbed.some(([, n]) => n === result.reps.length) ? ' (where every repetition was disturbed, all are used and the median is depressed)' : ''}.`,
      );
    }
    const short = result.reps.filter((r) => r.decodeTokens < c.decodeTokens);
    if (short.length > 0) {
      notes.push(
        `${name}: the decode request stopped early (${short.map((r) => `${r.decodeTokens} tokens, ${r.decodeFinish}`).join('; ')}); rates use the tokens actually generated.`,
      );
    }
    const shortStreams = result.reps.filter((r) => r.streamsTokens < c.decodeTokens * c.streams);
    if (shortStreams.length > 0) {
      notes.push(`${name}: the concurrent streams generated ${shortStreams.map((r) => r.streamsTokens).join(', ')} tokens instead of ${c.decodeTokens * c.streams}.`);
    }
    const notCold = result.reps.filter((r) => (r.prefillCachedTokens ?? 0) > 16 || (r.coldCachedTokens ?? 0) > 16);
    if (notCold.length > 0) notes.push(`${name}: a "cold" request found tokens in the cache (${notCold.map((r) => `${r.prefillCachedTokens}/${r.coldCachedTokens}`).join(', ')}).`);
    const missed = result.reps.filter((r) => r.hotCachedTokens !== undefined && r.hotCachedTokens < 0.9 * r.coldPromptTokens);
    if (missed.length > 0) {
      notes.push(`${name}: the hot request did NOT reuse the cached conversation (cached ${missed.map((r) => `${r.hotCachedTokens}/${r.hotPromptTokens}`).join(', ')} tokens).`);
    }
    if (result.reps.some((r) => r.hotCachedTokens === undefined)) notes.push(`${name}: reports no cached-token count, so cache reuse is judged by TTFT only.`);
    const hotOverCold = medianOf(result, 'ttftHotSeconds') / medianOf(result, 'ttftColdSeconds');
    notes.push(`${name}: hot TTFT is ${pct(hotOverCold)} of cold TTFT.`);
    const overlap = Math.min(...result.reps.map((r) => r.streamsOverlap));
    if (overlap < c.streams) notes.push(`${name}: only ${overlap} of ${c.streams} streams were decoding at the same time in some repetition.`);
    const scaling = medianOf(result, 'streamsTps') / medianOf(result, 'decodeTps');
    notes.push(`${name}: ${c.streams} concurrent streams give ${scaling.toFixed(2)}× the single-stream decode rate (including their prefill).`);
    if (llamaBench) {
      notes.push(
        `${name}: prefill at ${pct(medianOf(result, 'prefillTps') / llamaBench.prefillTps)} and decode at ${pct(medianOf(result, 'decodeTps') / llamaBench.decodeTps)} of llama-bench.`,
      );
    }
  }
  if (ours?.memory) {
    const mb = (bytes: number): number => Math.round(bytes / 1e6);
    const theirs = llamaServer?.memory ? `, llama-server's ${mb(beyondModelAndKv(report, llamaServer.memory))} MB` : '';
    notes.push(`llama-bridge: ${mb(beyondModelAndKv(report, ours.memory))} MB resident beyond the model file and the KV cache at its peak${theirs} (target ≤ 150 MB).`);
  }
  return notes;
}

function parseFlashAttention(value: string | undefined): 'auto' | 'on' | 'off' {
  if (value === 'auto' || value === 'on' || value === 'off') return value;
  throw new Error(`--flash-attn takes auto, on or off, not "${value}"`);
}

function nodeLlamaCppVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('node-llama-cpp');
    const pkg = JSON.parse(readFileSync(join(entry, '..', '..', 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
