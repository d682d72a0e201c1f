// Refuse a context the machine cannot hold before asking llama.cpp for it. Given
// `-c 99999999999`, llama.cpp allocated as it went and the process grew to 12 GB while
// "loading", never ready (issue 15). node-llama-cpp's estimate helpers are no help at such
// sizes: the V2 one simulates the context (it allocates, and past 2^31 tokens the process
// died), the V1 heuristic overflows to negative numbers at 2^31. Its V1 heuristic is linear in
// the context size for sane sizes, so it is asked at two small sizes and extrapolated.

import type { LlamaModel } from 'node-llama-cpp';
import { totalmem } from 'node:os';

export interface ContextMemoryQuestion {
  contextSize: number;
  sequences: number;
  batchSize: number;
  flashAttention?: boolean;
  swaFullCache?: boolean;
}

const PROBE_SIZES = [4096, 8192] as const;

/** Bytes of RAM + VRAM a context of that size needs (KV cache and compute buffers), estimated. */
export function estimateContextBytes(model: LlamaModel, question: ContextMemoryQuestion): number {
  const at = (contextSize: number) => {
    const { cpuRam, gpuVram } = model.fileInsights.estimateContextResourceRequirements({
      contextSize,
      modelGpuLayers: model.gpuLayers,
      sequences: question.sequences,
      batchSize: question.batchSize,
      ...(question.flashAttention !== undefined ? { flashAttention: question.flashAttention } : {}),
      ...(question.swaFullCache !== undefined ? { swaFullCache: question.swaFullCache } : {}),
    });
    return cpuRam + gpuVram;
  };
  const [small, large] = PROBE_SIZES;
  const atSmall = at(small);
  const perToken = Math.max(0, (at(large) - atSmall) / (large - small));
  return atSmall + (question.contextSize - small) * perToken;
}

/** Why the context cannot be held, or undefined when it fits in the machine's RAM plus VRAM. */
export function contextTooLarge(neededBytes: number, vramBytes: number, ramBytes = totalmem()): string | undefined {
  if (neededBytes <= ramBytes + vramBytes) return undefined;
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 1 : 0)} GiB`;
  const machine = vramBytes > 0 ? `${gib(ramBytes)} of RAM and ${gib(vramBytes)} of VRAM` : `${gib(ramBytes)} of RAM`;
  return `it would need about ${gib(neededBytes)} (KV cache and compute buffers, estimated) and this machine has ${machine}`;
}
