// Issue 7 probe: per-token CPU of each thread of our server vs llama-server during one
// streamed decode (128 tokens), alternating the two servers. Answers "does our JavaScript
// thread compete with the 2 compute threads on 2 cores?": the main (JS) thread's CPU ms per
// token is the work it adds (fastify, pipeline, parser, SSE, node-llama-cpp's loop).
//
//   npx tsx bench/probes/probe-server.ts [--reps 3] [--threads 2] [--tokens 128]

import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { groupProcesses, groupTicks, statFields } from '../cpu.js';
import { streamChat } from '../http-client.js';
import { ensureLlamaCpp } from '../llama-cpp.js';
import { loadavg, median, MODEL_05B } from './probe-common.js';
import { startLlamaServer, startOurs, type RunningServer, type ServerConfig } from '../servers.js';

const { values: args } = parseArgs({
  options: { reps: { type: 'string', default: '3' }, threads: { type: 'string', default: '2' }, tokens: { type: 'string', default: '128' } },
});
const reps = Number(args.reps);
const tokens = Number(args.tokens);
const config: ServerConfig = { model: MODEL_05B, threads: Number(args.threads), parallel: 4, slotContext: 4096, batch: 512, flashAttention: 'auto' };

interface ThreadTicks {
  tid: number;
  name: string;
  ticks: number;
}

/** Every thread of every process in the group: name and CPU ticks (utime + stime). */
function groupThreads(pgid: number): { pid: number; threads: ThreadTicks[] }[] {
  const out: { pid: number; threads: ThreadTicks[] }[] = [];
  for (const pid of groupProcesses(pgid)) {
    try {
      const threads: ThreadTicks[] = [];
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const rest = statFields(s);
        threads.push({ tid: Number(tid), name: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), ticks: Number(rest[11]) + Number(rest[12]) });
      }
      out.push({ pid, threads });
    } catch {
      // gone
    }
  }
  return out;
}

function systemBusy(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

async function measure(server: RunningServer, rep: number) {
  const pgid = server.pgid!;
  const before = groupThreads(pgid);
  const totalBefore = groupTicks(pgid);
  const sysBefore = systemBusy();
  const timing = await streamChat(server.baseUrl, { messages: [{ role: 'user', content: `rep ${rep}: tell me a long story` }], max_tokens: tokens });
  const after = groupThreads(pgid);
  const totalAfter = groupTicks(pgid);
  const sysAfter = systemBusy();
  const n = timing.completionTokens;
  // Main thread of the biggest process (node or llama-server): tid === pid.
  const proc = after.reduce((a, b) => (b.threads.length > a.threads.length ? b : a));
  const mainAfter = proc.threads.find((t) => t.tid === proc.pid)!.ticks;
  const mainBefore = before.find((p) => p.pid === proc.pid)?.threads.find((t) => t.tid === proc.pid)?.ticks ?? 0;
  const tickMs = 10; // USER_HZ 100
  const wall = (sysAfter.total - sysBefore.total) / 2; // jiffies per core
  const serverTicks = totalAfter - totalBefore;
  const other = (sysAfter.busy - sysBefore.busy - serverTicks) / Math.max(1, wall);
  return {
    rate: ((n - 1) * 1000) / (timing.lastToken - timing.firstToken),
    mainMsPerToken: ((mainAfter - mainBefore) * tickMs) / n,
    processMsPerToken: (serverTicks * tickMs) / n,
    threads: proc.threads.length,
    other,
  };
}

console.log(`load before: ${loadavg()}`);
const tools = await ensureLlamaCpp();
const ours = await startOurs(config, '/tmp/probe-server-logs');
const theirs = await startLlamaServer(tools, config, '/tmp/probe-server-logs');
try {
  for (const server of [ours, theirs]) await streamChat(server.baseUrl, { messages: [{ role: 'user', content: 'warm up' }], max_tokens: 8 });
  const results = new Map<string, Awaited<ReturnType<typeof measure>>[]>([
    [ours.name, []],
    [theirs.name, []],
  ]);
  for (let rep = 0; rep < reps; rep++) {
    for (const server of rep % 2 ? [theirs, ours] : [ours, theirs]) results.get(server.name)!.push(await measure(server, rep));
  }
  console.log(`| server | decode tok/s (reps) | main-thread CPU ms/token | whole-process CPU ms/token | threads | max other cores |`);
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, rows] of results) {
    const m = (f: (r: (typeof rows)[number]) => number) => median(rows.map(f));
    console.log(
      `| ${name} | ${m((r) => r.rate).toFixed(1)} (${rows.map((r) => r.rate.toFixed(1)).join(', ')}) | ${m((r) => r.mainMsPerToken).toFixed(2)} | ${m((r) => r.processMsPerToken).toFixed(1)} | ${rows[0]!.threads} | ${Math.max(...rows.map((r) => r.other)).toFixed(2)} |`,
    );
  }
} finally {
  await ours.stop();
  await theirs.stop();
}
console.log(`load after: ${loadavg()}`);
