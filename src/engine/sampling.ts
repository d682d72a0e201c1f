// Request sampling options → what node-llama-cpp's evaluate() takes, with llama-server's
// defaults for anything the client left out (a llama.cpp user expects the same output).

import type { SamplingOptions } from './types.js';

export const DEFAULT_SAMPLING = {
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  /** Tokens looked back on for repeat/presence/frequency penalties (llama.cpp's repeat_last_n). */
  penaltyLastN: 64,
} as const;

export interface ResolvedSampling {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  seed?: number;
  penalty?: { repeat: number; presence: number; frequency: number; lastN: number };
  /** Token id → logit bias; absent when the request gave none. */
  logitBias?: Readonly<Record<number, number>>;
}

export function resolveSampling(options: SamplingOptions, defaults: Partial<SamplingOptions> = {}): ResolvedSampling {
  const merged = { ...defaults, ...stripUndefined(options) };
  const resolved: ResolvedSampling = {
    temperature: merged.temperature ?? DEFAULT_SAMPLING.temperature,
    topK: merged.topK ?? DEFAULT_SAMPLING.topK,
    topP: merged.topP ?? DEFAULT_SAMPLING.topP,
    minP: merged.minP ?? DEFAULT_SAMPLING.minP,
  };
  if (merged.seed !== undefined) resolved.seed = merged.seed;
  if (merged.logitBias !== undefined && Object.keys(merged.logitBias).length > 0) resolved.logitBias = merged.logitBias;
  const repeat = merged.repeatPenalty ?? 1;
  const presence = merged.presencePenalty ?? 0;
  const frequency = merged.frequencyPenalty ?? 0;
  if (repeat !== 1 || presence !== 0 || frequency !== 0) {
    resolved.penalty = { repeat, presence, frequency, lastN: DEFAULT_SAMPLING.penaltyLastN };
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The last `n` tokens of prompt + output (the penalty window), without copying the whole prompt: called per token. */
export function lastTokens<T>(prompt: readonly T[], output: readonly T[], n: number): T[] {
  const fromOutput = n > 0 ? output.slice(-n) : [];
  const fromPrompt = n - fromOutput.length;
  return fromPrompt > 0 ? [...prompt.slice(Math.max(0, prompt.length - fromPrompt)), ...fromOutput] : fromOutput;
}
