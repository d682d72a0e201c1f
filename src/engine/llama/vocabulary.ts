// A GGUF's vocabulary and metadata alone (no weights, no context): what a remote engine needs
// here to render and tokenize exactly as in-process, in a few megabytes of memory.

import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from 'node-llama-cpp';
import { FatalError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { messageOf } from '../errors.js';
import { logNative } from './load.js';

export async function loadVocabulary(modelPath: string, logger: Logger): Promise<{ llama: Llama; model: LlamaModel }> {
  let lastNativeError = '';
  const llama = await getLlama({
    build: 'never',
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      if (level === LlamaLogLevel.error) lastNativeError = message.trim();
      logNative(logger, level, message);
    },
  });
  try {
    // gpuLayers 0: nothing is offloaded, and node-llama-cpp skips its memory estimate (which fails without weights).
    const model = await llama.loadModel({ modelPath, vocabOnly: true, gpuLayers: 0 });
    return { llama, model };
  } catch (error) {
    await llama.dispose().catch(() => undefined);
    throw new FatalError(`Could not read the vocabulary of ${modelPath}: ${lastNativeError.replace(/^llama_model_load: error loading model: /, '') || messageOf(error)}`, {
      cause: error,
    });
  }
}
