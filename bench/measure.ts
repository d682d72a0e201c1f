// One repetition of every measurement against one server, and the numbers derived from it.

import { cpuSample, cpuUse } from './cpu.js';
import { streamChat, type ChatMessage, type StreamTiming } from './http-client.js';
import type { PromptSet } from './prompts.js';

/** The five measurements of a repetition, each timed (and CPU-accounted) on its own. */
export const PHASES = ['prefill', 'decode', 'cold', 'hot', 'streams'] as const;
export type Phase = (typeof PHASES)[number];

export interface RepMetrics {
  /** Prompt tokens / time to first token, on a prompt nothing of which is cached. */
  prefillTps: number;
  prefillPromptTokens: number;
  prefillCachedTokens: number | undefined;
  /** (generated − 1) / (last token − first token): decode only, one stream. */
  decodeTps: number;
  decodeTokens: number;
  decodeFinish: string | undefined;
  ttftColdSeconds: number;
  coldPromptTokens: number;
  coldCachedTokens: number | undefined;
  ttftHotSeconds: number;
  hotPromptTokens: number;
  hotCachedTokens: number | undefined;
  /** All tokens of the concurrent streams / (last stream end − first request sent). */
  streamsTps: number;
  streamsTokens: number;
  streamsWallSeconds: number;
  /** Most streams that were between their first and last token at the same moment. */
  streamsOverlap: number;
  /** Σ per-stream decode rates: what the streams got while decoding together. */
  streamsDecodeTps: number;
  /** llama-server's own `timings` (prompt/predicted per second), for the HTTP-overhead view. */
  serverPrefillTps?: number;
  serverDecodeTps?: number;
  /** Average cores used by the server, and by everything else, during this repetition. */
  serverCpuCores?: number;
  otherCpuCores?: number;
  /** Cores used by everything else during each measurement. */
  phaseOtherCores: Partial<Record<Phase, number>>;
  /** Measurements during which other processes used too much CPU: left out of the medians. */
  disturbed: Phase[];
}

export interface MeasureOptions {
  decodeTokens: number;
  seed: number;
  /** Process group of the server, for CPU accounting. */
  pgid: number | undefined;
  /** A measurement during which other processes kept more cores than this busy is marked disturbed. */
  disturbedCores: number;
}

const ttft = (t: StreamTiming): number => (t.firstToken - t.started) / 1000;
const decodeRate = (t: StreamTiming): number => (t.completionTokens > 1 && t.lastToken > t.firstToken ? ((t.completionTokens - 1) * 1000) / (t.lastToken - t.firstToken) : 0);

async function chat(baseUrl: string, messages: ChatMessage[], maxTokens: number, seed: number): Promise<StreamTiming> {
  return streamChat(baseUrl, { messages, max_tokens: maxTokens, temperature: 0, seed });
}

/** A short request so the first measured one does not pay one-time setup (graph allocation, JIT). */
export async function warmUp(baseUrl: string): Promise<void> {
  await chat(baseUrl, [{ role: 'user', content: 'Warm-up: say hello.' }], 8, 1);
}

export async function measureRep(baseUrl: string, prompts: PromptSet, options: MeasureOptions): Promise<RepMetrics> {
  const { seed, pgid } = options;
  const phaseOtherCores: Partial<Record<Phase, number>> = {};
  const disturbed: Phase[] = [];
  const repStart = cpuSample(pgid);
  const timed = async <T>(phase: Phase, run: () => Promise<T>): Promise<T> => {
    const before = cpuSample(pgid);
    const result = await run();
    const use = cpuUse(before, cpuSample(pgid));
    if (use) {
      phaseOtherCores[phase] = use.otherCores;
      if (use.otherCores > options.disturbedCores) disturbed.push(phase);
    }
    return result;
  };
  const prefill = await timed('prefill', () => chat(baseUrl, prompts.prefill, 1, seed));
  const decode = await timed('decode', () => chat(baseUrl, prompts.decode, options.decodeTokens, seed));
  const cold = await timed('cold', () => chat(baseUrl, prompts.conversation, 8, seed));
  const hot = await timed('hot', () => chat(baseUrl, prompts.conversationNext, 8, seed));
  const streams = await timed('streams', () => Promise.all(prompts.streams.map((messages) => chat(baseUrl, messages, options.decodeTokens, seed))));
  const repUse = cpuUse(repStart, cpuSample(pgid));

  const first = Math.min(...streams.map((s) => s.started));
  const last = Math.max(...streams.map((s) => s.ended));
  const streamsTokens = streams.reduce((sum, s) => sum + s.completionTokens, 0);
  const metrics: RepMetrics = {
    prefillTps: prefill.promptTokens / ttft(prefill),
    prefillPromptTokens: prefill.promptTokens,
    prefillCachedTokens: prefill.cachedTokens,
    decodeTps: decodeRate(decode),
    decodeTokens: decode.completionTokens,
    decodeFinish: decode.finishReason,
    ttftColdSeconds: ttft(cold),
    coldPromptTokens: cold.promptTokens,
    coldCachedTokens: cold.cachedTokens,
    ttftHotSeconds: ttft(hot),
    hotPromptTokens: hot.promptTokens,
    hotCachedTokens: hot.cachedTokens,
    streamsTps: (streamsTokens * 1000) / (last - first),
    streamsTokens,
    streamsWallSeconds: (last - first) / 1000,
    streamsOverlap: maxOverlap(streams.map((s) => [s.firstToken, s.lastToken] as const)),
    streamsDecodeTps: streams.reduce((sum, s) => sum + decodeRate(s), 0),
    phaseOtherCores,
    disturbed,
    ...(repUse ? { serverCpuCores: repUse.serverCores, otherCpuCores: repUse.otherCores } : {}),
  };
  const pp = prefill.serverTimings?.prompt_per_second;
  const tg = decode.serverTimings?.predicted_per_second;
  if (typeof pp === 'number') metrics.serverPrefillTps = pp;
  if (typeof tg === 'number') metrics.serverDecodeTps = tg;
  return metrics;
}

/** Largest number of intervals that contain a common point. */
function maxOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const points = intervals.flatMap(
    ([start, end]) =>
      [
        [start, 1],
        [end, -1],
      ] as const,
  );
  // At equal times count starts first: touching intervals overlap.
  points.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let open = 0;
  let best = 0;
  for (const [, delta] of points) {
    open += delta;
    best = Math.max(best, open);
  }
  return best;
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
