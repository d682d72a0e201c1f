// Native memory that only a V8 garbage collection gives back. node-llama-cpp makes a new sampler
// for every evaluate() and evaluateWithoutGeneratingNewTokens() call, and each sampler allocates
// a candidate buffer of the whole vocabulary (12 bytes a token: 1.8 MB for Qwen's 151 936)
// that its dispose() leaves in place: only the destructor, run when V8 collects the JS wrapper,
// frees it. V8 is not told about that memory, and with a JS heap of ~40 MB it collects rarely:
// a server under 4 concurrent clients grew ~2.3 MB per request (issue 15). Measured with a bare
// node-llama-cpp script (4 sequences, 24 tokens each, 60 rounds): RSS 353 → 770 MB, flat at
// 341 MB with a GC after every round.
//
// So the engine counts the buffers it has let go of, and once they add up to a budget it asks
// V8 for a full collection (on the next turn of the event loop, never inside a decode).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** node-llama-cpp's llama_token_data: token id, logit, probability. */
const CANDIDATE_BYTES = 12;
/** Native garbage allowed to pile up before a collection (~35 samplers of a 152k vocabulary). */
export const DEFAULT_NATIVE_GARBAGE_BUDGET = 64 * 2 ** 20;

export class NativeGarbage {
  private pending = 0;
  private scheduled = false;
  collections = 0;

  constructor(
    private readonly bytesPerSampler: number,
    private readonly budget = DEFAULT_NATIVE_GARBAGE_BUDGET,
    private readonly collect: () => void = runtimeGc(),
  ) {}

  /** For a model of `vocabularySize` tokens. */
  static forVocabulary(vocabularySize: number, budget?: number, collect?: () => void): NativeGarbage {
    return new NativeGarbage(vocabularySize * CANDIDATE_BYTES, budget, collect);
  }

  /** One evaluate()/evaluateWithoutGeneratingNewTokens() call is done: its sampler's buffer awaits a collection. */
  samplerDone(): void {
    this.pending += this.bytesPerSampler;
    if (this.pending < this.budget || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pending = 0;
      this.collections++;
      this.collect();
    });
  }
}

/** V8's gc(), also when node was started without --expose-gc. */
function runtimeGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
