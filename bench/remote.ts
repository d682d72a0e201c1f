// `npm run bench -- --remote`: what a request costs through the remote path (our server in
// front of llama.cpp's server, `--remote`) against our in-process engine and llama-server asked
// directly, on the same machine, model file and threads. Three servers run side by side (each
// idle while another is measured); every round asks each of them, in a rotating order, for
//   - a ~1,000-token prompt never seen before, one token out: time to first token;
//   - a short prompt and 128 tokens out: decode tokens/s (from the first token to the last).
// The remote path adds rendering/tokenizing here, one HTTP hop and the re-streaming of tokens.

import { join } from 'node:path';
import { DEFAULTS } from '../src/config/config.js';
import { streamChat, type StreamTiming } from './http-client.js';
import { cacheRoot, type LlamaCppTools } from './llama-cpp.js';
import { machineInfo } from './machine.js';
import { median, warmUp } from './measure.js';
import { benchModel } from './model.js';
import { fillerText } from './prompts.js';
import { writeMarkedBlock } from './report.js';
import { repoRoot, startLlamaServer, startOurs, type RunningServer } from './servers.js';

export interface RemoteBenchOptions {
  tools: LlamaCppTools;
  reps: number;
  threads: number;
  writeDocs: boolean;
  log: (line: string) => void;
}

const DECODE_TOKENS = 128;
const PROMPT_WORDS = 750;

interface Sample {
  ttft: number;
  promptTokens: number;
  decodeTps: number;
  decodeTokens: number;
}

export async function runRemoteBench(options: RemoteBenchOptions): Promise<void> {
  const { log } = options;
  const model = await benchModel(log);
  const logDir = join(cacheRoot(), 'bench-logs');
  const base = { model: model.path, threads: options.threads, parallel: 1, slotContext: 4096, batch: DEFAULTS.batchSize, flashAttention: 'auto' as const };
  const started: RunningServer[] = [];
  try {
    const llamaServer = await startLlamaServer(options.tools, { ...base, logName: 'remote-llama-server' }, logDir);
    started.push(llamaServer);
    const inProcess = await startOurs({ ...base, logName: 'remote-in-process' }, logDir);
    started.push(inProcess);
    const remote = await startOurs({ ...base, logName: 'remote-through', extraArgs: ['--remote', llamaServer.baseUrl] }, logDir, 300_000, false);
    started.push(remote);
    const variants = [
      { name: 'llama-server, asked directly', url: llamaServer.baseUrl },
      { name: 'llama-bridge, in-process', url: inProcess.baseUrl },
      { name: 'llama-bridge --remote llama-server', url: remote.baseUrl },
    ];
    for (const variant of variants) await warmUp(variant.url);
    const samples = new Map<string, Sample[]>(variants.map((variant) => [variant.name, []]));
    for (let rep = 0; rep < options.reps; rep++) {
      const order = variants.map((_, i) => variants[(i + rep) % variants.length]!);
      for (const variant of order) {
        const sample = await measure(variant.url, `${variant.name} ${rep}`, rep);
        samples.get(variant.name)!.push(sample);
        log(
          `round ${rep + 1}/${options.reps}, ${variant.name}: TTFT ${sample.ttft.toFixed(2)} s (${sample.promptTokens} prompt tokens), decode ${sample.decodeTps.toFixed(1)} tok/s (${sample.decodeTokens} tokens)`,
        );
      }
    }
    const block = report(variants, samples, options, model.description);
    process.stdout.write(`\n${block}\n`);
    if (options.writeDocs) {
      writeMarkedBlock(join(repoRoot, 'docs', 'benchmarks.md'), block, REMOTE_START, REMOTE_END, 24);
      log('docs/benchmarks.md: remote engine block updated');
    }
  } finally {
    for (const server of started.reverse()) await server.stop();
  }
}

const REMOTE_START = '<!-- bench:remote:start (written by `npm run bench -- --remote`; edit outside this block) -->';
const REMOTE_END = '<!-- bench:remote:end -->';

async function measure(url: string, tag: string, rep: number): Promise<Sample> {
  const prefill = await streamChat(url, { messages: [{ role: 'user', content: `${tag}: ${fillerText(1000 + rep, PROMPT_WORDS)}` }], max_tokens: 1 });
  const decode: StreamTiming = await streamChat(url, {
    messages: [{ role: 'user', content: `${tag}: tell me a long story about ${fillerText(2000 + rep, 8)}` }],
    max_tokens: DECODE_TOKENS,
  });
  return {
    ttft: (prefill.firstToken - prefill.started) / 1000,
    promptTokens: prefill.promptTokens,
    decodeTps: (decode.completionTokens - 1) / ((decode.lastToken - decode.firstToken) / 1000),
    decodeTokens: decode.completionTokens,
  };
}

function report(variants: { name: string }[], samples: Map<string, Sample[]>, options: RemoteBenchOptions, modelDescription: string): string {
  const machine = machineInfo();
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16);
  const inProcess = samples.get('llama-bridge, in-process')!;
  const baseTtft = median(inProcess.map((s) => s.ttft));
  const baseTps = median(inProcess.map((s) => s.decodeTps));
  const rows = variants.map(({ name }) => {
    const own = samples.get(name)!;
    const ttft = median(own.map((s) => s.ttft));
    const tps = median(own.map((s) => s.decodeTps));
    return `| ${name} | ${ttft.toFixed(2)} (${own.map((s) => s.ttft.toFixed(2)).join(', ')}) | ${(ttft / baseTtft).toFixed(2)}× | ${tps.toFixed(1)} (${own.map((s) => s.decodeTps.toFixed(1)).join(', ')}) | ${(tps / baseTps).toFixed(2)}× |`;
  });
  return [
    `Run ${date} UTC on ${machine.cpuModel} (${machine.nproc} cores), ${options.threads} threads, one slot each, ${options.reps} rounds; model: ${modelDescription}.`,
    `Command: \`npm run bench -- --remote --reps ${options.reps}\`. Prompt ≈${inProcess[0]?.promptTokens ?? '?'} tokens (new each time); decode ${DECODE_TOKENS} tokens.`,
    '',
    '| server | TTFT s, median (each round) | ÷ in-process | decode tok/s, median (each round) | ÷ in-process |',
    '|---|--:|--:|--:|--:|',
    ...rows,
  ].join('\n');
}
