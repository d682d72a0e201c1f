// Issue 7 probe: concurrent streams through the HTTP API, ours and llama-server side by side,
// alternating, without the rest of `npm run bench`. Per repetition: aggregate tok/s of N
// streams started together, and a late joiner (one more request sent `--late` ms after N-1
// streams started): its time to first token shows whether a running batch loop lets it in.
//
//   npx tsx bench/probes/probe-server-streams.ts [--reps 3] [--streams 4] [--tokens 128] [--late 1000] [--skip-llama-server]

import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { streamChat, type StreamTiming } from '../http-client.js';
import { cacheRoot, ensureLlamaCpp } from '../llama-cpp.js';
import { loadavg, median, MODEL_05B } from './probe-common.js';
import { startLlamaServer, startOurs, type RunningServer, type ServerConfig } from '../servers.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    streams: { type: 'string', default: '4' },
    tokens: { type: 'string', default: '128' },
    late: { type: 'string', default: '1000' },
    threads: { type: 'string', default: '2' },
    'skip-llama-server': { type: 'boolean', default: false },
  },
});
const reps = Number(args.reps);
const streams = Number(args.streams);
const tokens = Number(args.tokens);
const late = Number(args.late);
const config: ServerConfig = { model: MODEL_05B, threads: Number(args.threads), parallel: 4, slotContext: 4096, batch: 512, flashAttention: 'auto' };

const chat = (baseUrl: string, tag: string, maxTokens = tokens): Promise<StreamTiming> =>
  streamChat(baseUrl, {
    messages: [
      { role: 'system', content: `You are a storyteller (${tag}).` },
      { role: 'user', content: `Tell me a long story about ${tag}, with many characters and places.` },
    ],
    max_tokens: maxTokens,
    temperature: 0,
    seed: 42,
  });

async function together(baseUrl: string, rep: number): Promise<{ tps: number; decodeTps: number }> {
  const results = await Promise.all(Array.from({ length: streams }, (_, i) => chat(baseUrl, `rep ${rep} stream ${i}`)));
  const first = Math.min(...results.map((r) => r.started));
  const last = Math.max(...results.map((r) => r.ended));
  const total = results.reduce((sum, r) => sum + r.completionTokens, 0);
  const decodeTps = results.reduce((sum, r) => sum + (r.completionTokens > 1 ? ((r.completionTokens - 1) * 1000) / (r.lastToken - r.firstToken) : 0), 0);
  return { tps: (total * 1000) / (last - first), decodeTps };
}

/** N-1 streams start; one more request `late` ms later: its TTFT, and that of an idle-server request of the same shape. */
async function lateJoiner(baseUrl: string, rep: number): Promise<{ lateTtft: number }> {
  const running = Array.from({ length: streams - 1 }, (_, i) => chat(baseUrl, `late rep ${rep} stream ${i}`, tokens * 2));
  await new Promise((resolve) => setTimeout(resolve, late));
  const joiner = await chat(baseUrl, `late rep ${rep} joiner`, 8);
  await Promise.all(running);
  return { lateTtft: (joiner.firstToken - joiner.started) / 1000 };
}

const servers: { name: string; server: RunningServer; rows: { tps: number; decodeTps: number; lateTtft: number }[] }[] = [];
const logDir = join(cacheRoot(), 'bench-logs');
try {
  console.log(`load before: ${loadavg()}`);
  servers.push({ name: 'llama-bridge', server: await startOurs(config, logDir), rows: [] });
  if (!args['skip-llama-server']) servers.push({ name: 'llama-server', server: await startLlamaServer(await ensureLlamaCpp(() => undefined), config, logDir), rows: [] });
  for (const { server } of servers) await chat(server.baseUrl, 'warm-up', 8);
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? servers : [...servers].reverse();
    for (const entry of order) {
      const { tps, decodeTps } = await together(entry.server.baseUrl, rep);
      const { lateTtft } = late > 0 ? await lateJoiner(entry.server.baseUrl, rep) : { lateTtft: Number.NaN };
      entry.rows.push({ tps, decodeTps, lateTtft });
      console.log(
        `rep ${rep} ${entry.name}: ${streams} streams ${tps.toFixed(1)} tok/s (Σ per-stream decode ${decodeTps.toFixed(1)}), late joiner TTFT ${lateTtft.toFixed(3)} s; load ${loadavg()}`,
      );
    }
  }
  for (const entry of servers) {
    console.log(
      `${entry.name}: median ${median(entry.rows.map((r) => r.tps)).toFixed(1)} tok/s, late joiner TTFT median ${median(entry.rows.map((r) => r.lateTtft)).toFixed(3)} s`,
    );
  }
  if (servers.length === 2) console.log(`ratio (median aggregate): ${(median(servers[0]!.rows.map((r) => r.tps)) / median(servers[1]!.rows.map((r) => r.tps))).toFixed(2)}×`);
} finally {
  for (const { server } of servers) await server.stop();
}
