// `npx tsx bench/replay-architectures.ts [session.jsonl] [--arch a,b] [--swa-full] [--llama-server]`
//
// The prompt cache under Claude Code on each fixture architecture: replays a captured session
// (default test/fixtures/claude-code/session-1.jsonl, as `npm run replay` does) against a fresh
// server per architecture — the tiny llama control, qwen3moe (MoE), gemma3 (sliding window 32)
// and lfm2 (hybrid short-convolution + attention), all with the qwen2 vocab and the Qwen2.5
// template the README's replay figures use, 2 slots × 40,000 tokens — and prints a Markdown
// row per architecture: cached share after the first request, new tokens per turn, TTFT of the
// cold first request and of the later (hot) ones, and the checkpoints the slot keeps (/slots).
// With --llama-server, llama.cpp's own server (built from the source node-llama-cpp ships, as
// `npm run bench` does) replays the same session on the same file, slots and threads too.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FIXTURE_ARCHITECTURES, makeArchModel } from '../test/fixtures/arch-models.js';
import { templatePath, vocabPath } from '../test/fixtures/llama-cpp-source.js';
import { makeRandomModel } from '../test/fixtures/models.js';
import { startTestServer } from '../test/helpers/server.js';
import { ensureLlamaCpp } from './llama-cpp.js';
import { cachedRatio, replaySession, type ReplayResult } from './replay.js';
import { startLlamaServer } from './servers.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    arch: { type: 'string' },
    'swa-full': { type: 'boolean', default: false },
    threads: { type: 'string', default: '2' },
    'llama-server': { type: 'boolean', default: false },
  },
});
const session = positionals[0] ?? 'test/fixtures/claude-code/session-1.jsonl';
const records = readFileSync(session, 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as Parameters<typeof replaySession>[0][number]);
const vocab = { gguf: vocabPath('qwen2') };
const chatTemplate = readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8');
const archs = values.arch ? values.arch.split(',') : ['llama', ...FIXTURE_ARCHITECTURES];

console.log(`session ${session}, ${records.length} records; 2 slots × 40000 tokens, ${values.threads} threads${values['swa-full'] ? ', --swa-full' : ''}\n`);
console.log('| architecture | server | cached after the first request | new tokens per later turn | TTFT cold → hot (ms) | checkpoints (count, MiB) |');
console.log('|---|---|--:|---|---|---|');
const tools = values['llama-server'] ? await ensureLlamaCpp() : undefined;
const threads = Number(values.threads);

function row(arch: string, server: string, results: ReplayResult[], checkpoints: string): void {
  const failed = results.find((result) => result.error);
  if (failed) throw new Error(`${server}, request ${failed.index}: ${failed.error}`);
  const later = results.slice(1);
  console.log(
    `| ${arch} | ${server} | ${(cachedRatio(results) * 100).toFixed(1)} % | ${later.map((result) => result.promptTokens - result.cachedTokens).join(', ')} | ${Math.round(results[0]!.ttftMs)} → ${later.map((result) => Math.round(result.ttftMs)).join(', ')} | ${checkpoints} |`,
  );
}

for (const arch of archs) {
  const model =
    arch === 'llama'
      ? await makeRandomModel({ shape: 'tiny', vocab, chatTemplate, contextLength: 65536 })
      : await makeArchModel({ arch: arch as (typeof FIXTURE_ARCHITECTURES)[number], vocab, chatTemplate, contextLength: 65536 });
  const server = await startTestServer({ model: model.path, nCtx: 40000, parallel: 2, nThreads: threads, ...(values['swa-full'] ? { swaFull: true } : {}) });
  try {
    const results = await replaySession(records, { url: server.url, maxTokens: 16 });
    const slots = (await (await fetch(`${server.url}/slots`)).json()) as { caches: { slots: { n_checkpoints?: number; checkpoint_bytes?: number }[] }[] };
    const withCheckpoints = slots.caches.flatMap((cache) => cache.slots).filter((slot) => slot.n_checkpoints !== undefined);
    const checkpoints = withCheckpoints.length
      ? withCheckpoints.map((slot) => `${slot.n_checkpoints}, ${((slot.checkpoint_bytes ?? 0) / 2 ** 20).toFixed(2)}`).join(' / ')
      : 'none needed';
    row(arch, 'llama-bridge', results, checkpoints);
  } finally {
    await server.stop();
  }
  if (tools) {
    const theirs = await startLlamaServer(tools, { model: model.path, threads, parallel: 2, slotContext: 40000, batch: 512, flashAttention: 'auto' }, 'logs/replay-architectures');
    try {
      row(arch, 'llama-server', await replaySession(records, { url: theirs.baseUrl, maxTokens: 16 }), 'its own (log)');
    } finally {
      await theirs.stop();
    }
  }
}
