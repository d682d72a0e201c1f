// Soak: a long day of agent traffic in a few minutes, to see whether the server keeps its
// memory, file descriptors and responsiveness (issue 15). Not part of `npm test`.
//
//   npm run soak -- [--requests 5000] [--clients 4] [--max-growth-mb 64] [--every 250]
//
// Starts `llama-bridge serve` (the built CLI, as a user runs it) on a scripted fixture model
// with real llama.cpp inference (Qwen2.5's template, qwen2 vocab, --parallel = clients), then
// `clients` concurrent clients send mixed requests: both APIs, streamed and not, some with
// tools, ~10 % aborted mid-answer. Every `every` requests it prints the server's resident
// memory, V8 heap (from /metrics), open file descriptors and /health latency. After the
// warm-up (the first fifth of the requests) resident memory may grow by at most
// --max-growth-mb; the script exits 1 when it grew more.

import { readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { templatePath, vocabPath } from '../test/fixtures/llama-cpp-source.js';
import { makeScriptedModel } from '../test/fixtures/models.js';
import { groupMemory } from './memory.js';
import { startOurs } from './servers.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    clients: { type: 'string', default: '4' },
    'max-growth-mb': { type: 'string', default: '64' },
    every: { type: 'string', default: '250' },
  },
});
const total = Number(values.requests);
const clients = Number(values.clients);
const maxGrowthMb = Number(values['max-growth-mb']);
const every = Number(values.every);

const model = await makeScriptedModel({
  vocab: { gguf: vocabPath('qwen2') },
  chatTemplate: readFileSync(templatePath('Qwen-Qwen2.5-7B-Instruct'), 'utf8'),
  script: 'The weather in Paris is sunny today, with a light breeze from the west and clear skies.',
  loop: true,
});
const server = await startOurs({ model: model.path, threads: 2, parallel: clients, slotContext: 2048, batch: 512, flashAttention: 'auto' }, mkdtempSync(join(tmpdir(), 'soak-')));
const pid = server.pgid!;

const TOOLS = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

/** One request of the mix; `n` picks its kind so the mix is the same on every run. */
async function request(n: number): Promise<void> {
  const anthropic = n % 2 === 0;
  const stream = n % 4 < 2;
  const abort = n % 10 === 7;
  const tools = n % 3 === 0;
  const content = `Request ${n % 50}: what is the weather in Paris?`;
  const controller = new AbortController();
  const body = anthropic
    ? {
        model: 'm',
        max_tokens: 24,
        stream,
        messages: [{ role: 'user', content }],
        ...(tools ? { tools: TOOLS.map((t) => ({ name: t.function.name, input_schema: t.function.parameters })) } : {}),
      }
    : { model: 'm', max_tokens: 24, stream, messages: [{ role: 'user', content }], ...(tools ? { tools: TOOLS } : {}) };
  const response = await fetch(`${server.baseUrl}${anthropic ? '/v1/messages' : '/v1/chat/completions'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  if (!response.ok) throw new Error(`request ${n}: HTTP ${response.status} ${await response.text()}`);
  try {
    for await (const _chunk of response.body!) {
      // The client leaves after its first piece of the answer.
      if (abort) controller.abort();
    }
  } catch (error) {
    if (!abort) throw error;
  }
}

interface Sample {
  requests: number;
  rssMb: number;
  heapMb: number;
  fds: number;
  healthMs: number;
}

async function sample(requests: number): Promise<Sample> {
  const started = performance.now();
  await fetch(`${server.baseUrl}/health`);
  const healthMs = performance.now() - started;
  const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
  const heap = Number(/llama_bridge_process_memory_bytes\{kind="heap_used"\} (\d+)/.exec(metrics)?.[1] ?? Number.NaN);
  return {
    requests,
    rssMb: (groupMemory(pid)?.rssBytes ?? Number.NaN) / 2 ** 20,
    heapMb: heap / 2 ** 20,
    fds: readdirSync(`/proc/${pid}/fd`).length,
    healthMs,
  };
}

const samples: Sample[] = [];
const show = (s: Sample) =>
  console.log(
    `${String(s.requests).padStart(6)} requests  rss ${s.rssMb.toFixed(1).padStart(7)} MB  heap ${s.heapMb.toFixed(1).padStart(6)} MB  fds ${String(s.fds).padStart(4)}  /health ${s.healthMs.toFixed(1)} ms`,
  );

let next = 0;
let done = 0;
let failures = 0;
const started = performance.now();
try {
  samples.push(await sample(0));
  show(samples[0]!);
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const n = next++;
        try {
          await request(n);
        } catch (error) {
          failures++;
          console.error((error as Error).message);
        }
        done++;
        if (done % every === 0) {
          const s = await sample(done);
          samples.push(s);
          show(s);
        }
      }
    }),
  );
} finally {
  await server.stop();
}

const warm = samples.find((s) => s.requests >= total / 5) ?? samples[0]!;
const last = samples.at(-1)!;
const growth = last.rssMb - warm.rssMb;
const per1000 = (growth / Math.max(1, last.requests - warm.requests)) * 1000;
console.log(
  `\n${total} requests by ${clients} clients in ${((performance.now() - started) / 1000).toFixed(0)} s, ${failures} failed.` +
    ` After warm-up (${warm.requests} requests): rss ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB (${per1000.toFixed(1)} MB per 1 000 requests),` +
    ` heap ${(last.heapMb - warm.heapMb).toFixed(1)} MB, fds ${last.fds - warm.fds}, /health at most ${Math.max(...samples.map((s) => s.healthMs)).toFixed(1)} ms.`,
);
if (failures > 0 || growth > maxGrowthMb) {
  console.error(failures > 0 ? `${failures} requests failed` : `resident memory grew ${growth.toFixed(1)} MB after warm-up, more than the bound of ${maxGrowthMb} MB`);
  process.exit(1);
}
